"""Recognition: approving and returning assessments one by one and in bulk, within the
officer's scope only; the decision stored and audited; the citizen told through their
channel in their own address form; deciding twice harmless."""

import html
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.console.recognition import (KIND, MAX_REASON, PRIORITY, RecognitionError, approve,
                                     check_reason, message_row, refusal, return_)
from storage.standing import status_of
from bot.delivery.dispatch import dispatch_due
from bot.inbound import receive
from messages_vi.gsm import segments, to_gsm
from storage.models import Assessment, AuditEntry, Citizen, Contact, Officer, Outbox
from webhooks.contract import InboundMessage

from .conftest import FAIL_LOW, FAIL_TOTAL, NOW, PASS, add_citizen

TYPICAL_REASON = "Câu 3 chưa có minh chứng, xin gửi ảnh giấy chứng nhận lớp học."


def stored(runtime, assessment_id: int) -> Assessment:
    with runtime.db.read() as session:
        return session.get(Assessment, assessment_id)


def outbox(runtime) -> list[Outbox]:
    with runtime.db.read() as session:
        return session.scalars(select(Outbox).order_by(Outbox.id)).all()


def audit(runtime) -> list[tuple]:
    with runtime.db.read() as session:
        return [(e.action, e.actor, e.target, e.detail) for e in
                session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def as_officer(session, username: str) -> Officer:
    officer = session.scalars(select(Officer).where(Officer.username == username)).one()
    officer.unit
    return officer


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def lan(runtime, officers):
    return add_citizen(runtime, "9001-1", "Nguyễn Thị Lan", points=PASS, zalo="7700001",
                       phone="+84912345678")


# --- one at a time -------------------------------------------------------------------

def test_approve_one(runtime, client_as, lan):
    client = client_as("xa")
    response = client.post_form(f"/admin/assessments/{lan.assessment_id}/approve")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/citizens/{lan.citizen_id}?period=2026"
    decided = stored(runtime, lan.assessment_id)
    assert (decided.decision, decided.decided_by, decided.decision_reason) == ("approved", "xa", None)
    assert decided.decided_at > decided.completed_at and status_of(decided) == "recognised"
    assert audit(runtime) == [("recognition.approve", "xa", f"assessment {lan.assessment_id}",
                               {"citizen": lan.citizen_id, "period": 2026})]
    [row] = outbox(runtime)
    assert (row.kind, row.channel, row.priority, row.status, row.citizen_id) == (
        KIND, "auto", PRIORITY, "queued", lan.citizen_id)
    assert row.dedup_key == f"recognition:{lan.assessment_id}:{decided.decided_at.timestamp():.6f}"
    assert row.text.startswith("Chúc mừng bác! Bác đã được Hội Khuyến học công nhận danh hiệu "
                               "Công dân học tập năm 2026.")
    assert row.sms_text == ("Chuc mung bac! Bac da duoc Hoi Khuyen hoc cong nhan danh hieu "
                            "Cong dan hoc tap nam 2026.")
    assert (row.segments, row.encoding) == (1, "GSM-7")
    assert row.template_data == {"name": "Nguyễn Thị Lan", "period": "2026"}
    after = page_text(client.get(response.headers["Location"]))
    assert "Đã công nhận bài tự đánh giá năm 2026" in after and "Đã công nhận" in after
    assert "Công nhận</button>" not in after        # nothing left to approve


def test_return_one_with_a_reason(runtime, client_as, lan):
    client = client_as("chihoi")
    response = client.post_form(f"/admin/assessments/{lan.assessment_id}/return",
                                {"reason": "  " + TYPICAL_REASON + " "})
    assert response.status_code == 303
    decided = stored(runtime, lan.assessment_id)
    assert (decided.decision, decided.decision_reason, decided.decided_by) == (
        "returned", TYPICAL_REASON, "chihoi")
    assert status_of(decided) == "returned"
    [(action, actor, _, detail)] = audit(runtime)
    assert (action, actor, detail["reason"]) == ("recognition.return", "chihoi", TYPICAL_REASON)
    [row] = outbox(runtime)
    assert f"Lý do: {TYPICAL_REASON}\n" in row.text          # one full stop, not two
    assert "bác nhắn SỬA và số câu (ví dụ: SỬA 3)" in row.text
    assert row.sms_text == ("Hoi Khuyen hoc tra lai bai CDHT 2026 cua bac: Cau 3 chua co minh chung, "
                            "xin gui anh giay chung nhan lop hoc. Gui SUA va so cau de sua (vd: SUA 3).")
    assert segments(row.sms_text).count == 1 and row.segments == 1
    assert row.template_data["reason"] == TYPICAL_REASON[:-1]
    page = page_text(client.get(f"/admin/citizens/{lan.citizen_id}"))
    assert "Đã trả lại" in page and TYPICAL_REASON in page and "chihoi" in page


@pytest.mark.parametrize("reason, message", [
    ("", "Cần ghi lý do trả lại"), ("   \n ", "Cần ghi lý do trả lại"),
    ("x" * (MAX_REASON + 1), f"Lý do dài quá: {MAX_REASON + 1} ký tự (tối đa {MAX_REASON})"),
], ids=["empty", "only spaces", "too long"])
def test_a_return_needs_a_reason(runtime, client_as, lan, reason, message):
    response = client_as("xa").post_form(f"/admin/assessments/{lan.assessment_id}/return",
                                         {"reason": reason})
    assert response.status_code == 400
    text = page_text(response)
    assert message in text and "Nguyễn Thị Lan" in text     # the citizen's page, with the error
    assert stored(runtime, lan.assessment_id).decision is None
    assert outbox(runtime) == [] and audit(runtime) == []


@pytest.mark.parametrize("points, answered, action, message", [
    (FAIL_LOW, None, "approve", "Bài chưa đạt chuẩn"),
    (FAIL_TOTAL, None, "approve", "Bài chưa đạt chuẩn"),
    (PASS, 5, "approve", "Bài tự đánh giá chưa hoàn thành."),
    (PASS, 5, "return", "Bài tự đánh giá chưa hoàn thành."),
], ids=["one indicator under 5", "total short", "unfinished", "unfinished, returned"])
def test_what_cannot_be_decided_is_refused(runtime, client_as, officers, points, answered, action,
                                           message):
    person = add_citizen(runtime, "9001", "Ngô Văn Trượt", points=points, answered=answered)
    path = f"/admin/assessments/{person.assessment_id}/{action}"
    response = client_as("xa").post_form(path, {"reason": "Xem lại"})
    assert response.status_code == 400 and message in page_text(response)
    assert stored(runtime, person.assessment_id).decision is None
    assert outbox(runtime) == [] and audit(runtime) == []


def test_a_completed_one_that_did_not_pass_can_be_returned(runtime, client_as, officers):
    person = add_citizen(runtime, "9001", "Ngô Văn Trượt", points=FAIL_LOW)
    response = client_as("xa").post_form(f"/admin/assessments/{person.assessment_id}/return",
                                         {"reason": "Câu 10 chưa trả lời đúng"})
    assert response.status_code == 303
    assert status_of(stored(runtime, person.assessment_id)) == "returned"


def test_deciding_twice_is_harmless(runtime, client_as, lan):
    client = client_as("xa")
    path = f"/admin/assessments/{lan.assessment_id}/approve"
    first, second = client.post_form(path), client.post_form(path)
    assert (first.status_code, second.status_code) == (303, 303)
    assert "Bài này đã được công nhận rồi." in page_text(client.get(second.headers["Location"]))
    assert len(outbox(runtime)) == 1 and len(audit(runtime)) == 1
    with runtime.db.transaction() as session:        # the service too: skipped, nothing sent
        outcome = approve(session, runtime, as_officer(session, "xa"), [lan.assessment_id], NOW)
    assert (outcome.done, outcome.messages) == ([], 0)
    assert outcome.skipped == {lan.assessment_id: "Bài đã được công nhận rồi."}
    assert len(outbox(runtime)) == 1


def test_completed_again_after_approval_waits_again(runtime, client_as, lan):
    client = client_as("xa")
    client.post_form(f"/admin/assessments/{lan.assessment_id}/approve")
    decided = stored(runtime, lan.assessment_id)
    with runtime.db.transaction() as session:       # the citizen edited an answer (SỬA 3)
        session.execute(update(Assessment).where(Assessment.id == lan.assessment_id)
                        .values(completed_at=decided.decided_at + timedelta(minutes=5)))
    assert status_of(stored(runtime, lan.assessment_id)) == "awaiting"
    queue = page_text(client.get("/admin/recognition?period=2026"))
    assert "Nguyễn Thị Lan" in queue and "đã sửa sau quyết định trước" in queue
    page = page_text(client.get(f"/admin/citizens/{lan.citizen_id}"))
    assert "bài cần được xem xét lại" in page and "Công nhận</button>" in page
    with runtime.db.transaction() as session:
        later = decided.decided_at + timedelta(minutes=10)
        outcome = approve(session, runtime, as_officer(session, "xa"), [lan.assessment_id], later)
    assert outcome.done == [lan.assessment_id] and len(outbox(runtime)) == 2


# --- many at once ----------------------------------------------------------------------

@pytest.fixture
def queue(runtime, officers):
    """Passed assessments in the commune, one that did not pass, and some outside it."""
    return {
        "lan": add_citizen(runtime, "9001-1", "Nguyễn Thị Lan", points=PASS, zalo="7700001"),
        "binh": add_citizen(runtime, "9001", "Phạm Văn Bình", points=PASS, phone="+84987654321"),
        "em": add_citizen(runtime, "9001", "Hoàng Minh Em", points=PASS, group="hoc_sinh",
                          birth_year=2012),
        "low": add_citizen(runtime, "9001", "Đặng Văn Thấp", points=FAIL_LOW),
        "sibling": add_citizen(runtime, "9002", "Trần Văn Bên", points=PASS),
        "outside": add_citizen(runtime, "9101", "Lê Thị Ngoài", points=PASS),
    }


def test_bulk_approve_acts_only_on_what_is_in_scope_and_eligible(runtime, client_as, queue):
    ids = [queue[k].assessment_id for k in ("lan", "binh", "low", "sibling", "outside")] + [999999]
    response = client_as("xa").post_form("/admin/recognition/bulk",
                                         {"action": "approve", "ids": ids, "period": "2026"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/recognition?period=2026"
    decisions = {k: stored(runtime, p.assessment_id).decision for k, p in queue.items()}
    assert decisions == {"lan": "approved", "binh": "approved", "em": None, "low": None,
                         "sibling": None, "outside": None}
    assert {r.citizen_id for r in outbox(runtime)} == {queue["lan"].citizen_id, queue["binh"].citizen_id}
    assert [a for a, *_ in audit(runtime)] == ["recognition.approve"] * 2
    with runtime.db.transaction() as session:
        outcome = approve(session, runtime, as_officer(session, "xa"), ids, NOW)
    assert outcome.done == [] and outcome.skipped[queue["outside"].assessment_id] == (
        "Không có bài này, hoặc bài nằm ngoài đơn vị của bạn.")
    assert outcome.skipped[queue["sibling"].assessment_id] == outcome.skipped[999999]


def test_bulk_reports_done_and_skipped(client_as, queue):
    client = client_as("xa")
    ids = [queue[k].assessment_id for k in ("lan", "low", "outside")]
    response = client.post_form("/admin/recognition/bulk", {"action": "approve", "ids": ids},
                                follow_redirects=True)
    text = page_text(response)
    assert "Đã công nhận 1 bài. Bỏ qua 2 bài:" in text
    assert "Bài chưa đạt chuẩn" in text and "nằm ngoài đơn vị của bạn" in text


def test_bulk_return_with_one_reason(runtime, client_as, queue):
    ids = [queue[k].assessment_id for k in ("lan", "em", "outside")]
    response = client_as("tinh").post_form("/admin/recognition/bulk", {
        "action": "return", "ids": ids, "reason": "Thiếu minh chứng"})
    assert response.status_code == 303
    assert stored(runtime, queue["outside"].assessment_id).decision is None
    rows = {r.citizen_id: r for r in outbox(runtime)}
    assert set(rows) == {queue["lan"].citizen_id, queue["em"].citizen_id}
    # each in their own address form: Lan (born 1956) is "bác", a pupil born 2012 "em"
    assert "của bác và trả lại để bác xem lại" in rows[queue["lan"].citizen_id].text
    assert "của em và trả lại để em xem lại" in rows[queue["em"].citizen_id].text
    assert rows[queue["em"].citizen_id].sms_text.startswith("Hoi Khuyen hoc tra lai bai CDHT 2026 cua em: "
                                                            "Thieu minh chung.")


BAD_BULK = [
    ("return without a reason", {"action": "return", "ids": ["LAN"], "reason": " "},
     "Cần ghi lý do trả lại"),
    ("no action", {"ids": ["LAN"]}, "Hãy chọn Công nhận hoặc Trả lại."),
    ("an unknown action", {"action": "delete", "ids": ["LAN"]}, "Hãy chọn Công nhận hoặc Trả lại."),
    ("nothing chosen", {"action": "approve"}, "Chưa chọn bài nào."),
    ("ids that are not numbers", {"action": "approve", "ids": ["1; DROP TABLE"]}, "Mã bài không hợp lệ."),
    ("too many", {"action": "approve", "ids": [str(i) for i in range(1, 502)]}, "tối đa 500 bài"),
]


@pytest.mark.parametrize("form, message", [c[1:] for c in BAD_BULK], ids=[c[0] for c in BAD_BULK])
def test_bad_bulk_requests_are_400(runtime, client_as, queue, form, message):
    form = {k: ([str(queue["lan"].assessment_id) if i == "LAN" else i for i in v]
                if isinstance(v, list) else v) for k, v in form.items()}
    response = client_as("xa").post_form("/admin/recognition/bulk", form)
    assert response.status_code == 400 and message in page_text(response)
    assert outbox(runtime) == [] and audit(runtime) == []


# --- the queue ---------------------------------------------------------------------------

QUEUES = [
    ("awaiting, the commune", "xa", {}, {"Nguyễn Thị Lan", "Phạm Văn Bình", "Hoàng Minh Em"}),
    ("the branch only", "xa", {"unit": "9001-1"}, {"Nguyễn Thị Lan"}),
    ("pupils only", "tinh", {"group": "hoc_sinh"}, {"Hoàng Minh Em"}),
    ("the province", "tinh", {}, {"Nguyễn Thị Lan", "Phạm Văn Bình", "Hoàng Minh Em", "Trần Văn Bên"}),
    ("another province", "khac", {}, {"Lê Thị Ngoài"}),
    ("another year", "tinh", {"period": "2025"}, set()),
]


@pytest.mark.parametrize("who, args, names", [c[1:] for c in QUEUES], ids=[c[0] for c in QUEUES])
def test_the_queue(client_as, queue, who, args, names):
    text = page_text(client_as(who).get("/admin/recognition", query_string={"period": 2026, **args}))
    everyone = {"Nguyễn Thị Lan", "Phạm Văn Bình", "Hoàng Minh Em", "Trần Văn Bên", "Lê Thị Ngoài",
                "Đặng Văn Thấp"}
    assert {n for n in everyone if n in text} == names
    assert f"{len(names)} bài chờ công nhận" in text


def test_the_returned_tab(runtime, client_as, queue):
    client = client_as("xa")
    client.post_form(f"/admin/assessments/{queue['binh'].assessment_id}/return",
                     {"reason": "Ảnh minh chứng bị mờ"})
    returned = page_text(client.get("/admin/recognition?period=2026&tab=returned"))
    assert "Phạm Văn Bình" in returned and "Ảnh minh chứng bị mờ" in returned
    assert "Nguyễn Thị Lan" not in returned and "1 bài đã trả lại" in returned
    awaiting = page_text(client.get("/admin/recognition?period=2026"))
    assert "Phạm Văn Bình" not in awaiting and 'data-select-all="ids"' in awaiting


def test_bad_queue_requests(client_as, queue):
    client = client_as("xa")
    assert client.get("/admin/recognition?tab=nope").status_code == 400
    assert client.get("/admin/recognition?period=x").status_code == 400
    assert client.get("/admin/recognition?unit=9101").status_code == 404
    assert client.get("/admin/recognition?unit=9002").status_code == 404


# --- scope and login ------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("post", "/admin/assessments/{lan}/approve"),
    ("post", "/admin/assessments/{lan}/return"),
    ("get", "/admin/citizens/{citizen}"),
    ("get", "/admin/recognition?unit=9001-1"),
    ("get", "/admin/citizens?unit=9001-1"),
], ids=["approve", "return", "citizen page", "queue of a unit", "list of a unit"])
def test_an_officer_of_another_unit_is_refused(runtime, client_as, queue, method, path):
    path = path.format(lan=queue["lan"].assessment_id, citizen=queue["lan"].citizen_id)
    client = client_as("khac")
    response = (client.post_form(path, {"reason": "Không hợp lệ"}) if method == "post"
                else client.get(path))
    assert response.status_code == 404
    assert stored(runtime, queue["lan"].assessment_id).decision is None and outbox(runtime) == []


def test_a_missing_assessment_is_404(client_as, queue):
    assert client_as("quantri").post_form("/admin/assessments/999999/approve").status_code == 404


def test_logged_out(app, runtime, queue):
    from .conftest import csrf_of
    client = app.test_client()
    path = f"/admin/assessments/{queue['lan'].assessment_id}/approve"
    assert client.post(path).status_code == 400                       # no CSRF token
    response = client.post(path, data={"csrf_token": csrf_of(client)})
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert client.get("/admin/recognition").status_code == 302
    assert stored(runtime, queue["lan"].assessment_id).decision is None


def test_an_admin_may_decide_anywhere(runtime, client_as, queue):
    response = client_as("quantri").post_form(f"/admin/assessments/{queue['outside'].assessment_id}/approve")
    assert response.status_code == 303
    assert stored(runtime, queue["outside"].assessment_id).decided_by == "quantri"


# --- the message and the dispatcher --------------------------------------------------

ADDRESSES = [
    # label, birth year, group, the approval's opening (Zalo), and (SMS)
    ("an elder", 1950, "nguoi_dan", "Chúc mừng bác! Bác đã", "Chuc mung bac! Bac da"),
    ("an adult", 1990, "nguoi_dan", "Chúc mừng anh/chị! Anh/chị đã", "Chuc mung anh/chi! Anh/chi da"),
    ("a pupil", 2012, "hoc_sinh", "Chúc mừng em! Em đã", "Chuc mung em! Em da"),
    ("a grown-up student", 2004, "hoc_sinh", "Chúc mừng bạn! Bạn đã", "Chuc mung ban! Ban da"),
]


@pytest.mark.parametrize("born, group, zalo, sms", [c[1:] for c in ADDRESSES], ids=[c[0] for c in ADDRESSES])
def test_the_citizen_is_addressed_as_they_are(runtime, born, group, zalo, sms):
    citizen = Citizen(id=1, name="A", birth_year=born, target_group=group)
    assessment = Assessment(id=7, period=2026, decision="approved", decided_at=NOW)
    row = message_row(runtime, assessment, citizen, NOW)
    assert row["text"].startswith(zalo) and row["sms_text"].startswith(sms)
    assert row["dedup_key"] == f"recognition:7:{NOW.timestamp():.6f}"


@pytest.mark.parametrize("reason, count", [
    ("Thiếu minh chứng câu 5", 1),
    (TYPICAL_REASON, 1),
    ("Câu 3 và câu 7 chưa có minh chứng; xin gửi ảnh giấy chứng nhận lớp học hoặc ảnh chụp buổi "
     "sinh hoạt ở nhà văn hoá thôn, kèm chú thích số câu.", 2),
    ("Xem lại. " * 55, 4),
], ids=["short", "typical", "long: two segments", "the longest allowed"])
def test_a_return_fits_one_sms_for_a_typical_reason_and_is_never_cut(runtime, reason, count):
    reason = reason.strip()[:MAX_REASON]
    worst = Citizen(id=1, name="A", birth_year=1990, target_group="nguoi_dan")   # "anh/chi": longest
    assessment = Assessment(id=7, period=2026, decision="returned", decision_reason=reason,
                            decided_at=NOW)
    row = message_row(runtime, assessment, worst, NOW)
    assert (segments(row["sms_text"]).count, row["segments"]) == (count, count)
    assert reason.rstrip(" .") in row["text"]                   # the officer's words, whole
    assert to_gsm(reason.rstrip(" .")) in row["sms_text"]


def test_an_opted_out_or_deleted_citizen_is_not_told(runtime, client_as, queue):
    stays, leaves, deleted = queue["lan"], queue["binh"], queue["em"]
    client_as("xa").post_form("/admin/recognition/bulk", {
        "action": "approve", "ids": [p.assessment_id for p in (stays, leaves, deleted)],
        "period": "2026"})
    with runtime.db.transaction() as session:
        session.execute(update(Citizen).where(Citizen.id == leaves.citizen_id).values(opted_out=True))
    # the pupil deletes their data (XÓA, then CÓ) through the bot
    with runtime.db.transaction() as session:
        session.add(Contact(channel="zalo", address="7700009", citizen_id=deleted.citizen_id,
                            last_inbound_at=NOW, created_at=NOW))
    later = datetime.now(timezone.utc) + timedelta(minutes=5)   # the approvals were queued now
    receive(runtime, InboundMessage("zalo", "m-xoa", "zalo", "7700009", "XÓA"), later)
    receive(runtime, InboundMessage("zalo", "m-co", "zalo", "7700009", "CÓ"), later)
    with runtime.db.read() as session:
        assert session.get(Citizen, deleted.citizen_id) is None
    dispatch_due(runtime, later + timedelta(minutes=1))
    rows = {r.dedup_key.split(":")[1]: r for r in outbox(runtime) if r.kind == KIND}
    assert (rows[str(leaves.assessment_id)].status,
            rows[str(leaves.assessment_id)].error) == ("cancelled", "opted out of announcements (HUY)")
    # the deletion itself cancels (and redacts) what still waits for them
    gone = rows[str(deleted.assessment_id)]
    assert (gone.status, gone.citizen_id) == ("cancelled", None) and "Chúc mừng" not in gone.text
    # no channel is configured in this app: the one still wanted is tried and found unreachable
    assert rows[str(stays.assessment_id)].status == "failed"


# --- the rules, without a database ----------------------------------------------------

def _assessment(status="completed", passed=True, decision=None, decided=None):
    completed = NOW if status == "completed" else None
    return Assessment(status=status, passed=passed, decision=decision, completed_at=completed,
                      decided_at=decided)


REFUSALS = [
    ("awaiting: approve", _assessment(), "approve", None),
    ("awaiting: return", _assessment(), "return", None),
    ("not passed: approve", _assessment(passed=False), "approve", "Bài chưa đạt chuẩn"),
    ("not passed: return", _assessment(passed=False), "return", None),
    ("unfinished", _assessment(status="in_progress", passed=None), "approve", "chưa hoàn thành"),
    ("recognised: approve again", _assessment(decision="approved", decided=NOW), "approve", "rồi"),
    ("recognised: return", _assessment(decision="approved", decided=NOW), "return", None),
    ("returned: return again", _assessment(decision="returned", decided=NOW), "return", "rồi"),
    ("returned: approve", _assessment(decision="returned", decided=NOW), "approve", None),
    ("approved, then changed", _assessment(decision="approved", decided=NOW - timedelta(hours=1)),
     "approve", None),
]


@pytest.mark.parametrize("assessment, action, why", [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_refusal(assessment, action, why):
    found = refusal(assessment, action)
    assert (found is None) if why is None else (why in found)


@pytest.mark.parametrize("reason, kept", [
    ("  Thiếu ảnh  ", "Thiếu ảnh"), ("x" * MAX_REASON, "x" * MAX_REASON), ("", None), (None, None),
    ("x" * (MAX_REASON + 1), None)], ids=["trimmed", "the longest", "empty", "none", "too long"])
def test_check_reason(reason, kept):
    if kept is None:
        with pytest.raises(RecognitionError):
            check_reason(reason)
    else:
        assert check_reason(reason) == kept


def test_the_service_keeps_to_the_scope(runtime, queue):
    with runtime.db.transaction() as session:
        outcome = return_(session, runtime, as_officer(session, "chihoi"),
                          [p.assessment_id for p in queue.values()], "Xem lại", NOW)
    assert outcome.done == [queue["lan"].assessment_id] and outcome.messages == 1
    assert len(outcome.skipped) == len(queue) - 1
