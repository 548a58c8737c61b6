"""The SVG charts and the streamed XLSX writer, without a database."""

import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from openpyxl import load_workbook

from bot.console import charts, xlsx

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = 'Xã <script>alert("x")</script> & "Đông"'

CHARTS = {
    "bars": lambda: charts.bars("Theo đơn vị", [(HOSTILE, 12), ("Xã Bình Minh", 3), ("Trống", 0)]),
    "bars-empty": lambda: charts.bars("Không có gì", []),
    "percent": lambda: charts.bars("Năng lực", [("Tự học", 90.5)], maximum=100, suffix=" %"),
    "stacked": lambda: charts.stacked("Tình trạng", [("recognised", HOSTILE, 5), ("in_progress", "Đang làm", 0),
                                                      ("not_started", "Chưa làm", 7)]),
    "stacked-empty": lambda: charts.stacked("Tình trạng", [("recognised", "Đã công nhận", 0)]),
    "columns": lambda: charts.columns("Theo tháng", ["T1", "T2", HOSTILE],
                                      [("Đăng ký", [3, 0, 9]), ("Hoàn thành", [1, 0, 2])]),
    "columns-empty": lambda: charts.columns("Theo tháng", [], [("Đăng ký", [])]),
}


@pytest.mark.parametrize("name", CHARTS, ids=list(CHARTS))
def test_charts_are_valid_svg_with_a_title_and_no_style(name):
    svg = CHARTS[name]()
    root = ET.fromstring(svg)   # well-formed: names are escaped
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text and root.find(f"{SVG}desc") is not None
    assert all("style" not in element.attrib for element in root.iter())
    assert "<script>" not in svg


def test_names_survive_escaping():
    root = ET.fromstring(CHARTS["bars"]())
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert any(HOSTILE in text for text in texts)   # the full name in the label's tooltip
    assert "Xã Bình Minh" in root.find(f"{SVG}desc").text


def test_bars_scale_to_the_largest_and_show_vietnamese_numbers():
    root = ET.fromstring(charts.bars("x", [("a", 1200), ("b", 600)]))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "1.200" in "".join(root.itertext())


def test_stacked_parts_share_the_width_by_count():
    root = ET.fromstring(charts.stacked("x", [("recognised", "a", 1), ("not_started", "b", 3)]))
    first, second = [float(r.get("width")) for r in root.iter(f"{SVG}rect")][:2]
    assert second == pytest.approx(3 * first)


def test_xlsx_table_reads_back_with_openpyxl():
    rows = [(1, "Nguyễn <Văn> & An\x07", 1960, "Xã A", "Người dân", 94, date(2026, 11, 11), "Cán bộ"),
            (2, "", None, "Xã A", None, 80, date(2026, 1, 1), "Cán bộ")]
    data = xlsx.table("Danh sách", ["TIÊU ĐỀ", "Ngày lập"], ["STT", "Tên", "Năm", "Đơn vị", "Nhóm",
                                                            "Điểm", "Ngày", "Người"],
                      [6, 20, 8, 20, 20, 6, 12, 20], "isnSSidS", iter(rows),
                      footer=lambda n: ["", f"Tổng cộng: {n}"])
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "Danh sách" and sheet.freeze_panes == "A5"
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 13 and sheet["A4"].font.b
    values = [tuple(r) for r in sheet.iter_rows(min_row=5, values_only=True)]
    assert values[0][:6] == (1, "Nguyễn <Văn> & An", 1960, "Xã A", "Người dân", 94)
    assert values[0][6].date() == date(2026, 11, 11) and sheet["G5"].number_format == "dd/mm/yyyy"
    assert values[1][1:5] == ("", None, "Xã A", "")   # no text: an empty text cell
    assert values[2][:2] == (None, "Tổng cộng: 2") and sheet["B7"].font.b
    assert sheet.column_dimensions["B"].width == 20
