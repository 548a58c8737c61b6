"""Reading the unit files officers upload — CSV (UTF-8, with or without BOM; comma or
semicolon) or XLSX — into rows of (code, name, kind, parent code), and writing the
template they fill in. What the rows mean is bot/units/upload.py's business."""

import csv
import io
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook

from storage.models import fold_name

from .rules import KINDS

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
ROWS_SHOWN = f"{MAX_ROWS:,}".replace(",", ".")     # "5.000", as Vietnamese write it
FIELDS = ("code", "name", "kind", "parent")
HEADER = ("mã", "tên", "loại", "mã cấp trên")        # the template's, in FIELDS order
# what a header cell may say (folded), per field
_NAMES = {
    "code": {"ma", "code", "ma don vi", "unit code"},
    "name": {"ten", "name", "ten don vi", "unit name"},
    "kind": {"loai", "kind", "loai don vi", "type"},
    "parent": {"ma cap tren", "parent code", "parent", "ma don vi cap tren", "cap tren"},
}
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


class FileError(ValueError):
    """The file as a whole cannot be read; the message is for the officer."""


@dataclass(frozen=True)
class Row:
    number: int        # as the spreadsheet shows it: the header is row 1
    code: str
    name: str
    kind: str
    parent: str


def read_rows(data: bytes) -> list[Row]:
    """The rows of an uploaded file, blank ones skipped; FileError when it cannot be read."""
    if not data.strip():
        raise FileError("Tệp trống.")
    if len(data) > MAX_BYTES:
        raise FileError(f"Tệp lớn hơn {MAX_BYTES // (1024 * 1024)} MB; hãy chia thành nhiều tệp.")
    if data.startswith(_OLE):
        raise FileError("Đây là tệp Excel cũ (.xls): hãy lưu lại thành .xlsx hoặc CSV UTF-8.")
    lines = _xlsx_lines(data) if data.startswith(_ZIP) else _csv_lines(data)
    return _rows(lines)


def _csv_lines(data: bytes):
    if b"\x00" in data[:4096]:                 # a picture, a PDF...: no text file has NULs
        raise FileError("Không đọc được tệp: không phải CSV hay XLSX.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError("Tệp CSV không phải mã UTF-8: trong Excel chọn Lưu dưới dạng "
                        "\"CSV UTF-8 (Comma delimited)\".") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise FileError(f"Không đọc được tệp CSV: {exc}.") from None


def _xlsx_lines(data: bytes):
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:   # a broken or foreign zip: openpyxl raises many kinds
        raise FileError("Không đọc được tệp Excel (.xlsx); hãy mở và lưu lại rồi thử lần nữa.") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(max_col=len(FIELDS) + 6, values_only=True):
            yield [_cell(v) for v in values]
    except Exception:
        raise FileError("Không đọc được tệp Excel (.xlsx); hãy mở và lưu lại rồi thử lần nữa.") from None
    finally:
        book.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))      # a code Excel stored as a number: 12364.0
    return str(value)


def _columns(header: list[str]) -> dict[str, int]:
    folded = [fold_name(cell.replace("_", " ")) or "" for cell in header]
    columns = {}
    for field in FIELDS:
        found = [i for i, cell in enumerate(folded) if cell in _NAMES[field]]
        if found:
            columns[field] = found[0]
    missing = [HEADER[FIELDS.index(f)] for f in FIELDS if f not in columns]
    if missing:
        raise FileError("Dòng đầu của tệp phải là tiêu đề với các cột: "
                        f"{', '.join(HEADER)} (hoặc code, name, kind, parent_code). "
                        f"Thiếu cột: {', '.join(missing)}.")
    return columns


def _rows(lines) -> list[Row]:
    columns, rows = None, []
    for number, line in enumerate(lines, 1):
        cells = [c.strip() for c in line]
        if not any(cells):
            continue
        if columns is None:
            columns = _columns(cells)
            continue
        if len(rows) == MAX_ROWS:
            raise FileError(f"Tệp có hơn {ROWS_SHOWN} dòng đơn vị; hãy chia thành nhiều tệp.")
        rows.append(Row(number, *(cells[columns[f]] if columns[f] < len(cells) else ""
                                  for f in FIELDS)))
    if columns is None:
        raise FileError("Tệp trống.")
    if not rows:
        raise FileError("Tệp chỉ có dòng tiêu đề, chưa có đơn vị nào.")
    return rows


def template_csv(example: tuple[str, str, str, str]) -> bytes:
    """The headers and one example row; with a BOM, so Excel opens it as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(example)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(example: tuple[str, str, str, str]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Đơn vị"
    sheet.append(HEADER)
    sheet.append(example)
    for column, width in zip("ABCD", (14, 48, 14, 14)):
        sheet.column_dimensions[column].width = width
    for cell in sheet["A"] + sheet["D"]:
        cell.number_format = "@"     # codes stay text: "0123" keeps its zero
    kinds = book.create_sheet("Loại đơn vị")
    kinds.append(("loại (ghi ở cột \"loại\")", "hoặc"))
    for kind, label in KINDS.items():
        kinds.append((label, kind))
    kinds.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
