"""Who is weak on an indicator, for announcing a course to those it helps.

A citizen is weak on an indicator when, in their latest assessment (the newest period
they answered), that indicator scored below 5 points (under the title's floor: no
indicator below 5), or it is their lowest-scoring indicator (ties included) and short of
full marks. Someone who answered it "Thường xuyên" (10) is never weak on it; someone
with 7 everywhere but 4 on "dùng điện thoại thông minh" is weak on that one only.
"""

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from storage.models import Answer, Assessment, Citizen

FLOOR = 5      # the title's minimum per indicator (PassRule.min_each)
FULL = 10


def _weak_rows(indicators):
    """(citizen_id, indicator) of every weak answer in a latest assessment: one scan of
    the answers of these indicators, each checked against its own assessment (the
    unique index on (assessment_id, indicator) finds the others) — not a probe per citizen."""
    newer, other = aliased(Assessment), aliased(Answer)
    latest = (select(func.max(newer.period)).where(newer.citizen_id == Assessment.citizen_id)
              .correlate(Assessment).scalar_subquery())
    lowest = (select(func.min(other.points)).where(other.assessment_id == Answer.assessment_id)
              .correlate(Answer).scalar_subquery())
    return (select(Assessment.citizen_id, Answer.indicator).select_from(Answer)
            .join(Assessment, Assessment.id == Answer.assessment_id)
            .where(Answer.indicator.in_(list(indicators)), Answer.points < FULL,
                   Assessment.period == latest,
                   or_(Answer.points < FLOOR, Answer.points == lowest)))


def weak_on(indicators):
    """The condition on Citizen: weak on at least one of `indicators` (a probe per
    targeted citizen through the (citizen_id, period) and (assessment_id, indicator)
    indexes: cheap for a commune, ~2 s for a province of 565,625)."""
    return _weak_rows(indicators).where(Assessment.citizen_id == Citizen.id).correlate(Citizen).exists()


def weak_counts(session, targeted_ids, indicators) -> dict[str, int]:
    """{indicator: how many of the targeted citizens are weak on it} (one may be weak on
    several, so these add up to more than the union)."""
    ids = targeted_ids.subquery()
    weak = _weak_rows(indicators).join(ids, ids.c.id == Assessment.citizen_id).subquery()
    found = dict(session.execute(
        select(weak.c.indicator, func.count(func.distinct(weak.c.citizen_id)))
        .group_by(weak.c.indicator)).all())
    return {indicator: found.get(indicator, 0) for indicator in indicators}
