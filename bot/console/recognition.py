"""Recognition: an officer approves a completed, passed assessment (the title Công dân
học tập for that year), or returns a completed one with a reason. Plain functions of a
session and `now`; the pages (pages/recognition.py, pages/citizens.py) are thin hosts.

The contract:
- only assessments in the officer's scope are acted on; an id outside it is skipped
  exactly like one that does not exist;
- a decision stores decision, reason, decided_by (username) and decided_at, and writes
  an audit entry in the same transaction; it holds for the answers as they are
  (status.py): completed again afterwards, the assessment waits again;
- deciding the same way twice is a no-op (skipped, nothing sent), and the rows are
  locked while deciding, so a double click approves once;
- the citizen is told through their channel: an outbox row planned for the citizen
  ("auto": Zalo CS → ZNS → SMS, held in quiet hours; the dispatcher cancels it if they
  have opted out or deleted their data by then), deduplicated by
  "recognition:<assessment id>:<decided_at timestamp, to the microsecond>".
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from storage.models import Assessment, Citizen, Officer, Unit

from ..outreach.personal import insert_new, personal_row
from .audit import record
from .scope import Scope
from storage.standing import AWAITING, RETURNED, status_of

MAX_REASON = 500
MAX_IDS = 500
# between reminders (5) and replies (10): like every message that is not a reply, it
# waits for the send window
PRIORITY = 6
KIND = "recognition"
DECISIONS = {"approve": "approved", "return": "returned"}
MESSAGES = {"approved": "recognition.approved", "returned": "recognition.returned"}
NOT_FOUND = "Không có bài này, hoặc bài nằm ngoài đơn vị của bạn."


class RecognitionError(ValueError):
    """The request cannot be carried out as asked (no reason, too many ids...)."""


@dataclass
class Outcome:
    done: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)   # id → why, in Vietnamese
    messages: int = 0                                        # outbox rows planned


def check_reason(reason: str | None) -> str:
    """The reason as stored (trimmed); RecognitionError if empty or too long."""
    reason = (reason or "").strip()
    if not reason:
        raise RecognitionError("Cần ghi lý do trả lại, để công dân biết phải sửa gì.")
    if len(reason) > MAX_REASON:
        raise RecognitionError(f"Lý do dài quá: {len(reason)} ký tự (tối đa {MAX_REASON}).")
    return reason


def refusal(assessment: Assessment, action: str) -> str | None:
    """Why this assessment cannot be approved / returned now, or None."""
    if assessment.status != "completed":
        return "Bài tự đánh giá chưa hoàn thành."
    status = status_of(assessment)
    if action == "approve":
        if not assessment.passed:
            return "Bài chưa đạt chuẩn Công dân học tập nên không công nhận được."
        if status == "recognised":
            return "Bài đã được công nhận rồi."
    elif status == "returned":
        return "Bài đã được trả lại rồi."
    return None


def approve(session, runtime, officer: Officer, assessment_ids, now: datetime) -> Outcome:
    return _decide(session, runtime, officer, assessment_ids, "approve", None, now)


def return_(session, runtime, officer: Officer, assessment_ids, reason: str | None,
            now: datetime) -> Outcome:
    return _decide(session, runtime, officer, assessment_ids, "return", check_reason(reason), now)


def _decide(session, runtime, officer, assessment_ids, action: str, reason: str | None,
            now: datetime) -> Outcome:
    ids = sorted(set(assessment_ids))
    if not ids:
        raise RecognitionError("Chưa chọn bài nào.")
    if len(ids) > MAX_IDS:
        raise RecognitionError(f"Mỗi lần xử lý tối đa {MAX_IDS} bài.")
    query = (select(Assessment, Citizen).join(Citizen, Citizen.id == Assessment.citizen_id)
             .where(Assessment.id.in_(ids)).order_by(Assessment.id)
             .with_for_update(of=Assessment)
             # read again under the lock, even if this session holds the row already
             .execution_options(populate_existing=True))
    found = {a.id: (a, c) for a, c in session.execute(Scope.of(officer).citizens(query))}
    outcome, rows = Outcome(), []
    for assessment_id in ids:
        if assessment_id not in found:
            outcome.skipped[assessment_id] = NOT_FOUND
            continue
        assessment, citizen = found[assessment_id]
        why = refusal(assessment, action)
        if why:
            outcome.skipped[assessment_id] = why
            continue
        assessment.decision, assessment.decision_reason = DECISIONS[action], reason
        assessment.decided_by, assessment.decided_at = officer.username, now
        record(session, officer.username, f"recognition.{action}", f"assessment {assessment.id}",
               now, citizen=citizen.id, period=assessment.period,
               **({"reason": reason} if reason else {}))
        rows.append(message_row(runtime, assessment, citizen, now))
        outcome.done.append(assessment_id)
    outcome.messages = insert_new(session, rows)
    return outcome


def message_row(runtime, assessment: Assessment, citizen: Citizen, now: datetime) -> dict:
    """The citizen's news of the decision, in both forms, addressed as they are."""
    params = {"period": assessment.period}
    template = {"name": citizen.name or "", "period": str(assessment.period)}
    if assessment.decision == "returned":
        # the reason as typed; only a final full stop goes, the message adds its own
        params["reason"] = template["reason"] = assessment.decision_reason.rstrip(" .;,")
    # to the microsecond: an approval and a return a moment apart are two messages
    dedup = f"recognition:{assessment.id}:{assessment.decided_at.timestamp():.6f}"
    return personal_row(runtime, citizen, MESSAGES[assessment.decision], params, KIND, PRIORITY,
                        dedup, now, template=template)


@dataclass(frozen=True)
class Waiting:
    """One row of the recognition queue."""
    assessment_id: int
    citizen_id: int
    name: str
    birth_year: int | None
    unit: str
    group: str
    total: int | None
    passed: bool | None
    completed_at: datetime | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    decided_before: bool      # decided once, then the answers changed


TABS = {"awaiting": "Chờ công nhận", "returned": "Đã trả lại"}


def queue(session, scope, tab: str, filters, unit, groups, page_size: int):
    """(rows, total) of the assessments awaiting a decision, or returned, in the scope, for
    the filters' period, unit subtree and target group."""
    place = aliased(Unit)
    query = (select(Assessment, Citizen, place).join(Citizen, Citizen.id == Assessment.citizen_id)
             .outerjoin(place, place.id == Citizen.unit_id)
             .where(AWAITING if tab == "awaiting" else RETURNED, Assessment.period == filters.period))
    query = scope.citizens(query)
    if unit is not None:
        query = query.where(Citizen.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(unit.path, autoescape=True))))
    if filters.group:
        query = query.where(Assessment.target_group == filters.group)
    total = session.scalar(select(func.count()).select_from(
        query.with_only_columns(Assessment.id).subquery()))
    order = ((Assessment.completed_at, Assessment.id) if tab == "awaiting"
             else (Assessment.decided_at.desc(), Assessment.id))
    found = session.execute(query.order_by(*order).limit(page_size)
                            .offset((filters.page - 1) * page_size))
    rows = [Waiting(assessment_id=a.id, citizen_id=c.id, name=c.name or "(chưa có tên)",
                    birth_year=c.birth_year, unit=f"{u.name} ({u.code})" if u else "",
                    group=groups.get(a.target_group, a.target_group), total=a.total, passed=a.passed,
                    completed_at=a.completed_at, decision_reason=a.decision_reason,
                    decided_by=a.decided_by, decided_at=a.decided_at,
                    decided_before=tab == "awaiting" and a.decided_at is not None)
            for a, c, u in found]
    return rows, total
