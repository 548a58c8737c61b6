"""A long list as an XLSX file, fast: the province's list of recognised citizens.

openpyxl's write-only mode spent ~90 µs a row here (12.8 s for 140,000 rows of the
recognised list on the 2-core bench machine; docs/performance.md), far over the second
an export may take. This writes the same SpreadsheetML by hand at 5–6 µs a row: one
sheet, a bold and a date style, column widths, a frozen header row; each column of a
known kind, converted a column at a time, so a row is one str.format; the values that
repeat (unit, group, officer) as shared strings. openpyxl reads it back in the tests.
"""

import re
import zipfile
from datetime import date
from io import BytesIO
from itertools import islice

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")   # not allowed in XML 1.0
_EPOCH = date(1899, 12, 30).toordinal()   # Excel's day 0 (with its 1900 leap-year quirk)
PLAIN, BOLD, DATE, TITLE = 0, 1, 2, 3    # the cellXfs below
BATCH = 4000                             # rows converted and compressed at a time

_FILES = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    "_rels/.rels": (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/styles" '
        'Target="styles.xml"/><Relationship Id="rId3" Type="{REL}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>').replace("{REL}", REL),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
        'formatCode="dd/mm/yyyy"/></numFmts><fonts count="3"><font><sz val="11"/>'
        '<name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="13"/><name val="Calibri"/></font></fonts><fills count="2">'
        '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
        '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" '
        'applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/><xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" '
        'applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
        'builtinId="0"/></cellStyles></styleSheet>'),
}


def legal(text: str) -> str:
    """Without the control characters XML forbids (a spreadsheet cannot hold them)."""
    return _ILLEGAL.sub("", text) if _ILLEGAL.search(text) else text


def clean(text: str) -> str:
    """Text as an XML character string: legal, escaped."""
    return legal(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _letters(n: int) -> str:
    name = ""
    while n:
        n, rest = divmod(n - 1, 26)
        name = chr(65 + rest) + name
    return name


def _number(value) -> str:
    return "" if value is None else f"<v>{value}</v>"


def _text(value) -> str:
    return "" if value is None else clean(str(value))


class _Shared(dict):
    """The shared-strings table, value → index: each distinct value once, cells point at
    it. A dict, so looking up a value already seen costs no Python call."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __missing__(self, value) -> int:
        found = self[value] = len(self)
        return found

    def xml(self) -> str:
        items = "".join(f"<si><t>{_text(text)}</t></si>" for text in self)
        return (f'{_HEAD}<sst xmlns="{MAIN}" count="{self.count}" uniqueCount="{len(self)}">'
                f"{items}</sst>")


def _cell(kind: str, col: str, i: int) -> str:
    """A cell of a column of `kind`, as a str.format template: {0} the row, {i} its value."""
    ref = f'r="{col}{{0}}"'
    return {"i": f"<c {ref}><v>{{{i}}}</v></c>",
            "n": f"<c {ref}>{{{i}}}</c>",
            "d": f'<c {ref} s="{DATE}"><v>{{{i}}}</v></c>',
            "s": f'<c {ref} t="inlineStr"><is><t>{{{i}}}</t></is></c>',
            "S": f'<c {ref} t="s"><v>{{{i}}}</v></c>'}[kind]


def _columns(kinds: str, shared: _Shared):
    """A batch of rows → the same rows, each value as its cell's template wants it;
    converted a column at a time with map(), which a long list needs (~2 µs a row less)."""
    serial = _EPOCH.__rsub__   # day number → Excel's: n - _EPOCH
    convert = {"i": lambda column: column,
               "n": lambda column: map(_number, column),
               "s": lambda column: map(_text, column),
               "S": lambda column: map(shared.__getitem__, column),
               "d": lambda column: map(serial, map(date.toordinal, column))}

    def batch(rows):
        columns = list(zip(*rows))
        shared.count += len(rows) * kinds.count("S")
        return zip(*(convert[kind](column) for kind, column in zip(kinds, columns)))
    return batch


def _plain_row(r: int, values, style: int) -> str:
    """A heading, header or footer row: text and numbers, in one style."""
    s = f' s="{style}"' if style else ""
    cells = []
    for i, value in enumerate(values, 1):
        if value is None or value == "":
            continue
        ref = f"{_letters(i)}{r}"
        if isinstance(value, str):
            cells.append(f'<c r="{ref}" t="inlineStr"{s}><is><t>{clean(value)}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"{s}><v>{value}</v></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def table(sheet: str, heading: list[str], header: list[str], widths: list[float], kinds: str,
          rows, footer=None) -> bytes:
    """The XLSX file: the `heading` lines (the first one large and bold), a blank line,
    the bold `header` (frozen: it stays in view while scrolling), the `rows`, then
    `footer(n)`'s bold row, given how many rows there were. `kinds` has a letter per
    column: "i" whole number, "d" date (neither ever None), "n" number or None (an empty
    cell), "s" text, "S" text that repeats (shared)."""
    shared = _Shared()
    row_xml = ('<row r="{0}">' + "".join(_cell(k, _letters(i), i) for i, k in enumerate(kinds, 1))
               + "</row>")
    batch = _columns(kinds, shared)
    first = len(heading) + 2   # the header's row number
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, xml in _FILES.items():
            archive.writestr(name, _HEAD + xml)
        archive.writestr("xl/workbook.xml", (
            f'{_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="{clean(sheet[:31])}" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>'))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                           for i, w in enumerate(widths, 1))
            lines = [f'{_HEAD}<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0">'
                     f'<pane ySplit="{first}" topLeftCell="A{first + 1}" activePane="bottomLeft" '
                     f'state="frozen"/></sheetView></sheetViews><cols>{cols}</cols><sheetData>']
            lines += [_plain_row(i, [text], TITLE if i == 1 else PLAIN) for i, text in enumerate(heading, 1)]
            lines.append(_plain_row(first, header, BOLD))
            r = first
            rows = iter(rows)
            while chunk := list(islice(rows, BATCH)):
                lines += [row_xml.format(n, *values)
                          for n, values in enumerate(batch(chunk), r + 1)]
                r += len(chunk)
                out.write("".join(lines).encode())
                lines.clear()
            if footer is not None:
                lines.append(_plain_row(r + 1, footer(r - first), BOLD))
            lines.append("</sheetData></worksheet>")
            out.write("".join(lines).encode())
        archive.writestr("xl/sharedStrings.xml", shared.xml())
    return buffer.getvalue()
