"""Where a citizen stands in a period, the one definition every page, chart and export
uses (so the dashboard's figures equal the reports').

- registered: the citizen finished registration (`registered_at` is set);
- not started: registered, no assessment this period;
- in progress / completed: the assessment's status;
- passed: completed and passed;
- recognised: passed, and an officer approved it after its last completion (an answer
  changed after the approval puts it back to "awaiting");
- awaiting: passed, with no decision taken on the answers as they are now (only a
  passed assessment can be recognised; any completed one can be returned);
- returned: completed, returned by an officer, not completed again since.
"""

from sqlalchemy import and_, or_

from .models import Assessment

DECISION_CURRENT = and_(Assessment.decided_at.is_not(None),
                        Assessment.decided_at >= Assessment.completed_at)
COMPLETED = Assessment.status == "completed"
RECOGNISED = and_(COMPLETED, Assessment.passed.is_(True), Assessment.decision == "approved",
                  DECISION_CURRENT)
RETURNED = and_(COMPLETED, Assessment.decision == "returned", DECISION_CURRENT)
AWAITING = and_(COMPLETED, Assessment.passed.is_(True),
                or_(Assessment.decided_at.is_(None), Assessment.decided_at < Assessment.completed_at))

# the citizen list's status filter: value → label
STATUSES = {
    "not_started": "Chưa làm",
    "in_progress": "Đang làm",
    "completed": "Đã hoàn thành",
    "passed": "Đạt",
    "not_passed": "Chưa đạt",
    "awaiting": "Chờ công nhận",
    "recognised": "Đã công nhận",
    "returned": "Đã trả lại",
}


def status_of(assessment: Assessment | None) -> str:
    """One citizen's status key (see STATUSES) from their assessment of the period."""
    if assessment is None:
        return "not_started"
    if assessment.status != "completed":
        return "in_progress"
    current = assessment.decided_at is not None and assessment.decided_at >= assessment.completed_at
    if current and assessment.decision == "approved" and assessment.passed:
        return "recognised"
    if current and assessment.decision == "returned":
        return "returned"
    return "awaiting" if assessment.passed else "not_passed"
