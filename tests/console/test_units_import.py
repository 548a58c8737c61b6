"""Units from a file: CSV or XLSX upload → a preview with each row's fate and exact
reasons → confirm, applied all together or not at all; the template; and the codes it
creates, read back through the bot ("DK <code>")."""

import csv
import html
import io
import re
import unicodedata

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.units.rules import KINDS
from bot.units.upload_files import MAX_ROWS
from storage.models import Unit

from .conftest import add_citizen, add_units
from .unit_helpers import audit, registers_to, text_of

HEADER = ("mã", "tên", "loại", "mã cấp trên")
KIND_LIST = ", ".join(KINDS.values())
TOKEN = re.compile(r'name="token" value="([^"]+)"')
ROW = re.compile(r'<tr class="fate-(\w+)">\s*<td class="num">(\d+)</td>(.*?)</tr>', re.S)


def csv_file(rows, header=HEADER, delimiter=",", bom=True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_file(rows, header=HEADER) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "don-vi.csv"):
    return client.post_form("/admin/units/import", {"file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data")


def fates(page: str) -> dict[int, tuple[str, list[str]]]:
    """row number → (fate, the messages under it), as the preview shows them."""
    found = {}
    for fate, number, cells in ROW.findall(page):
        said = [html.unescape(m).strip() for m in re.findall(r"<li>(.*?)</li>", cells, re.S)]
        found[int(number)] = (fate, said)
    return found


def confirm(client, page: str):
    return client.post_form("/admin/units/import", {"token": TOKEN.search(page).group(1)})


def units(runtime, prefix: str = "/9") -> dict[str, tuple]:
    with runtime.db.read() as session:
        return {u.code: (u.name, u.kind, u.path, u.joinable)
                for u in session.scalars(select(Unit).where(Unit.path.like(f"{prefix}%")))}


def imports(runtime) -> list:
    return audit(runtime, "unit.import_file")


# two branches and a club under one of them, the club listed before its parent
GOOD = [("9001-2.1", "Câu lạc bộ dưỡng sinh thôn Tây", "câu lạc bộ", "9001-2"),
        ("9001-2", "Chi hội Khuyến học thôn Tây, Xã An Bình", "Chi hội", "9001"),
        ("9001-3", "Trường Tiểu học An Bình", "school", "9001")]
AFTER = {"9001-2": ("Chi hội Khuyến học thôn Tây, Xã An Bình", "branch", "/90/9001/9001-2/", True),
         "9001-2.1": ("Câu lạc bộ dưỡng sinh thôn Tây", "club", "/90/9001/9001-2/9001-2.1/", True),
         "9001-3": ("Trường Tiểu học An Bình", "school", "/90/9001/9001-3/", True)}


@pytest.mark.parametrize("data, name", [
    (csv_file(GOOD), "don-vi.csv"),
    (csv_file(GOOD, delimiter=";", bom=False), "don-vi.csv"),
    (csv_file(GOOD, header=("code", "name", "kind", "parent_code")), "units.csv"),
    (csv_file([(p, n, k, c) for c, n, k, p in GOOD], header=("Mã cấp trên", "Tên", "Loại", "Mã")),
     "cot-dao.csv"),
    (xlsx_file(GOOD), "don-vi.xlsx"),
    (xlsx_file(GOOD, header=("Code", "Name", "Kind", "Parent code")), "units.xlsx"),
], ids=["csv-bom-comma", "csv-semicolon", "csv-english", "csv-columns-reordered", "xlsx",
        "xlsx-english"])
def test_a_good_file_previews_writes_nothing_then_confirm_applies_it(client_as, runtime, tree,
                                                                     data, name):
    before = units(runtime)
    client = client_as("xa")
    preview = upload(client, data, name)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert fates(page) == {2: ("new", []), 3: ("new", []), 4: ("new", [])}
    assert "3 Đơn vị mới 0 Cập nhật 0 Giữ nguyên 0 Dòng có lỗi" in text_of(page)
    assert "Xác nhận: thêm 3, cập nhật 0 đơn vị" in text_of(page)
    assert units(runtime) == before and imports(runtime) == []      # nothing written yet
    done = confirm(client, page)
    assert done.status_code == 302 and done.headers["Location"] == "/admin/units"
    assert units(runtime) == {**before, **AFTER}
    [entry] = imports(runtime)
    assert (entry.actor, entry.target) == ("xa", f"file {name}")
    assert entry.detail == {"new": 3, "updated": 0, "unchanged": 0,
                            "codes": ["9001-2.1", "9001-2", "9001-3"]}
    assert "Đã nhập tệp" in client.get("/admin/units").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["DK 9001-2.1", "dk 9001 2 1", "DK 9001-3", "9001-2"])
def test_codes_from_a_file_are_taken_by_the_bot(client_as, runtime, tree, typed):
    runtime.script()                 # cached before the import: the import must renew it
    client = client_as("xa")
    assert confirm(client, upload(client, csv_file(GOOD)).get_data(as_text=True)).status_code == 302
    expected = {"dk 9001 2 1": "9001-2.1", "9001-2": "9001-2"}.get(typed, typed.split()[-1])
    if typed.startswith(("DK", "dk")):
        assert registers_to(runtime, typed) == expected
    else:                            # typed alone at the unit question
        assert registers_to(runtime, "xin chao", "co", "Nguyen Van An 1960", typed) == expected


# Each case: rows for officer "xa" (of 9001), and what the preview says of each row.
CASES = [
    ("missing-code", [("", "Chi hội A", "chi hội", "9001")], {2: ["Thiếu mã."]}),
    ("missing-name", [("9001-5", "", "chi hội", "9001")], {2: ["Thiếu tên."]}),
    ("missing-kind", [("9001-5", "Chi hội A", "", "9001")], {2: [f"Thiếu loại (một trong: {KIND_LIST})."]}),
    ("missing-parent", [("9001-5", "Chi hội A", "chi hội", "")], {2: ["Thiếu mã cấp trên."]}),
    ("missing-all", [("", "", "", "", "ghi chú")],
     {2: ["Thiếu mã.", "Thiếu tên.", f"Thiếu loại (một trong: {KIND_LIST}).", "Thiếu mã cấp trên."]}),
    ("space-in-code", [("9001 5", "Chi hội A", "chi hội", "9001")],
     {2: ["Mã chỉ được có chữ cái không dấu, chữ số, dấu gạch ngang (-) và dấu chấm (.)."]}),
    ("marked-letter", [("Đ5", "Chi hội A", "chi hội", "9001")],
     {2: ["Mã chỉ được có chữ cái không dấu, chữ số, dấu gạch ngang (-) và dấu chấm (.)."]}),
    ("too-long", [("9" * 33, "Chi hội A", "chi hội", "9001")], {2: ["Mã dài 33 ký tự, tối đa 32."]}),
    ("no-digit", [("ANBINH", "Chi hội A", "chi hội", "9001")],
     {2: ['Mã cần có ít nhất một chữ số (người dân nhắn "DK <mã>").']}),
    ("unreadable", [("ma-1", "Chi hội A", "chi hội", "9001")],
     {2: ['Người dân nhắn "DK ma-1" thì hệ thống không đọc ra đúng mã này; hãy chọn mã khác.']}),
    ("dk-inside", [("DK5", "Chi hội A", "chi hội", "9001")],
     {2: ['Người dân nhắn "DK DK5" thì hệ thống không đọc ra đúng mã này; hãy chọn mã khác.']}),
    ("unknown-kind", [("9001-5", "Chi hội A", "huyện", "9001")],
     {2: [f'Loại "huyện" không có; hãy ghi một trong: {KIND_LIST}.']}),
    ("long-name", [("9001-5", "A" * 201, "chi hội", "9001")], {2: ["Tên dài 201 ký tự, tối đa 200."]}),
    ("duplicates", [("9001-5", "Chi hội A", "chi hội", "9001"), ("9001.5", "Chi hội B", "chi hội", "9001")],
     {2: ["Mã 9001-5 có ở nhiều dòng: 2, 3."], 3: ["Mã 9001.5 có ở nhiều dòng: 2, 3."]}),
    ("code-outside", [("9101", "Xã Mới", "xã", "9001")],
     {2: ["Mã 9101 đã được dùng cho một đơn vị ngoài phạm vi của bạn."]}),
    ("code-like-one-there", [("9001.1", "Chi hội A", "chi hội", "9001")],
     {2: ["Mã 9001.1 trùng với mã 9001-1 đã có (chỉ khác chữ hoa, chữ thường hoặc dấu ngăn cách)."]}),
    ("code-like-one-outside", [("9001-6", "Chi hội A", "chi hội", "9001"), ("X-1", "Chi hội B", "chi hội", "9001")],
     {2: [], 3: ["Mã X-1 trùng với mã của một đơn vị ngoài phạm vi của bạn "
                 "(chỉ khác chữ hoa, chữ thường hoặc dấu ngăn cách)."]}),
    ("unknown-parent", [("9001-5", "Chi hội A", "chi hội", "9999")],
     {2: ["Không có đơn vị cấp trên mã 9999 (trong hệ thống hay trong tệp)."]}),
    ("parent-outside", [("9001-5", "Chi hội A", "chi hội", "9002")],
     {2: ["Đơn vị cấp trên 9002 nằm ngoài phạm vi của bạn."]}),
    ("parent-above", [("9001-5", "Chi hội A", "chi hội", "90")],
     {2: ["Đơn vị cấp trên 90 nằm ngoài phạm vi của bạn."]}),
    ("own-parent", [("9001-5", "Chi hội A", "chi hội", "9001-5")],
     {2: ["Đơn vị không thể là cấp trên của chính nó."]}),
    ("cycle-in-file", [("9001-7", "Chi hội A", "chi hội", "9001-8"), ("9001-8", "Chi hội B", "chi hội", "9001-7")],
     {2: ["Vòng lặp cấp trên: 9001-7 → 9001-8 → 9001-7."], 3: ["Vòng lặp cấp trên: 9001-8 → 9001-7 → 9001-8."]}),
    ("cycle-through-tree", [("9001-1", "Chi hội Khuyến học thôn Đông, Xã An Bình", "chi hội", "9001-9"),
                            ("9001-9", "Câu lạc bộ", "câu lạc bộ", "9001-1")],
     {2: ["Vòng lặp cấp trên: 9001-1 → 9001-9 → 9001-1."], 3: ["Vòng lặp cấp trên: 9001-9 → 9001-1 → 9001-9."]}),
    ("too-deep", [(f"9001-{i}", f"Cấp {i}", "khác", f"9001-{i - 1}" if i > 10 else "9001")
                  for i in range(10, 80)],
     {i - 8: [] if len(f"/90/9001/{''.join(f'9001-{j}/' for j in range(10, i + 1))}") <= 500 else
      ["Đơn vị lồng quá sâu (đường dẫn quá 500 ký tự)."] for i in range(10, 80)}),
]


@pytest.mark.parametrize("rows, said", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_bad_row_is_named_with_its_number_and_reason(client_as, runtime, tree, rows, said):
    with runtime.db.transaction() as session:      # a code outside 9001 with a letter in it
        add_units(session, [("x-1", "Câu lạc bộ x", "club", "9002")])
    before = units(runtime)
    response = upload(client_as("xa"), csv_file(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    shown = fates(page)
    assert {n: messages for n, (_, messages) in shown.items()} == said
    assert {n: fate for n, (fate, _) in shown.items()} == {
        n: ("error" if messages else "new") for n, messages in said.items()}
    assert TOKEN.search(page) is None                # nothing to confirm
    assert "dòng lỗi nên chưa nhập được gì" in page
    assert units(runtime) == before and imports(runtime) == []


def test_an_admin_may_add_a_top_unit_and_an_officer_may_not(client_as, runtime, tree):
    rows = [("9200", "Tỉnh Mới", "tỉnh", ""), ("9201", "Xã Mới", "xã", "9200")]
    refused = upload(client_as("tinh"), csv_file(rows))
    assert fates(refused.get_data(as_text=True))[2] == ("error", ["Thiếu mã cấp trên."])
    admin = client_as("quantri")
    assert confirm(admin, upload(admin, csv_file(rows)).get_data(as_text=True)).status_code == 302
    assert units(runtime, "/92") == {"9200": ("Tỉnh Mới", "province", "/9200/", False),
                                     "9201": ("Xã Mới", "commune", "/9200/9201/", True)}


def test_existing_codes_in_the_subtree_are_updates_or_unchanged(client_as, runtime, tree):
    add_citizen(runtime, "9001-1", "Trần Thị Lan")
    with runtime.db.transaction() as session:
        add_units(session, [("9001-1.1", "Câu lạc bộ thôn Đông", "club", "9001-1")])
    rows = [("9001-1", "Chi hội Khuyến học thôn Đông mới", "chi hội", "9002"),
            ("9002", "Xã Bình Minh", "xã", "90"),
            ("9001", "Xã An Bình", "phường", "90")]
    client = client_as("tinh")
    page = upload(client, csv_file(rows)).get_data(as_text=True)
    assert fates(page) == {2: ("update", ["tên: Chi hội Khuyến học thôn Đông, Xã An Bình → "
                                          "Chi hội Khuyến học thôn Đông mới",
                                          "cấp trên: 9001 → 9002"]),
                           3: ("unchanged", []), 4: ("update", ["loại: xã → phường"])}
    assert confirm(client, page).status_code == 302
    after = units(runtime)
    assert after["9001-1"] == ("Chi hội Khuyến học thôn Đông mới", "branch", "/90/9002/9001-1/", True)
    assert after["9001-1.1"][2] == "/90/9002/9001-1/9001-1.1/"
    assert after["9001"][1] == "ward"
    assert registers_to(runtime, "DK 9001-1") == "9001-1"


def test_an_officer_may_rename_their_own_unit_but_not_move_it(client_as, runtime, tree):
    client = client_as("xa")
    renamed = upload(client, csv_file([("9001", "Xã An Bình Mới", "xã", "90")])).get_data(as_text=True)
    assert fates(renamed) == {2: ("update", ["tên: Xã An Bình → Xã An Bình Mới"])}
    moved = upload(client, csv_file([("9001", "Xã An Bình", "xã", "9100")])).get_data(as_text=True)
    assert fates(moved) == {2: ("error", ["Đơn vị cấp trên 9100 nằm ngoài phạm vi của bạn."])}


def test_confirm_plans_again_and_writes_nothing_if_the_tree_changed(client_as, runtime, tree):
    client = client_as("xa")
    page = upload(client, csv_file(GOOD)).get_data(as_text=True)
    with runtime.db.transaction() as session:        # meanwhile, someone adds one of them
        add_units(session, [("9001-3", "Trường Tiểu học An Bình", "school", "9001")])
    before = units(runtime)
    again = confirm(client, page)
    text = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "Cây đơn vị đã thay đổi từ lúc xem trước, chưa có gì được ghi." in html.unescape(text)
    assert fates(text) == {2: ("new", []), 3: ("new", []), 4: ("unchanged", [])}
    assert units(runtime) == before and imports(runtime) == []
    assert confirm(client, text).status_code == 302      # the new preview can be confirmed
    assert set(units(runtime)) == set(before) | {"9001-2", "9001-2.1"}


@pytest.mark.parametrize("forge", ["tampered", "other-officer", "garbage"])
def test_a_forged_or_foreign_preview_is_refused(client_as, runtime, tree, forge):
    page = upload(client_as("tinh"), csv_file(GOOD)).get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    client = client_as("tinh" if forge != "other-officer" else "xa")
    forged = {"tampered": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
              "other-officer": token, "garbage": "x"}[forge]
    response = client.post_form("/admin/units/import", {"token": forged})
    assert response.status_code == 400
    assert "Bản xem trước không hợp lệ hoặc đã quá một giờ" in response.get_data(as_text=True)
    assert "9001-2" not in units(runtime)


def cp1258() -> bytes:
    """What Excel on a Vietnamese Windows saves as "CSV": Windows-1258, tone marks apart."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    text = "mã,tên,loại,mã cấp trên\n9001-5,Chi hội,chi hội,9001\n"
    out = ""
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        out += unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += "".join(c for c in parts if c in tones)
    return out.encode("cp1258")


def many_rows() -> bytes:
    return csv_file([(f"9001-{i}", f"Chi hội {i}", "chi hội", "9001") for i in range(MAX_ROWS + 1)])


@pytest.mark.parametrize("data, name, message", [
    (b"", "trong.csv", "Tệp trống."),
    (b"\r\n ;; \r\n", "trong.csv", "Tệp trống."),
    (csv_file([]), "tieu-de.csv", "Tệp chỉ có dòng tiêu đề, chưa có đơn vị nào."),
    (csv_file([("9001-5", "A", "chi hội")], header=("mã", "tên", "loại")), "thieu.csv",
     "Dòng đầu của tệp phải là tiêu đề với các cột: mã, tên, loại, mã cấp trên (hoặc code, name, "
     "kind, parent_code). Thiếu cột: mã cấp trên."),
    (cp1258(), "excel.csv", 'Tệp CSV không phải mã UTF-8: trong Excel chọn Lưu dưới dạng '
                            '"CSV UTF-8 (Comma delimited)".'),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "cu.xls",
     "Đây là tệp Excel cũ (.xls): hãy lưu lại thành .xlsx hoặc CSV UTF-8."),
    (b"PK\x03\x04 not really a workbook", "hong.xlsx",
     "Không đọc được tệp Excel (.xlsx); hãy mở và lưu lại rồi thử lần nữa."),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "anh.png", "Không đọc được tệp: không phải CSV hay XLSX."),
    (many_rows(), "nhieu.csv", "Tệp có hơn 5.000 dòng đơn vị; hãy chia thành nhiều tệp."),
    (b"m" * (2 * 1024 * 1024 + 1), "lon.csv", "Tệp lớn hơn 2 MB; hãy chia thành nhiều tệp."),
], ids=["empty", "blank-lines", "header-only", "missing-column", "not-utf8", "xls", "broken-xlsx",
        "not-a-table", "too-many-rows", "too-big"])
def test_a_file_that_cannot_be_read_says_why(client_as, runtime, tree, data, name, message):
    response = upload(client_as("xa"), data, name)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert imports(runtime) == []


def test_no_file_and_a_huge_request_are_refused_clearly(client_as, tree):
    client = client_as("xa")
    response = client.post_form("/admin/units/import", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Hãy chọn tệp CSV hoặc XLSX." in response.get_data(as_text=True)
    huge = upload(client, b"m" * (9 * 1024 * 1024), "rat-lon.csv")
    assert huge.status_code == 413
    assert "Tệp quá lớn: tối đa 2 MB và 5.000 dòng" in huge.get_data(as_text=True)


@pytest.mark.parametrize("who, parent", [("xa", "9001"), ("chihoi", "9001-1"), ("quantri", "33")])
def test_the_templates_hold_the_headers_and_an_example_that_imports_as_is(client_as, runtime, tree,
                                                                        who, parent):
    client = client_as(who)
    as_csv = client.get("/admin/units/template.csv")
    assert as_csv.headers["Content-Disposition"] == "attachment; filename=mau-don-vi.csv"
    assert as_csv.data.startswith("\ufeff".encode())
    lines = as_csv.data.decode("utf-8-sig").splitlines()
    assert lines == ["mã,tên,loại,mã cấp trên", f"{parent}-9,Chi hội Khuyến học thôn Đông,chi hội,{parent}"]
    as_xlsx = client.get("/admin/units/template.xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).worksheets[0]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [list(HEADER), lines[1].split(",")]
    for data, name in ((as_csv.data, "mau.csv"), (as_xlsx.data, "mau.xlsx")):
        assert fates(upload(client, data, name).get_data(as_text=True)) == {2: ("new", [])}


def test_files_and_templates_need_a_login(app, tree):
    client = app.test_client()
    assert client.get("/admin/units/template.csv").status_code == 401
    assert client.get("/admin/units/template.xlsx").status_code == 401
    assert client.get("/admin/units/import").status_code == 302
