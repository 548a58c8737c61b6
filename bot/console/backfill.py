"""Fill what migration 0006 could not: points per competence of assessments completed
before it, from their answers and the criteria file they were made with."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from flows.scoring import score
from storage.models import Assessment

BATCH = 1000


def fill_competence_points(runtime) -> int:
    """Completed assessments without competence points get them; returns how many."""
    filled = 0
    while True:
        with runtime.db.transaction() as session:
            batch = session.scalars(
                select(Assessment).where(Assessment.status == "completed",
                                         Assessment.competence_points.is_(None))
                .options(selectinload(Assessment.answers)).order_by(Assessment.id).limit(BATCH)).all()
            done = 0
            for assessment in batch:
                criteria = runtime.criteria_sets.get((assessment.criteria_set, assessment.criteria_version))
                if criteria is None:
                    assessment.competence_points = {}   # its criteria file is gone: nothing to say
                else:
                    group = criteria.group(assessment.target_group)
                    result = score(group, criteria.pass_rule,
                                   {a.indicator: a.option for a in assessment.answers})
                    assessment.competence_points = result.by_competence
                done += 1
        filled += done
        if done < BATCH:
            return filled
