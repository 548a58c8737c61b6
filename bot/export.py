"""Assessments as JSON lines: the stable format officers and other tools read
(documented in docs/export.md)."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storage.models import Assessment, Citizen, Unit

from storage.standing import status_of


def assessment_rows(session, criteria_sets, unit_code: str | None = None):
    query = (select(Assessment).join(Citizen, Assessment.citizen_id == Citizen.id)
             .options(selectinload(Assessment.answers))
             .order_by(Assessment.id))
    if unit_code:
        unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
        if unit is None:
            raise LookupError(f"no unit with code {unit_code!r}")
        query = query.join(Unit, Citizen.unit_id == Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))
    for assessment in session.scalars(query):
        citizen = session.get(Citizen, assessment.citizen_id)
        yield _row(assessment, citizen, criteria_sets)


def _row(assessment: Assessment, citizen: Citizen, criteria_sets) -> dict:
    by_indicator = {a.indicator: a for a in assessment.answers}
    criteria = criteria_sets.get((assessment.criteria_set, assessment.criteria_version))
    order = ([i.id for i in criteria.group(assessment.target_group).indicators]
             if criteria else sorted(by_indicator))
    return {
        "citizen": {
            "name": citizen.name, "birth_year": citizen.birth_year, "phone": citizen.phone,
            "contacts": [{"channel": c.channel, "address": c.address}
                         for c in sorted(citizen.contacts, key=lambda c: c.id)],
        },
        "unit_code": citizen.unit.code if citizen.unit else None,
        "target_group": assessment.target_group,
        "criteria_set": assessment.criteria_set,
        "criteria_version": assessment.criteria_version,
        "period": assessment.period,
        "status": assessment.status,
        "total": assessment.total if assessment.status == "completed"
        else sum(a.points for a in assessment.answers),
        "passed": assessment.passed,
        "started_at": assessment.started_at.isoformat(),
        "completed_at": assessment.completed_at.isoformat() if assessment.completed_at else None,
        "recognition": _recognition(assessment),
        "answers": [{"indicator": i, "raw_text": by_indicator[i].raw_text,
                     "option": by_indicator[i].option, "points": by_indicator[i].points}
                    for i in order if i in by_indicator],
    }


def _recognition(assessment: Assessment) -> dict | None:
    """An officer's decision, if any; `current`: taken on the answers as they are now."""
    if assessment.decision is None:
        return None
    return {"decision": assessment.decision, "reason": assessment.decision_reason,
            "by": assessment.decided_by, "at": assessment.decided_at.isoformat(),
            "current": status_of(assessment) in ("recognised", "returned")}
