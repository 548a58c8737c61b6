"""Who is weak on an indicator, for announcing a course to those it helps.

A citizen is weak on an indicator when, in their latest assessment (the newest period
they answered), that indicator scored below 5 points (under the title's floor: no
indicator below 5), or it is their lowest-scoring indicator (ties included) and short of
full marks. Someone who answered it "Thường xuyên" (10) is never weak on it; someone
with 7 everywhere but 4 on "dùng điện thoại thông minh" is weak on that one only.
"""

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from storage.models import Answer, Assessment, Citizen

FLOOR = 5      # the title's minimum per indicator (PassRule.min_each)
FULL = 10


def _latest_period():
    newer = aliased(Assessment)
    return (select(func.max(newer.period)).where(newer.citizen_id == Citizen.id)
            .correlate(Citizen).scalar_subquery())


def _lowest_of_assessment():
    other = aliased(Answer)
    return (select(func.min(other.points)).where(other.assessment_id == Answer.assessment_id)
            .correlate(Answer).scalar_subquery())


def weak_answer(indicators):
    """The condition on Answer (joined to its Assessment) of a weak answer."""
    return and_(Answer.indicator.in_(list(indicators)),
                or_(Answer.points < FLOOR,
                    and_(Answer.points < FULL, Answer.points == _lowest_of_assessment())))


def weak_on(indicators):
    """The condition on Citizen: weak on at least one of `indicators`."""
    return (select(Answer.id).join(Assessment, Assessment.id == Answer.assessment_id)
            .where(Assessment.citizen_id == Citizen.id, Assessment.period == _latest_period(),
                   weak_answer(indicators))
            .correlate(Citizen).exists())


def weak_counts(session, targeted_ids, indicators) -> dict[str, int]:
    """{indicator: how many of the targeted citizens are weak on it} (one may be weak on
    several, so these add up to more than the union)."""
    ids = targeted_ids.subquery()
    rows = session.execute(
        select(Answer.indicator, func.count(func.distinct(Assessment.citizen_id)))
        .select_from(Answer).join(Assessment, Assessment.id == Answer.assessment_id)
        .join(Citizen, Citizen.id == Assessment.citizen_id)
        .where(Assessment.citizen_id.in_(select(ids.c.id)),
               Assessment.period == _latest_period(), weak_answer(indicators))
        .group_by(Answer.indicator)).all()
    found = dict(rows)
    return {indicator: found.get(indicator, 0) for indicator in indicators}
