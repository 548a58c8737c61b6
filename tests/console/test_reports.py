"""The reports: counts per unit and per group, the recognised list, as XLSX (read back with
openpyxl) and CSV; equal to the dashboard's JSON; within the officer's scope only."""

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from .conftest import NOW, PASS, add_citizen
from .figures_world import COMMUNE, PERIOD, PROVINCE, decide, populate

FIGURES = ("registered", "completed", "passed", "recognised")


@pytest.fixture
def world(runtime, officers):
    return populate(runtime)


def download(client, path: str, **args):
    response = client.get(path, query_string={"period": PERIOD, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def sheet_rows(data: bytes, sheet: int = 0) -> list[tuple]:
    book = load_workbook(io.BytesIO(data))
    return [tuple(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())   # Excel reads UTF-8 with a BOM
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def table_after(rows, header_first: str) -> tuple[list, list]:
    """(header, the rows under it up to a blank row)."""
    start = next(i for i, row in enumerate(rows) if row and row[0] == header_first)
    body = []
    for row in rows[start + 1:]:
        if not row or all(v in (None, "") for v in row):
            break
        body.append(row)
    return list(rows[start]), body


def test_counts_xlsx_layout(client_as, world):
    response = download(client_as("xa"), "/admin/reports/counts.xlsx")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="bao-cao-cdht-2026-xa-an-binh.xlsx"'
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Theo đơn vị", "Theo đối tượng"]
    sheet = book["Theo đơn vị"]
    assert sheet["A1"].value == ("BÁO CÁO KẾT QUẢ ĐÁNH GIÁ, CÔNG NHẬN CÔNG DÂN HỌC TẬP NĂM 2026 — "
                                 "Xã An Bình")
    assert sheet["A1"].font.b and sheet["A2"].value.startswith("Ngày lập: ")
    assert "Cán bộ xã An Bình" in sheet["A2"].value
    assert [c.value for c in sheet[4]] == ["STT", "Đơn vị", "Mã đơn vị", "Đăng ký", "Hoàn thành",
                                           "Đạt", "Đã công nhận", "Tỷ lệ đạt (%)"]
    assert all(c.font.b for c in sheet[4]) and sheet.freeze_panes == "A5"
    assert sheet.column_dimensions["B"].width > 30
    total = [c.value for c in sheet[5]]
    assert total == [None, "Tổng cộng: Xã An Bình", "9001", 7, 5, 3, 1, 60.0] and sheet["B5"].font.b
    assert [c.value for c in sheet[6]][:3] == [1, "Chi hội Khuyến học thôn Đông, Xã An Bình", "9001-1"]
    assert [c.value for c in sheet[7]][:3] == [2, "Trực thuộc Xã An Bình", None]


def test_dashboard_json_xlsx_and_csv_agree(client_as, world):
    client = client_as("tinh")
    data = download(client, "/admin/dashboard.json").get_json()
    expected_units = [[data["totals"][k] for k in FIGURES]] + \
        [[row[k] for k in FIGURES] for row in data["by_unit"]]
    expected_groups = [[data["totals"][k] for k in FIGURES]] + \
        [[row[k] for k in FIGURES] for row in data["by_group"]]
    assert expected_units[0] == [PROVINCE[k] for k in FIGURES]

    xlsx = download(client, "/admin/reports/counts.xlsx").data
    _, units = table_after(sheet_rows(xlsx, 0), "STT")
    _, groups = table_after(sheet_rows(xlsx, 1), "STT")
    assert [list(r[3:7]) for r in units] == expected_units
    assert [list(r[2:6]) for r in groups] == expected_groups
    assert [r[7] for r in units] == [None if row["pass_rate"] is None else round(row["pass_rate"] * 100, 1)
                                     for row in [data["totals"], *data["by_unit"]]]

    rows = csv_rows(download(client, "/admin/reports/counts.csv").data)
    assert rows[0][0].startswith("BÁO CÁO KẾT QUẢ ĐÁNH GIÁ") and rows[0][0].endswith("Tỉnh Thử Nghiệm")
    header, csv_units = table_after(rows, "STT")
    assert header == ["STT", "Đơn vị", "Mã đơn vị", "Đăng ký", "Hoàn thành", "Đạt", "Đã công nhận",
                      "Tỷ lệ đạt (%)"]
    assert [[int(v) for v in r[3:7]] for r in csv_units] == expected_units
    assert [float(r[7].replace(",", ".")) for r in csv_units] == [r[7] for r in units]
    _, csv_groups = table_after(rows[rows.index(["Theo đối tượng"]):], "STT")
    assert [[int(v) for v in r[2:6]] for r in csv_groups] == expected_groups


def test_the_recognised_list(client_as, runtime, world):
    response = download(client_as("xa"), "/admin/reports/recognised.xlsx")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="danh-sach-cong-nhan-cdht-2026-xa-an-binh.xlsx"'
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0].startswith("DANH SÁCH CÔNG DÂN ĐƯỢC CÔNG NHẬN") and rows[0][0].endswith("Xã An Bình")
    assert sheet.freeze_panes == "A5" and all(c.font.b for c in sheet[4])
    assert rows[3] == ("STT", "Họ và tên", "Năm sinh", "Đơn vị", "Đối tượng", "Điểm",
                       "Ngày công nhận", "Người công nhận")
    # decided 11 November 05:00 UTC: 12:00 in Vietnam, the same day
    assert rows[4] == (1, "Hoàng Văn Em <b>&</b>", 1970, "Chi hội Khuyến học thôn Đông, Xã An Bình",
                       "Người dân trong xã, phường", 94, datetime(2026, 11, 11), "Cán bộ xã An Bình")
    assert sheet["G5"].number_format == "dd/mm/yyyy"
    assert rows[5][:2] == (None, "Tổng cộng: 1 người") and len(rows) == 6

    listed = csv_rows(download(client_as("xa"), "/admin/reports/recognised.csv").data)
    header, body = table_after(listed, "STT")
    assert header[1] == "Họ và tên"
    assert body == [["1", "Hoàng Văn Em <b>&</b>", "1970", "Chi hội Khuyến học thôn Đông, Xã An Bình",
                     "Người dân trong xã, phường", "94", "11/11/2026", "Cán bộ xã An Bình"],
                    ["", "Tổng cộng: 1 người"]]


def test_the_list_counts_what_the_dashboard_counts(client_as, runtime, world):
    for n in range(3):
        person = add_citizen(runtime, "9002", f"Người Thứ {n}", points=PASS)
        decide(runtime, person.assessment_id, "approved", NOW, by="tinh")
    client = client_as("tinh")
    recognised = download(client, "/admin/dashboard.json").get_json()["totals"]["recognised"]
    rows = sheet_rows(download(client, "/admin/reports/recognised.xlsx").data)
    listed = [r for r in rows[4:] if isinstance(r[0], int)]
    assert recognised == 4 and len(listed) == recognised
    assert [r[0] for r in listed] == [1, 2, 3, 4]
    # in unit order (the branch of An Bình before Bình Minh), by name within a unit
    assert [r[1] for r in listed] == ["Hoàng Văn Em <b>&</b>", "Người Thứ 0", "Người Thứ 1", "Người Thứ 2"]
    csv_listed = [r for r in csv_rows(download(client, "/admin/reports/recognised.csv").data) if r and r[0].isdigit()]
    assert [r[1] for r in csv_listed] == [r[1] for r in listed]


def test_an_admin_and_a_past_period(client_as, world):
    client = client_as("quantri")
    names = [r[1] for r in sheet_rows(download(client, "/admin/reports/recognised.xlsx").data)[4:-1]]
    assert names == ["Hoàng Văn Em <b>&</b>", "Người Tỉnh Khác"]
    past = sheet_rows(download(client, "/admin/reports/recognised.xlsx", period=2025).data)
    assert [r[1] for r in past[4:-1]] == ["Ngô Thị Lan"]
    response = download(client, "/admin/reports/counts.csv")
    assert "bao-cao-cdht-2026-toan-he-thong.csv" in response.headers["Content-Disposition"]


def test_no_phone_numbers_and_no_formulas(client_as, runtime, world):
    person = add_citizen(runtime, "9001", '=HYPERLINK("http://x.example","bấm")', points=PASS,
                         phone="+84912345678", zalo="5000000000000000042")
    decide(runtime, person.assessment_id, "approved", NOW)
    client = client_as("xa")
    for path in ("/admin/reports/recognised.xlsx", "/admin/reports/recognised.csv",
                 "/admin/reports/counts.xlsx", "/admin/reports/counts.csv"):
        data = download(client, path).data
        assert b"912345678" not in data and b"5000000000000000042" not in data
    rows = sheet_rows(download(client, "/admin/reports/recognised.xlsx").data)
    assert rows[4][1] == '=HYPERLINK("http://x.example","bấm")'   # a text cell, not a formula
    listed = csv_rows(download(client, "/admin/reports/recognised.csv").data)
    assert ["'=HYPERLINK(\"http://x.example\",\"bấm\")"] == [r[1] for r in listed if "HYPERLINK" in "".join(r)]


EXPORTS = ["/admin/reports/counts.xlsx", "/admin/reports/counts.csv",
           "/admin/reports/recognised.xlsx", "/admin/reports/recognised.csv", "/admin/reports"]


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.rsplit("/", 1)[1])
@pytest.mark.parametrize("who, unit", [("xa", "9101"), ("xa", "90"), ("xa", "9002"),
                                       ("khac", "9001-1"), ("chihoi", "9001")],
                         ids=["other-province", "above", "sibling", "other-officer", "branch-up"])
def test_exports_outside_the_scope_are_not_found(client_as, world, path, who, unit):
    response = client_as(who).get(path, query_string={"unit": unit, "period": PERIOD})
    assert response.status_code == 404
    assert b"Ng\xc6\xb0\xe1\xbb\x9di T\xe1\xbb\x89nh Kh\xc3\xa1c" not in response.data   # "Người Tỉnh Khác"


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.rsplit("/", 1)[1])
def test_exports_need_a_login_and_a_good_period(app, client_as, world, path):
    assert app.test_client().get(path).status_code == (302 if path.endswith("reports") else 401)
    assert client_as("xa").get(path, query_string={"period": "năm nay"}).status_code == 400


def test_the_other_province_exports_only_its_own(client_as, world):
    rows = sheet_rows(download(client_as("khac"), "/admin/reports/recognised.xlsx").data)
    assert [r[1] for r in rows[4:-1]] == ["Người Tỉnh Khác"]
    _, units = table_after(sheet_rows(download(client_as("khac"), "/admin/reports/counts.xlsx").data), "STT")
    assert [r[2] for r in units] == ["9100", "9101"]


def test_the_reports_page(client_as, world):
    page = client_as("xa").get("/admin/reports", query_string={"period": PERIOD}).get_data(as_text=True)
    assert "/admin/reports/counts.xlsx?unit=9001&amp;period=2026" in page
    assert "/admin/reports/recognised.csv?unit=9001&amp;period=2026" in page
    assert "Danh sách được công nhận: 1 người" in page
    assert f"{COMMUNE['registered']}</td>" in page and "style=" not in page


def test_a_leaf_unit_has_only_its_totals_row(client_as, world):
    _, units = table_after(sheet_rows(download(client_as("chihoi"), "/admin/reports/counts.xlsx").data), "STT")
    assert units == [(None, "Tổng cộng: Chi hội Khuyến học thôn Đông, Xã An Bình", "9001-1", 3, 3, 2, 1,
                      pytest.approx(66.7))]


def test_decided_late_in_the_evening_is_the_next_day_in_vietnam(client_as, runtime, world):
    person = add_citizen(runtime, "9002", "Muộn Giờ", points=PASS)
    # 18:30 UTC is 01:30 the next morning in Vietnam
    decide(runtime, person.assessment_id, "approved", datetime(2026, 11, 15, 18, 30, tzinfo=NOW.tzinfo))
    rows = csv_rows(download(client_as("tinh"), "/admin/reports/recognised.csv", unit="9002").data)
    assert [r[6] for r in rows if r and r[0] == "1"] == ["16/11/2026"]
