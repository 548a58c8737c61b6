"""The citizen list (search, filters, paging, masked phones) and one citizen's page
(answers as typed, evidence, the score explained), for officers of each level."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from bot.console.citizens import BadFilter, Filters, mask_phone, read_filters, show_phone
from bot.console.dossier import explain, pick_period, safe_url
from storage.models import Answer, Assessment, Citizen, Evidence, Unit

from .conftest import FAIL_LOW, FAIL_TOTAL, NOW, PASS, add_citizen

ROW = re.compile(r'<a href="/admin/citizens/(\d+)\?period=\d+">([^<]+)</a>')


def listed(client, **args) -> list[str]:
    """The names on the list page, in order (period 2026 unless asked)."""
    page = client.get("/admin/citizens", query_string={"period": 2026, **args})
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return [html.unescape(name) for _, name in ROW.findall(page.get_data(as_text=True))]


def decide(runtime, assessment_id: int, decision: str, reason: str | None = None) -> None:
    with runtime.db.transaction() as session:
        session.execute(update(Assessment).where(Assessment.id == assessment_id).values(
            decision=decision, decision_reason=reason, decided_by="xa", decided_at=NOW))


@pytest.fixture
def village(runtime, officers):
    """Citizens at every stage, in the test province and outside it."""
    people = {
        "lan": add_citizen(runtime, "9001-1", "Nguyễn Thị Lan", points=PASS, zalo="7700001",
                           phone="+84912345678"),
        "duc": add_citizen(runtime, "9001", "Đặng Văn Đức", points=FAIL_LOW, phone="+84987654321"),
        "lanh": add_citizen(runtime, "9002", "Trần Thị Lành", points=PASS, answered=4, zalo="7700002"),
        "hoa": add_citizen(runtime, "9001", "Lê Thị Hoa"),
        "binh": add_citizen(runtime, "9001", "Phạm Văn Bình", points=PASS),
        "mai": add_citizen(runtime, "9002", "Vũ Thị Mai", points=FAIL_TOTAL),
        "em": add_citizen(runtime, "9001-1", "Hoàng Minh Em", points=PASS, group="hoc_sinh",
                          birth_year=2012),
        "ngoai": add_citizen(runtime, "9101", "Nguyễn Thị Lan Ngoài", points=PASS, phone="+84911111111"),
        "cu": add_citizen(runtime, "9002", "Đỗ Văn Cũ", points=PASS, period=2025),
    }
    decide(runtime, people["binh"].assessment_id, "approved")
    decide(runtime, people["mai"].assessment_id, "returned", "Thiếu minh chứng")
    return people


SEARCHES = [
    ("folded", "nguyen thi lan", {"Nguyễn Thị Lan"}),
    ("with accents", "Nguyễn Thị Lan", {"Nguyễn Thị Lan"}),
    ("capitals", "NGUYEN THI LAN", {"Nguyễn Thị Lan"}),
    ("partial words", "thi lan", {"Nguyễn Thị Lan", "Trần Thị Lành"}),
    ("part of a word", "lan", {"Nguyễn Thị Lan", "Trần Thị Lành"}),
    ("đ folded", "dang van duc", {"Đặng Văn Đức"}),
    ("Đ typed", "ĐẶNG", {"Đặng Văn Đức"}),
    ("đ lower case", "đức", {"Đặng Văn Đức"}),
    ("extra spaces", "  nguyen   thi   lan ", {"Nguyễn Thị Lan"}),
    ("% is no wildcard", "%", set()),
    ("_ is no wildcard", "l_n", set()),
    ("nobody", "xyz", set()),
]


@pytest.mark.parametrize("q, found", [c[1:] for c in SEARCHES], ids=[c[0] for c in SEARCHES])
def test_search_by_name_ignores_accents_and_case(client_as, village, q, found):
    assert set(listed(client_as("tinh"), q=q)) == found


def test_officers_see_their_subtree_only(client_as, village):
    province = set(listed(client_as("tinh")))
    assert "Nguyễn Thị Lan Ngoài" not in province and "Nguyễn Thị Lan" in province
    assert set(listed(client_as("chihoi"))) == {"Nguyễn Thị Lan", "Hoàng Minh Em"}
    assert set(listed(client_as("khac"))) == {"Nguyễn Thị Lan Ngoài"}
    assert "Nguyễn Thị Lan Ngoài" in listed(client_as("quantri"))


STATUS_FILTERS = [
    ("not started", {"status": "not_started"}, {"Lê Thị Hoa", "Đỗ Văn Cũ"}),
    ("in progress", {"status": "in_progress"}, {"Trần Thị Lành"}),
    ("completed", {"status": "completed"},
     {"Nguyễn Thị Lan", "Đặng Văn Đức", "Phạm Văn Bình", "Vũ Thị Mai", "Hoàng Minh Em"}),
    ("passed", {"status": "passed"}, {"Nguyễn Thị Lan", "Phạm Văn Bình", "Hoàng Minh Em"}),
    ("not passed", {"status": "not_passed"}, {"Đặng Văn Đức", "Vũ Thị Mai"}),
    ("awaiting", {"status": "awaiting"}, {"Nguyễn Thị Lan", "Hoàng Minh Em"}),
    ("recognised", {"status": "recognised"}, {"Phạm Văn Bình"}),
    ("returned", {"status": "returned"}, {"Vũ Thị Mai"}),
    ("passed: yes", {"passed": "yes"}, {"Nguyễn Thị Lan", "Phạm Văn Bình", "Hoàng Minh Em"}),
    ("passed: no, started or not", {"passed": "no"},
     {"Đặng Văn Đức", "Trần Thị Lành", "Lê Thị Hoa", "Vũ Thị Mai", "Đỗ Văn Cũ"}),
    ("unit with its subtree", {"unit": "9001"},
     {"Nguyễn Thị Lan", "Đặng Văn Đức", "Lê Thị Hoa", "Phạm Văn Bình", "Hoàng Minh Em"}),
    ("a branch", {"unit": "9001-1"}, {"Nguyễn Thị Lan", "Hoàng Minh Em"}),
    ("target group", {"group": "hoc_sinh"}, {"Hoàng Minh Em"}),
    ("on Zalo", {"channel": "zalo"}, {"Nguyễn Thị Lan", "Trần Thị Lành"}),
    ("on SMS", {"channel": "sms"}, {"Nguyễn Thị Lan", "Đặng Văn Đức"}),
    ("another year", {"period": 2025, "status": "completed"}, {"Đỗ Văn Cũ"}),
    ("filters combine", {"unit": "9001", "status": "awaiting", "group": "nguoi_dan"},
     {"Nguyễn Thị Lan"}),
]


@pytest.mark.parametrize("args, found", [c[1:] for c in STATUS_FILTERS],
                         ids=[c[0] for c in STATUS_FILTERS])
def test_each_filter(client_as, village, args, found):
    assert set(listed(client_as("tinh"), **args)) == found


def test_the_status_column_and_points(client_as, village):
    page = client_as("tinh").get("/admin/citizens?period=2026&unit=9001").get_data(as_text=True)
    assert "Đã công nhận" in page and "Chờ công nhận" in page and "Chưa làm" in page
    lanh = client_as("tinh").get("/admin/citizens?period=2026&q=lanh").get_data(as_text=True)
    assert "Đang làm" in lanh and "40 (4 câu)" in lanh    # the first four of PASS


def test_pages_of_fifty_in_name_order(runtime, client_as, officers):
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "9002"))
        for i in range(55):
            session.add(Citizen(name=f"Công Dân {i:02d}", unit_id=unit_id, target_group="nguoi_dan",
                                consent=True, opted_out=False, registered_at=NOW, created_at=NOW))
        session.add(Citizen(name="Chưa Đăng Ký", unit_id=unit_id, created_at=NOW))   # not listed
    client = client_as("tinh")
    first = listed(client)
    assert first == [f"Công Dân {i:02d}" for i in range(50)]
    page = client.get("/admin/citizens?period=2026").get_data(as_text=True)
    assert "55 công dân" in page and "Trang 1/2" in page and "page=2" in page
    assert listed(client, page=2) == [f"Công Dân {i:02d}" for i in range(50, 55)]
    assert listed(client, page=3) == []


def test_same_names_go_by_id(runtime, client_as, officers):
    ids = [add_citizen(runtime, "9002", "Bùi Văn An").citizen_id for _ in range(3)]
    page = client_as("tinh").get("/admin/citizens?period=2026").get_data(as_text=True)
    assert [int(i) for i, _ in ROW.findall(page)] == sorted(ids)


PHONES = [
    # who, sees lan's number (+84912345678, a citizen of branch 9001-1) in full
    ("the branch's own officer", "chihoi", True),
    ("the commune above it", "xa", False),
    ("the province", "tinh", False),
    ("the admin", "quantri", False),
]


@pytest.mark.parametrize("who, full", [c[1:] for c in PHONES], ids=[c[0] for c in PHONES])
def test_phones_are_masked_except_for_the_citizens_own_unit(client_as, village, who, full):
    client = client_as(who)
    lists = client.get("/admin/citizens?period=2026&q=nguyen+thi+lan").get_data(as_text=True)
    page = client.get(f"/admin/citizens/{village['lan'].citizen_id}").get_data(as_text=True)
    for text in (lists, page):
        assert ("+84 912345678" in text) is full
        assert ("+84 91•••••78" in text) is not full
        assert full or "912345678" not in text


def test_citizens_without_a_unit_are_the_admins_only(runtime, client_as, village):
    lost = add_citizen(runtime, "9001", "Mất Đơn Vị")
    with runtime.db.transaction() as session:
        session.execute(update(Citizen).where(Citizen.id == lost.citizen_id).values(unit_id=None))
    assert "Mất Đơn Vị" not in listed(client_as("tinh"))
    assert client_as("tinh").get(f"/admin/citizens/{lost.citizen_id}").status_code == 404
    admin = client_as("quantri")
    assert "Mất Đơn Vị" in listed(admin)
    assert "(chưa có đơn vị)" in admin.get(f"/admin/citizens/{lost.citizen_id}").get_data(as_text=True)


BAD_ARGS = [
    ("unknown status", {"status": "nope"}, "Trạng thái không hợp lệ"),
    ("unknown group", {"group": "nope"}, "Đối tượng không hợp lệ"),
    ("unknown channel", {"channel": "fax"}, "Kênh không hợp lệ"),
    ("passed is yes or no", {"passed": "maybe"}, "Lọc theo kết quả không hợp lệ"),
    ("year not a number", {"period": "abc"}, "Năm phải là một số"),
    ("year out of range", {"period": "99999"}, "Năm phải từ 2000 đến 2100"),
    ("page zero", {"page": "0"}, "Trang phải từ 1"),
    ("page not a number", {"page": "x"}, "Trang phải là một số"),
    ("a novel as a name", {"q": "a" * 101}, "Tên tìm kiếm dài quá"),
]


@pytest.mark.parametrize("args, message", [c[1:] for c in BAD_ARGS], ids=[c[0] for c in BAD_ARGS])
def test_bad_filters_are_400_with_a_reason(client_as, officers, args, message):
    page = client_as("tinh").get("/admin/citizens", query_string=args)
    assert page.status_code == 400 and message in page.get_data(as_text=True)


def test_read_filters_defaults_to_this_year_in_vietnam():
    # 17:30 UTC on 31 December is already the new year in Hà Nội
    from datetime import datetime, timezone
    eve = datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc)
    assert read_filters({}, {}, eve) == Filters(period=2027)
    with pytest.raises(BadFilter):
        read_filters({"group": "x"}, {"nguoi_dan": "Người dân"}, eve)


MASKS = [
    ("Vietnamese mobile", "+84912345678", "+84 91•••••78"),
    ("Vietnamese landline", "+842213000101", "+84 22••••••01"),
    ("another country", "+6591234567", "+65••••••67"),
    ("too short to show", "+841234", "+84 ••••"),
    ("none", None, ""),
]


@pytest.mark.parametrize("phone, masked", [c[1:] for c in MASKS], ids=[c[0] for c in MASKS])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_show_phone_in_full():
    assert show_phone("+84912345678", True) == "+84 912345678"
    assert show_phone("+84912345678", False) == "+84 91•••••78"


def test_the_citizens_page_shows_each_answer_and_the_score(runtime, client_as, village):
    lan = village["lan"]
    with runtime.db.transaction() as session:
        session.execute(update(Answer).where(Answer.assessment_id == lan.assessment_id,
                                             Answer.indicator == "doc_tin_tuc")
                        .values(raw_text="thuong xuyen a"))
    page = client_as("xa").get(f"/admin/citizens/{lan.citizen_id}").get_data(as_text=True)
    text = html.unescape(page)
    assert "Bài tự đánh giá năm 2026" in text and "Chờ công nhận" in text
    assert "“thuong xuyen a”" in text and "1. Thường xuyên" in text     # as typed, as read
    assert "Đọc, xem tin tức" in text and "Năng lực tự học, học tập suốt đời" in text
    assert "7/10" in text and "2. Làm được" in text                       # PASS has two 7s
    assert "94/100" in text and "Đạt: 94 điểm" in text
    assert "Năng lực sử dụng các công cụ tương tác: 34/40" in re.sub(r"<[^>]+>", "", text)
    assert "Cần ít nhất 80/100 điểm và không tiêu chí nào dưới 5 điểm." in text
    assert "Xã An Bình" in text and "Nguyễn Thị Lan" in text and "Đã đồng ý" in text
    assert 'href="/admin/units/9001-1"' in page and 'href="/admin/citizens?unit=9001-1"' in page


@pytest.mark.parametrize("points, why", [
    (FAIL_LOW, "Câu 10 (Góp sức việc chung) được 0 điểm, dưới mức tối thiểu 5 điểm."),
    (FAIL_TOTAL, "Tổng điểm 76, còn thiếu 4 điểm để đạt 80."),
], ids=["one indicator under 5", "total short"])
def test_the_page_says_exactly_why_it_did_not_pass(runtime, client_as, officers, points, why):
    person = add_citizen(runtime, "9001", "Ngô Văn Trượt", points=points)
    page = html.unescape(client_as("xa").get(f"/admin/citizens/{person.citizen_id}").get_data(as_text=True))
    assert "Chưa đạt, vì:" in page and why in page
    other = ("Tổng điểm" if points is FAIL_LOW else "dưới mức tối thiểu 5 điểm.")
    assert other not in page.split("Chưa đạt, vì:")[1]


def test_unanswered_questions_show_as_such(runtime, client_as, officers):
    person = add_citizen(runtime, "9001", "Đinh Thị Dở", points=PASS, answered=3)
    page = html.unescape(client_as("xa").get(f"/admin/citizens/{person.citizen_id}").get_data(as_text=True))
    assert page.count("Chưa trả lời") == 7
    assert "Chưa hoàn thành: mới trả lời 3/10 câu" in page
    assert "Công nhận</button>" not in page and "Trả lại</button>" not in page


def test_evidence_is_shown_by_indicator(runtime, client_as, village):
    lan = village["lan"]
    rows = [("doc_tin_tuc", "image", "https://zalo.example/photo1.jpg",
             "https://zalo.example/thumb1.jpg", "anh1.jpg"),
            ("giup_do_cong_dong", "file", "https://zalo.example/giay.pdf", None, "giay-khen.pdf"),
            (None, "image", "https://zalo.example/loose.jpg", None, None),
            ("doc_tin_tuc", "file", "javascript:alert(1)", None, "mã độc")]
    with runtime.db.transaction() as session:
        session.execute(insert(Evidence), [
            {"citizen_id": lan.citizen_id, "assessment_id": lan.assessment_id, "indicator": i,
             "kind": k, "url": u, "thumbnail": t, "name": n, "provider": "zalo",
             "external_id": f"m{j}", "received_at": NOW} for j, (i, k, u, t, n) in enumerate(rows)])
    page = client_as("xa").get(f"/admin/citizens/{lan.citizen_id}").get_data(as_text=True)
    first = page.split("Đọc, xem tin tức")[1].split("</tr>")[0]
    assert '<a class="proof" href="https://zalo.example/photo1.jpg"' in first
    assert '<img src="https://zalo.example/thumb1.jpg"' in first
    last = page.split("Góp sức việc chung")[1].split("</tr>")[0]
    assert 'href="https://zalo.example/giay.pdf"' in last and "giay-khen.pdf" in last
    assert "Minh chứng chưa gắn với câu nào" in page and "https://zalo.example/loose.jpg" in page
    assert "javascript:" not in page and "mã độc" in page


def test_other_years_are_linked(runtime, client_as, officers):
    person = add_citizen(runtime, "9001", "Hai Năm", points=PASS, period=2025)
    with runtime.db.transaction() as session:
        session.add(Assessment(citizen_id=person.citizen_id, period=2026, criteria_set=runtime.criteria.id,
                               criteria_version=runtime.criteria.version, target_group="nguoi_dan",
                               status="in_progress", started_at=NOW, updated_at=NOW))
    client = client_as("xa")
    page = client.get(f"/admin/citizens/{person.citizen_id}?period=2026").get_data(as_text=True)
    assert f'href="/admin/citizens/{person.citizen_id}?period=2025"' in page
    older = client.get(f"/admin/citizens/{person.citizen_id}?period=2025").get_data(as_text=True)
    assert "Bài tự đánh giá năm 2025" in older and "Đạt: 94 điểm" in older
    none = client.get(f"/admin/citizens/{person.citizen_id}?period=2020").get_data(as_text=True)
    assert "Chưa có bài tự đánh giá năm 2020." in none
    assert client.get(f"/admin/citizens/{person.citizen_id}?period=abc").status_code == 400


def test_the_decision_history_shows_who_and_when_in_vietnam_time(runtime, client_as, village):
    mai = village["mai"]
    page = html.unescape(client_as("tinh").get(f"/admin/citizens/{mai.citizen_id}").get_data(as_text=True))
    assert "Đã trả lại" in page and "Thiếu minh chứng" in page and "xa" in page
    assert "20/11/2026 10:00" in page      # NOW is 03:00 UTC


@pytest.mark.parametrize("periods, asked, current, shown", [
    ([2026, 2025], None, 2026, 2026), ([2025, 2024], None, 2026, 2025), ([], None, 2026, 2026),
    ([2026], 2024, 2026, 2024)], ids=["this year", "the latest", "none yet", "asked for"])
def test_pick_period(periods, asked, current, shown):
    assert pick_period(periods, asked, current) == shown


def test_explain_without_a_database(runtime):
    criteria = runtime.criteria
    ids = [i.id for i in criteria.group("nguoi_dan").indicators]
    options = {i: 1 for i in ids} | {ids[2]: 4, ids[6]: 3}   # 0 and 4 points
    result = explain(criteria, "nguoi_dan", options)
    assert (result.total, result.passed, result.complete) == (84, False, True)
    assert result.reasons == ["Câu 3 (Sinh hoạt cộng đồng) được 0 điểm, dưới mức tối thiểu 5 điểm.",
                              "Câu 7 (Ghi chép thu chi) được 4 điểm, dưới mức tối thiểu 5 điểm."]
    assert [c[1:] for c in result.competences] == [(30, 40), (34, 40), (20, 20)]
    assert result.competences[0][0] == "Năng lực tự học, học tập suốt đời"


@pytest.mark.parametrize("url, kept", [("https://zalo.me/a.jpg", True), ("http://x.vn/a", True),
                                       ("javascript:alert(1)", False), ("data:text/html,x", False),
                                       ("", False), (None, False)],
                         ids=["https", "http", "javascript", "data", "empty", "none"])
def test_safe_url(url, kept):
    assert safe_url(url) == (url if kept else None)


def test_out_of_scope_and_logged_out(app, client_as, village):
    ngoai, lan = village["ngoai"], village["lan"]
    assert client_as("xa").get(f"/admin/citizens/{ngoai.citizen_id}").status_code == 404
    assert client_as("chihoi").get(f"/admin/citizens/{village['duc'].citizen_id}").status_code == 404
    assert client_as("khac").get(f"/admin/citizens/{lan.citizen_id}").status_code == 404
    assert client_as("xa").get("/admin/citizens/999999").status_code == 404
    assert client_as("xa").get("/admin/citizens?unit=9101").status_code == 404
    assert client_as("xa").get("/admin/citizens?unit=9002").status_code == 404   # a sibling
    assert client_as("xa").get("/admin/citizens?unit=khong-co").status_code == 404
    anonymous = app.test_client()
    for path in ("/admin/citizens", f"/admin/citizens/{lan.citizen_id}"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_pages_use_no_inline_script_or_style(client_as, village):
    client = client_as("xa")
    for path in ("/admin/citizens?period=2026", f"/admin/citizens/{village['lan'].citizen_id}"):
        page = client.get(path).get_data(as_text=True)
        assert "style=" not in page and "<style" not in page
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert "citizens.css" in page
    assert client.get("/admin/static/citizens.css").status_code == 200


def test_registered_citizens_only(runtime, client_as, officers):
    add_citizen(runtime, "9001", "Đã Đăng Ký")
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "9001"))
        session.add(Citizen(name="Đang Đăng Ký", unit_id=unit_id, created_at=NOW - timedelta(days=1)))
    assert listed(client_as("xa")) == ["Đã Đăng Ký"]
