"""The reports an officer sends to the level above, as XLSX and CSV:

- counts: the chosen unit (the totals row, first), then each child unit; and the same per
  target group. Built from bot/console/figures.py's `Figures`, the dashboard's own numbers.
- the recognised citizens: STT, name, year of birth, unit, group, points, the day and
  the officer of the recognition. No phone numbers in any report.

Each starts with a title line, the date it was made and by whom, Vietnamese column
headers (bold, frozen), then a totals row. CSV is UTF-8 with a BOM so Excel reads the
diacritics. The long list is written by bot/console/xlsx.py.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from storage.models import Assessment, Citizen, Officer, Unit, fold_name

from . import tally, xlsx
from .figures import counted, tune, units_of
from storage.standing import RECOGNISED

COUNTS_TITLE = "BÁO CÁO KẾT QUẢ ĐÁNH GIÁ, CÔNG NHẬN CÔNG DÂN HỌC TẬP NĂM {period} — {unit}"
LIST_TITLE = "DANH SÁCH CÔNG DÂN ĐƯỢC CÔNG NHẬN DANH HIỆU CÔNG DÂN HỌC TẬP NĂM {period} — {unit}"
EVERYTHING = "Toàn hệ thống"
FIGURES = ["Đăng ký", "Hoàn thành", "Đạt", "Đã công nhận", "Tỷ lệ đạt (%)"]
UNIT_HEADER = ["STT", "Đơn vị", "Mã đơn vị", *FIGURES]
GROUP_HEADER = ["STT", "Đối tượng", *FIGURES]
LIST_HEADER = ["STT", "Họ và tên", "Năm sinh", "Đơn vị", "Đối tượng", "Điểm", "Ngày công nhận",
               "Người công nhận"]
LIST_KINDS = "isnSSidS"   # xlsx.table's column kinds
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Heading:
    """What a report is about and when it was made: its first lines."""
    period: int
    unit_name: str | None    # None: everything (an admin)
    unit_code: str | None
    made_at: datetime
    made_by: str
    counted_at: datetime | None = None   # a snapshot's time (snapshots.py); None: made_at

    @property
    def place(self) -> str:
        return self.unit_name or EVERYTHING

    def lines(self, title: str) -> list[str]:
        local = self.made_at.astimezone(tally.VIETNAM)
        counted = (self.counted_at or self.made_at).astimezone(tally.VIETNAM)
        when = f"{counted:%H:%M}" if counted.date() == local.date() else f"{counted:%H:%M %d/%m/%Y}"
        return [title.format(period=self.period, unit=self.place),
                f"Ngày lập: {local:%d/%m/%Y} (số liệu lúc {when}) · Người lập: {self.made_by}"]


def file_name(kind: str, heading: Heading, extension: str) -> str:
    """"bao-cao-cdht-2026-xa-an-binh.xlsx": ASCII, folded, safe in any browser."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold_name(heading.place) or "").strip("-") or "don-vi"
    return f"{kind}-cdht-{heading.period}-{slug}.{extension}"


# -- counts -------------------------------------------------------------------------------
def _rate(counts: tally.Counts) -> float | None:
    """The pass rate as a percentage with one decimal, as both files show it."""
    return None if counts.pass_rate is None else round(counts.pass_rate * 100, 1)


def text_cell(value):
    """A text a spreadsheet must not take for a formula (a name typed as "=HYPERLINK(…)")."""
    if isinstance(value, str):
        value = xlsx.legal(value) if value[:1] not in FORMULA else "'" + xlsx.legal(value)
    return value


def _figures(counts: tally.Counts) -> list:
    return [counts.registered, counts.completed, counts.passed, counts.recognised, _rate(counts)]


def unit_rows(figures: tally.Figures, heading: Heading) -> list[list]:
    """The totals row (the chosen unit), then each child unit."""
    rows = [["", f"Tổng cộng: {heading.place}", heading.unit_code or "", *_figures(figures.totals)]]
    for n, row in enumerate(figures.by_unit, 1):
        rows.append([n, row.name, row.key if not row.direct else "", *_figures(row.counts)])
    return rows


def group_rows(figures: tally.Figures) -> list[list]:
    rows = [["", "Tổng cộng", *_figures(figures.totals)]]
    rows += [[n, row.name, *_figures(row.counts)] for n, row in enumerate(figures.by_group, 1)]
    return rows


def counts_xlsx(figures: tally.Figures, heading: Heading) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, header, rows, widths in (
            ("Theo đơn vị", UNIT_HEADER, unit_rows(figures, heading), [6, 44, 12, 11, 12, 9, 14, 13]),
            ("Theo đối tượng", GROUP_HEADER, group_rows(figures), [6, 40, 11, 12, 9, 14, 13])):
        sheet = book.create_sheet(name)
        lines = heading.lines(COUNTS_TITLE)
        for line in lines:
            sheet.append([text_cell(line)])
        sheet.append([])
        sheet.append(header)
        top = len(lines) + 2
        for row in rows:
            sheet.append([text_cell(v) for v in row])
        sheet["A1"].font = Font(bold=True, size=13)
        for cell in (*sheet[top], *sheet[top + 1]):   # the header, and the totals row under it
            cell.font = Font(bold=True)
        for cell in sheet[f"{chr(64 + len(header))}{top + 1}":f"{chr(64 + len(header))}{sheet.max_row}"]:
            cell[0].number_format = "0.0"
        for i, width in enumerate(widths):
            sheet.column_dimensions[chr(65 + i)].width = width
        sheet.freeze_panes = f"A{top + 1}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number_text(value) -> str:
    """81.3 → "81,3" (Vietnamese decimals); None → ""."""
    if value is None:
        return ""
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def counts_csv(figures: tally.Figures, heading: Heading) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in heading.lines(COUNTS_TITLE):
        writer.writerow([line])
    for label, header, rows in (("Theo đơn vị", UNIT_HEADER, unit_rows(figures, heading)),
                                ("Theo đối tượng", GROUP_HEADER, group_rows(figures))):
        writer.writerow([])
        writer.writerow([label])
        writer.writerow(header)
        writer.writerows([[text_cell(_number_text(v)) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- the recognised citizens --------------------------------------------------------------
def recognised_query(scope, unit: Unit | None, period: int):
    """Only the columns the list shows, in unit order, then by name."""
    return (counted(scope, unit, period)
            .add_columns(Citizen.name, Citizen.birth_year, Citizen.unit_id, Assessment.target_group,
                         Assessment.total, Assessment.decided_at, Assessment.decided_by)
            .outerjoin(Unit, Unit.id == Citizen.unit_id)
            .where(RECOGNISED)
            .order_by(Unit.path, Citizen.name_folded, Citizen.id))


def recognised_rows(session, scope, unit: Unit | None, period: int, groups: dict[str, str]):
    """(STT, name, year of birth, unit, group, points, date (Vietnam), officer) per
    recognised citizen, through Core rather than the ORM's result machinery. Not with a
    server-side cursor: PostgreSQL never runs a cursor's query in parallel, and reading a
    province's 135,000 rows took 1.1–1.4 s that way against 0.74–0.86 s; the driver keeps
    the rows in its own buffer and they become Python values a row at a time."""
    tune(session)
    units, _ = units_of(session, scope, unit)
    unit_names = {i: u.name for i, u in units.items()}
    officers = dict(session.execute(select(Officer.username, Officer.name)).all())
    query = recognised_query(scope, unit, period)
    for n, (name, born, unit_id, group, total, decided_at, decided_by) in enumerate(
            session.connection().execute(query), 1):
        yield (n, name or "", born, unit_names.get(unit_id, ""), groups.get(group, group), total,
               decided_at.astimezone(tally.VIETNAM).date(), officers.get(decided_by, decided_by))


def _footer(n: int) -> list:
    return ["", f"Tổng cộng: {n} người"]


def recognised_xlsx(rows, heading: Heading) -> bytes:
    return xlsx.table("Danh sách công nhận", heading.lines(LIST_TITLE), LIST_HEADER,
                      [6, 28, 9, 34, 28, 7, 14, 24], LIST_KINDS, rows, footer=_footer)


def recognised_csv(rows, heading: Heading) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in heading.lines(LIST_TITLE):
        writer.writerow([line])
    writer.writerow([])
    writer.writerow(LIST_HEADER)
    shown: dict[date, str] = {}
    n = 0
    for n, name, born, unit_name, group, total, day, officer in rows:
        when = shown.get(day) or shown.setdefault(day, f"{day:%d/%m/%Y}")
        writer.writerow((n, text_cell(name), born, text_cell(unit_name), group, total, when,
                         officer))
    writer.writerow(_footer(n))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
