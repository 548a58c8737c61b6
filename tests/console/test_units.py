"""The unit pages: the tree with counts, a unit's page, moving and merging, and the
scope on each (an officer of 9001 sees and changes nothing outside /90/9001/).
Files (upload, preview, confirm) are in test_units_import.py."""

import html
import re

import pytest
from sqlalchemy import event, select

from bot.units import counts
from storage.models import Answer, Assessment, Broadcast, Citizen, Course, Officer, Unit

from .conftest import FAIL_TOTAL, NOW, PASS, add_citizen, add_units
from .unit_helpers import audit, registers_to, text_of


def line_of(page: str, code: str) -> str:
    """The tree's line for a unit: its name, code, kind and counts, as read."""
    start = page.index(f'href="/admin/units/{code}"')
    return text_of(page[start:page.index("Áp phích", start)].split(">", 1)[1])


def units_by_code(runtime) -> dict[str, Unit]:
    with runtime.db.read() as session:
        return {u.code: u for u in session.scalars(select(Unit).where(Unit.path.like("/9%")))}


@pytest.fixture
def people(runtime, tree):
    """9001-1: one passed, one failed; 9001: one passed, one halfway; 9002: registered
    only; 9101 (another province): one passed."""
    return {
        "lan": add_citizen(runtime, "9001-1", "Trần Thị Lan", points=PASS),
        "hoa": add_citizen(runtime, "9001-1", "Lê Thị Hoa", points=FAIL_TOTAL),
        "an": add_citizen(runtime, "9001", "Nguyễn Văn An", points=PASS),
        "binh": add_citizen(runtime, "9001", "Phạm Văn Bình", points=PASS, answered=3),
        "cuc": add_citizen(runtime, "9002", "Đỗ Thị Cúc"),
        "xa": add_citizen(runtime, "9101", "Hồ Văn Xa", points=PASS),
    }


# -- the tree and its counts ----------------------------------------------------------------

EXPECTED = {"90": (5, 3, 2), "9001": (4, 3, 2), "9001-1": (2, 2, 1), "9002": (1, 0, 0),
            "9100": (1, 1, 1), "9101": (1, 1, 1)}


def test_counts_roll_up_each_subtree_in_two_queries(runtime, people):
    statements = []
    listen = lambda *args: statements.append(args[2])   # noqa: E731
    event.listen(runtime.db.engine, "before_cursor_execute", listen)
    try:
        with runtime.db.read() as session:
            tops = counts.tree(session, None, 2026)
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", listen)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    found, stack = {}, list(tops)
    while stack:
        node = stack.pop()
        found[node.code] = (node.registered, node.completed, node.passed)
        stack.extend(node.children)
    assert {c: found[c] for c in EXPECTED} == EXPECTED
    assert found["33"] == (0, 0, 0)


def test_counts_of_another_year_leave_out_its_assessments(runtime, people):
    with runtime.db.read() as session:
        [top] = counts.tree(session, "/90/", 2025)
    assert (top.code, top.registered, top.completed, top.passed) == ("90", 5, 0, 0)


@pytest.mark.parametrize("who, shown, hidden", [
    ("tinh", ["90", "9001", "9001-1", "9002"], ["9100", "9101", "33"]),
    ("xa", ["9001", "9001-1"], ["90", "9002", "9101"]),
    ("chihoi", ["9001-1"], ["9001", "9002"]),
    ("khac", ["9100", "9101"], ["90", "9001"]),
    ("quantri", ["90", "9001", "9100", "33", "12364-1"], []),
], ids=["province", "commune", "branch", "other", "admin"])
def test_the_tree_shows_the_subtree_with_its_counts(client_as, people, who, shown, hidden):
    page = client_as(who).get("/admin/units?period=2026").get_data(as_text=True)
    for code in shown:
        line = line_of(page, code)
        registered, completed, passed = EXPECTED.get(code, (0, 0, 0))
        assert f"{registered} đăng ký · {completed} hoàn thành · {passed} đạt" in line, line
        assert f'href="/admin/units/{code}/poster"' in page
    for code in hidden:
        assert f'href="/admin/units/{code}"' not in page
    assert ("Nhập đơn vị hành chính (2025)" in page) == (who == "quantri")


def test_a_unit_line_reads_name_code_and_kind(client_as, people):
    page = client_as("tinh").get("/admin/units?period=2026").get_data(as_text=True)
    assert line_of(page, "9001-1") == ("Chi hội Khuyến học thôn Đông, Xã An Bình 9001-1 · chi hội "
                                       "2 đăng ký · 2 hoàn thành · 1 đạt")
    assert "<details open>" in page     # one top unit: opened


@pytest.mark.parametrize("who, query, found", [
    ("tinh", "an binh", ["9001", "9001-1"]),
    ("tinh", "BÌNH MINH", ["9002"]),
    ("tinh", "9001.1", ["9001-1"]),
    ("tinh", "ngoai pham vi", []),
    ("xa", "binh minh", []),
    ("quantri", "tien lu", ["12364", "12364-1"]),
], ids=["folded", "upper-marked", "code-other-separator", "outside", "outside-commune", "admin"])
def test_search_by_code_or_name_without_marks(client_as, people, who, query, found):
    page = client_as(who).get("/admin/units", query_string={"q": query}).get_data(as_text=True)
    listed = re.findall(r'<td><a href="/admin/units/([^"]+)">', page)
    assert listed == found
    if not found:
        assert "Không có đơn vị nào có mã hoặc tên như vậy trong phạm vi của bạn." in text_of(page)


@pytest.mark.parametrize("period", ["abc", "1999", "20261"])
def test_a_bad_year_is_a_clear_400(client_as, tree, period):
    response = client_as("tinh").get(f"/admin/units?period={period}")
    assert response.status_code == 400
    assert "Năm đánh giá không hợp lệ" in response.get_data(as_text=True)


def test_a_unit_page_shows_its_chain_children_and_counts(client_as, people):
    page = client_as("xa").get("/admin/units/9001-1?period=2026").get_data(as_text=True)
    text = text_of(page)
    assert "Đơn vị › Xã An Bình" in text          # the chain stops at the officer's unit
    assert 'href="/admin/units/90"' not in page
    assert "2 Đã đăng ký 2 Đã hoàn thành (2026) 1 Đạt danh hiệu (2026)" in text
    assert 'href="/admin/units/9001-1/poster"' in page
    province = client_as("tinh").get("/admin/units/90?period=2026").get_data(as_text=True)
    rows = re.findall(r'<tr>\s*<td><a href="/admin/units/([^"]+)">.*?</tr>', province, re.S)
    assert rows == ["9001", "9002"]
    assert "Xã An Bình 9001 xã 4 3 2" in text_of(province)
    assert 'id="reshape"' not in province        # the officer's own unit


# -- scope --------------------------------------------------------------------------------

@pytest.mark.parametrize("who, method, path, data", [
    ("xa", "get", "/admin/units/9002", None),
    ("xa", "get", "/admin/units/90", None),
    ("chihoi", "get", "/admin/units/9001", None),
    ("khac", "get", "/admin/units/9001-1", None),
    ("tinh", "get", "/admin/units/9101", None),
    ("xa", "get", "/admin/units/khong-co-1", None),
    ("xa", "post", "/admin/units/9002/move", {"parent": "9001"}),
    ("xa", "post", "/admin/units/9001-1/move", {"parent": "9002"}),
    ("xa", "post", "/admin/units/9001-1/move", {"parent": "9101"}),
    ("khac", "post", "/admin/units/9001-1/move", {"parent": "9100"}),
    ("xa", "post", "/admin/units/9002/merge", {"target": "9001"}),
    ("xa", "post", "/admin/units/9001-1/merge", {"target": "9002"}),
    ("tinh", "post", "/admin/units/9001/merge", {"target": "9101"}),
    ("khac", "post", "/admin/units/9001/merge", {"target": "9101"}),
    ("tinh", "post", "/admin/units/9001/merge", {"target": "khong-co-9"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_outside_the_subtree_is_not_found_and_nothing_changes(client_as, people, runtime,
                                                              who, method, path, data):
    before = {c: (u.path, u.parent_id, u.active) for c, u in units_by_code(runtime).items()}
    client = client_as(who)
    response = client.get(path) if method == "get" else client.post_form(path, data)
    assert response.status_code == 404
    assert {c: (u.path, u.parent_id, u.active) for c, u in units_by_code(runtime).items()} == before
    assert audit(runtime, "unit.move") == audit(runtime, "unit.merge") == []


def test_unit_pages_need_a_login(app, tree):
    client = app.test_client()
    assert client.get("/admin/units/9001").status_code == 302
    assert client.post("/admin/units/9001/move", data={"parent": "9002"}).status_code == 400  # no CSRF


# -- moving -------------------------------------------------------------------------------

@pytest.fixture
def deeper(runtime, tree):
    """A hamlet club under the branch, to see a whole subtree move."""
    with runtime.db.transaction() as session:
        add_units(session, [("9001-1.1", "Câu lạc bộ thôn Đông", "club", "9001-1")])
    runtime.units_changed()


def test_moving_a_subtree_rewrites_every_path_and_keeps_its_citizens(client_as, runtime, people,
                                                                     deeper):
    response = client_as("tinh").post_form("/admin/units/9001-1/move", {"parent": "9002"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/units/9001-1"
    units = units_by_code(runtime)
    assert units["9001-1"].path == "/90/9002/9001-1/"
    assert units["9001-1"].parent_id == units["9002"].id
    assert units["9001-1.1"].path == "/90/9002/9001-1/9001-1.1/"
    assert units["9001"].path == "/90/9001/"
    with runtime.db.read() as session:
        [top] = counts.tree(session, "/90/", 2026)
    assert [(c.code, c.registered, c.passed) for c in top.children] == [("9001", 2, 1), ("9002", 3, 1)]
    [entry] = audit(runtime, "unit.move")
    assert (entry.actor, entry.target, entry.detail) == (
        "tinh", "unit 9001-1", {"old_parent": "9001", "new_parent": "9002", "units": 2})
    assert registers_to(runtime, "DK 9001-1") == "9001-1"


def test_moving_to_where_it_is_changes_nothing(client_as, runtime, tree):
    response = client_as("tinh").post_form("/admin/units/9001-1/move", {"parent": "9001"})
    assert response.status_code == 302
    assert audit(runtime, "unit.move") == []


# -- merging ------------------------------------------------------------------------------

def test_merging_moves_citizens_units_officers_broadcasts_and_courses_and_keeps_history(
        client_as, runtime, people, deeper):
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "9001"))
        session.add(Course(unit_id=unit_id, title="Tin học cơ bản", place="Nhà văn hoá",
                           starts_at=NOW, ends_at=NOW, indicators=[], created_at=NOW))
        session.add(Broadcast(unit_id=unit_id, text="Họp", sms_text="Hop", state="scheduled",
                              send_at=NOW, created_at=NOW))
        answers_before = session.scalar(select(Answer.id).order_by(Answer.id.desc()).limit(1))
        assessments = {a.id: (a.citizen_id, a.total, a.status)
                       for a in session.scalars(select(Assessment))}
    client = client_as("tinh")
    response = client.post_form("/admin/units/9001/merge", {"target": "9002"})
    assert response.status_code == 302
    units = units_by_code(runtime)
    gone, into = units["9001"], units["9002"]
    assert (gone.active, gone.merged_into_id, gone.path) == (False, into.id, "/90/9001/")
    assert units["9001-1"].parent_id == into.id
    assert units["9001-1"].path == "/90/9002/9001-1/"
    assert units["9001-1.1"].path == "/90/9002/9001-1/9001-1.1/"
    with runtime.db.read() as session:
        assert session.get(Citizen, people["an"].citizen_id).unit_id == into.id
        assert session.get(Citizen, people["lan"].citizen_id).unit.code == "9001-1"
        assert session.scalars(select(Officer.unit_id).where(Officer.username == "xa")).one() == into.id
        assert session.scalars(select(Course.unit_id)).all() == [into.id]
        assert session.scalars(select(Broadcast.unit_id)).all() == [into.id]
        assert {a.id: (a.citizen_id, a.total, a.status)
                for a in session.scalars(select(Assessment))} == assessments
        assert session.scalar(select(Answer.id).order_by(Answer.id.desc()).limit(1)) == answers_before
        [top] = counts.tree(session, "/90/", 2026)
    assert [(c.code, c.registered, c.completed, c.passed) for c in top.children] == [("9002", 5, 3, 2)]
    [entry] = audit(runtime, "unit.merge")
    assert (entry.actor, entry.target, entry.detail) == ("tinh", "unit 9001", {
        "into": "9002", "children": 1, "citizens": 2, "officers": 1, "broadcasts": 1, "courses": 1})
    page = client.get("/admin/units?period=2026").get_data(as_text=True)
    assert 'href="/admin/units/9001"' not in page
    assert "5 đăng ký · 3 hoàn thành · 2 đạt" in line_of(page, "9002")
    merged = text_of(client.get("/admin/units/9001").get_data(as_text=True))
    assert "Đã sáp nhập vào Xã Bình Minh (9002)" in merged
    assert "Đã sáp nhập vào đơn vị này: Xã An Bình (9001)" in text_of(
        client.get("/admin/units/9002").get_data(as_text=True))


@pytest.mark.parametrize("channel_text", ["DK 9001", "dk9001", "9001"], ids=["dk", "glued", "bare"])
def test_a_citizen_who_types_a_merged_code_registers_where_it_went(client_as, runtime, tree,
                                                                  channel_text):
    runtime.script()
    assert client_as("tinh").post_form("/admin/units/9001/merge", {"target": "9002"}).status_code == 302
    if channel_text == "9001":     # typed at the unit question, after registering started
        assert registers_to(runtime, "xin chao", "co", "Nguyen Van An 1960", "9001") == "9002"
    else:
        assert registers_to(runtime, channel_text) == "9002"
    assert registers_to(runtime, "DK 9001-1") == "9001-1"      # its branch still answers


def test_a_merge_of_a_merge_leads_to_the_last_unit(client_as, runtime, tree):
    client = client_as("tinh")
    assert client.post_form("/admin/units/9001-1/merge", {"target": "9001"}).status_code == 302
    assert client.post_form("/admin/units/9001/merge", {"target": "9002"}).status_code == 302
    units = units_by_code(runtime)
    assert units["9001-1"].merged_into_id == units["9002"].id
    assert registers_to(runtime, "DK 9001-1") == "9002"


INSIDE = "Không thể chuyển một đơn vị vào chính nó hoặc vào đơn vị cấp dưới của nó."
REFUSED = [   # action, who, unit, the other unit typed, status, what the page says
    ("move", "tinh", "9001", "9001", 400, INSIDE),
    ("move", "tinh", "9001", "9001-1", 400, INSIDE),
    ("move", "tinh", "9001", "9001-1.1", 400, INSIDE),
    ("move", "xa", "9001", "9001-1", 400, INSIDE),
    ("move", "tinh", "9001-1", "", 400, "Hãy nhập mã đơn vị cấp trên mới."),
    ("move", "tinh", "9001-1", "9101", 404, "Không có đơn vị mã 9101 trong phạm vi của bạn."),
    ("merge", "tinh", "9001", "9001", 400, "Không thể sáp nhập một đơn vị vào chính nó."),
    ("merge", "tinh", "9001", "9001-1", 400, "Không thể sáp nhập một đơn vị vào đơn vị cấp dưới của nó."),
    ("merge", "tinh", "9001", "9001-1.1", 400, "Không thể sáp nhập một đơn vị vào đơn vị cấp dưới của nó."),
    ("merge", "xa", "9001", "9001-1", 400, "Không thể sáp nhập một đơn vị vào đơn vị cấp dưới của nó."),
    ("merge", "tinh", "9001", "", 400, "Hãy nhập mã đơn vị sáp nhập vào."),
    ("merge", "tinh", "9002", "9101", 404, "Không có đơn vị mã 9101 trong phạm vi của bạn."),
]


@pytest.mark.parametrize("action, who, code, other, status, message", REFUSED, ids=[
    f"{a}-{i}" for a in ("move", "merge") for i in ("itself", "its-child", "its-grandchild",
                                                    "own-unit", "empty", "outside")])
def test_a_move_or_merge_that_cannot_be_is_refused_with_a_reason(client_as, runtime, people, deeper,
                                                                 action, who, code, other, status,
                                                                 message):
    before = {c: (u.path, u.parent_id, u.active) for c, u in units_by_code(runtime).items()}
    field = {"move": "parent", "merge": "target"}[action]
    response = client_as(who).post_form(f"/admin/units/{code}/{action}", {field: other})
    assert response.status_code == status
    assert message in html.unescape(response.get_data(as_text=True))
    assert {c: (u.path, u.parent_id, u.active) for c, u in units_by_code(runtime).items()} == before
    assert audit(runtime, "unit.move") == audit(runtime, "unit.merge") == []


def test_a_merged_unit_cannot_be_merged_moved_or_taken_as_a_target(client_as, runtime, tree):
    client = client_as("tinh")
    assert client.post_form("/admin/units/9001-1/merge", {"target": "9001"}).status_code == 302
    for path, data in (("/admin/units/9001-1/merge", {"target": "9002"}),
                       ("/admin/units/9001-1/move", {"parent": "9002"}),
                       ("/admin/units/9002/merge", {"target": "9001-1"}),
                       ("/admin/units/9002/move", {"parent": "9001-1"})):
        response = client.post_form(path, data)
        assert response.status_code == 400, path
        assert "Đơn vị 9001-1 đã sáp nhập vào đơn vị khác, không còn hoạt động." in \
            html.unescape(response.get_data(as_text=True))
    assert len(audit(runtime, "unit.merge")) == 1 and audit(runtime, "unit.move") == []


def test_move_and_merge_forms_are_not_offered_on_the_officers_own_unit(client_as, tree):
    own = client_as("xa").get("/admin/units/9001").get_data(as_text=True)
    below = client_as("xa").get("/admin/units/9001-1").get_data(as_text=True)
    assert 'action="/admin/units/9001/move"' not in own
    assert 'action="/admin/units/9001-1/move"' in below and 'action="/admin/units/9001-1/merge"' in below


def test_pages_of_a_whole_province_import_for_admins_only(client_as, runtime, tree):
    refused = client_as("tinh").post_form("/admin/units/import-admin", {"province": "12"})
    assert refused.status_code == 403
    admin = client_as("quantri")
    bad = admin.post_form("/admin/units/import-admin", {"province": "99"})
    assert bad.status_code == 400
    assert "Hãy chọn một tỉnh, thành phố trong danh sách." in bad.get_data(as_text=True)
    response = admin.post_form("/admin/units/import-admin", {"province": "12"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/units/12"
    page = admin.get("/admin/units/12").get_data(as_text=True)
    assert "Đã nhập Lai Châu: 39 đơn vị mới, 0 cập nhật, 0 giữ nguyên." in page
    assert len(re.findall(r'<tr>\s*<td><a href="/admin/units/', page)) == 38
    [entry] = audit(runtime, "unit.import_admin")
    assert (entry.actor, entry.target, entry.detail["created"]) == ("quantri", "unit 12", 39)
    again = admin.post_form("/admin/units/import-admin", {"province": "12"})
    assert "0 đơn vị mới, 0 cập nhật, 39 giữ nguyên" in admin.get(
        again.headers["Location"]).get_data(as_text=True)
