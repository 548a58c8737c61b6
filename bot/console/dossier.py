"""A citizen's page: their profile, the assessment of a period answer by answer (as
typed, the option it was read as, its points), the evidence they sent, the score
explained, and the decisions taken on it.

`explain` and `answer_rows` are pure (the criteria set and the answers in, what the page
says out); `load` reads what one citizen's page needs in a few queries."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from flows.model import CriteriaSet
from flows.scoring import score
from storage.models import Answer, Assessment, AuditEntry, Citizen, Contact, Evidence

from .citizens import show_phone
from storage.standing import STATUSES, status_of

DECISIONS = {"recognition.approve": "Công nhận", "recognition.return": "Trả lại"}
CONSENT = {True: "Đã đồng ý", False: "Đã từ chối", None: "Chưa trả lời"}


@dataclass(frozen=True)
class AnswerRow:
    n: int
    indicator: str            # its id
    short: str                # "Đọc, xem tin tức"
    competence: str           # the competence's name
    raw_text: str | None      # as the citizen typed it; None: not answered
    option: int | None
    label: str | None         # the option it was read as
    points: int | None
    maximum: int
    under_minimum: bool
    answered_at: datetime | None


@dataclass(frozen=True)
class Explanation:
    total: int
    maximum: int
    answered: int
    count: int
    complete: bool
    passed: bool
    competences: list[tuple[str, int, int]]   # name, points, maximum
    rule: str
    verdict: str
    reasons: list[str]


def answer_rows(criteria: CriteriaSet, group_id: str, answers: dict[str, Answer]) -> list[AnswerRow]:
    """One row per indicator of the group, in the order asked; unanswered ones too."""
    competences = {c.id: c.name for c in criteria.competences}
    rows = []
    for n, indicator in enumerate(criteria.group(group_id).indicators, 1):
        answer = answers.get(indicator.id)
        option = answer.option if answer else None
        chosen = indicator.options[option - 1] if option and 0 < option <= len(indicator.options) else None
        points = answer.points if answer else None
        rows.append(AnswerRow(
            n=n, indicator=indicator.id, short=indicator.short,
            competence=competences.get(indicator.competence, indicator.competence),
            raw_text=answer.raw_text if answer else None, option=option,
            label=chosen.label if chosen else None, points=points, maximum=indicator.max_points,
            under_minimum=points is not None and points < criteria.pass_rule.min_each,
            answered_at=answer.answered_at if answer else None))
    return rows


def explain(criteria: CriteriaSet, group_id: str, options: dict[str, int]) -> Explanation:
    """The score of these answers (indicator id → option chosen) and why it passes or not."""
    group, rule = criteria.group(group_id), criteria.pass_rule
    result = score(group, rule, options)
    numbers = {row.indicator.id: n for n, row in enumerate(result.indicators, 1)}
    names = {c.id: c.name for c in criteria.competences}
    competences = [(names.get(cid, cid), points, result.competence_max[cid])
                   for cid, points in result.by_competence.items()]
    rule_text = (f"Cần ít nhất {rule.min_total}/{result.maximum} điểm và không tiêu chí nào "
                 f"dưới {rule.min_each} điểm.")
    reasons = []
    if not result.complete:
        verdict = (f"Chưa hoàn thành: mới trả lời {result.answered}/{len(result.indicators)} câu, "
                   "chưa xét đạt hay không.")
    elif result.passed:
        verdict = (f"Đạt: {result.total} điểm (từ {rule.min_total} trở lên) và không tiêu chí nào "
                   f"dưới {rule.min_each} điểm.")
    else:
        verdict = "Chưa đạt, vì:"
        reasons = [f"Câu {numbers[row.indicator.id]} ({row.indicator.short}) được {row.points} điểm, "
                   f"dưới mức tối thiểu {rule.min_each} điểm." for row in result.below_minimum]
        if result.total_short:
            reasons.append(f"Tổng điểm {result.total}, còn thiếu {result.total_short} điểm "
                           f"để đạt {rule.min_total}.")
    return Explanation(total=result.total, maximum=result.maximum, answered=result.answered,
                       count=len(result.indicators), complete=result.complete,
                       passed=result.passed, competences=competences, rule=rule_text,
                       verdict=verdict, reasons=reasons)


def safe_url(url: str | None) -> str | None:
    """Only web addresses become links or images (never javascript: or data:)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


@dataclass(frozen=True)
class Proof:
    kind: str                 # "image" | "file"
    url: str | None           # None: not a web address, shown as text only
    thumbnail: str | None
    name: str
    received_at: datetime


@dataclass(frozen=True)
class Decision:
    action: str               # "Công nhận" | "Trả lại"
    reason: str | None
    by: str
    at: datetime


@dataclass
class Dossier:
    citizen: Citizen
    phone: str
    contacts: list[tuple[str, str, str, datetime | None]]   # channel, address shown, status, last inbound
    period: int
    periods: list[tuple[int, int]]                          # (period, assessment id), newest first
    assessment: Assessment | None
    status: str
    status_label: str
    criteria: CriteriaSet | None
    rows: list[AnswerRow]
    explanation: Explanation | None
    evidence: dict[str | None, list[Proof]]                 # indicator id (None: not tied to one)
    decisions: list[Decision]
    stale_decision: bool      # a decision was taken, then the answers changed

    @property
    def loose_evidence(self) -> list[Proof]:
        """Evidence tied to no indicator of this assessment's questions."""
        asked = {row.indicator for row in self.rows}
        return [p for indicator, proofs in self.evidence.items() if indicator not in asked
                for p in proofs]


def _proof(item: Evidence) -> Proof:
    return Proof(kind=item.kind, url=safe_url(item.url), thumbnail=safe_url(item.thumbnail),
                 name=item.name or ("Ảnh" if item.kind == "image" else "Tệp"),
                 received_at=item.received_at)


def _contacts(session, citizen: Citizen, full_phone: bool):
    found = session.scalars(select(Contact).where(Contact.citizen_id == citizen.id)
                            .order_by(Contact.channel, Contact.id)).all()
    return [(c.channel, show_phone(c.address, full_phone) if c.channel == "sms" else "",
             c.status, c.last_inbound_at) for c in found]


def pick_period(periods: list[int], asked: int | None, current: int) -> int:
    """The period shown: the one asked for, else this year's if there is one, else the latest."""
    if asked is not None:
        return asked
    if current in periods or not periods:
        return current
    return max(periods)


def load(session, criteria_sets, scope, citizen: Citizen, asked: int | None, current: int) -> Dossier:
    periods = list(session.execute(select(Assessment.period, Assessment.id)
                                   .where(Assessment.citizen_id == citizen.id)
                                   .order_by(Assessment.period.desc())).all())
    period = pick_period([p for p, _ in periods], asked, current)
    assessment = session.scalars(select(Assessment).where(
        Assessment.citizen_id == citizen.id, Assessment.period == period)).first()
    full = scope.sees_phone_of(citizen)
    citizen.unit   # loaded now: the page is rendered after the session closes
    rows, explanation, evidence, decisions, criteria = [], None, {}, [], None
    if assessment is not None:
        answers = {a.indicator: a for a in assessment.answers}
        criteria = criteria_sets.get((assessment.criteria_set, assessment.criteria_version))
        if criteria is not None:
            rows = answer_rows(criteria, assessment.target_group, answers)
            explanation = explain(criteria, assessment.target_group,
                                  {i: a.option for i, a in answers.items()})
        for item in session.scalars(select(Evidence).where(
                Evidence.citizen_id == citizen.id,
                (Evidence.assessment_id == assessment.id) | Evidence.assessment_id.is_(None))
                .order_by(Evidence.received_at, Evidence.id)):
            evidence.setdefault(item.indicator, []).append(_proof(item))
        decisions = [Decision(DECISIONS[e.action], (e.detail or {}).get("reason"), e.actor, e.at)
                     for e in session.scalars(select(AuditEntry).where(
                         AuditEntry.target == f"assessment {assessment.id}",
                         AuditEntry.action.in_(DECISIONS)).order_by(AuditEntry.at, AuditEntry.id))]
    status = status_of(assessment)
    stale = bool(assessment and assessment.decided_at and assessment.completed_at
                 and assessment.decided_at < assessment.completed_at)
    return Dossier(citizen=citizen, phone=show_phone(citizen.phone, full),
                   contacts=_contacts(session, citizen, full), period=period, periods=periods,
                   assessment=assessment, status=status, status_label=STATUSES[status],
                   criteria=criteria, rows=rows, explanation=explanation, evidence=evidence,
                   decisions=decisions, stale_decision=stale)
