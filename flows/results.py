"""A score as message parameters: the verdict, why, subtotals and advice."""

from .model import PassRule
from .scoring import Score

SMS_REASONS = 2


def _name(row) -> dict:
    return {"zalo": row.indicator.short, "sms": row.indicator.short_sms}


def result_params(result: Score, rule: PassRule, competence_names: dict | None = None) -> dict:
    number = {row.indicator.id: i for i, row in enumerate(result.indicators, 1)}
    reasons = []
    if result.total_short:
        reasons.append({"msg": "reason.total",
                        "params": {"short": result.total_short, "min_total": rule.min_total}})
    for i, row in enumerate(result.below_minimum):
        reason = {"msg": "reason.indicator",
                  "params": {"n": number[row.indicator.id], "name": _name(row),
                             "points": row.points, "min_each": rule.min_each}}
        # An SMS names two indicators and counts the rest, to stay within two segments.
        reasons.append(reason if i < SMS_REASONS else {"zalo": reason, "sms": ""})
    hidden = len(result.below_minimum) - SMS_REASONS
    if hidden > 0:
        reasons.append({"zalo": "", "sms": {"msg": "reason.more", "params": {"count": hidden}}})
    competences = [
        {"msg": "result.competence",
         "params": {"name": (competence_names or {}).get(cid, {"zalo": cid, "sms": cid}),
                    "points": points, "maximum": result.competence_max[cid]}}
        for cid, points in result.by_competence.items()
    ]
    advice = ""
    if result.weakest:
        advice = {"msg": "result.advice",
                  "params": {"names": [{"zalo": f"câu {number[r.indicator.id]} ({r.indicator.short})",
                                        "sms": f"cau {number[r.indicator.id]} ({r.indicator.short_sms})"}
                                       for r in result.weakest]}}
    return {
        "total": result.total, "maximum": result.maximum,
        "verdict": {"msg": "verdict.passed" if result.passed else "verdict.failed"},
        "reasons": reasons, "competences": competences, "advice": advice,
    }
