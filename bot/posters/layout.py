"""What goes on a unit's poster and where: plain values in, drawing items out, in mm from
the top-left corner of an A4 portrait page (210 × 297). The renderers (png.py, pdf.py)
only draw what `compose` returns, so the PNG and the PDF are the same poster.

Sized for an elderly reader a metre away: black on white, the title and the unit code in
bold at 26–80 pt (the code's capitals 2 cm tall), every instruction at 17 pt or more
(capitals over 4 mm). The QR code is 78 mm wide with its quiet zone, error correction Q
(a quarter of it may be dirty or shiny), so each module is about 2 mm.

The citizen's way in is the message "DK <code>": sent first, on Zalo or by SMS, it sets
the unit (docs/conversation.md). A scan only opens the OA: no Zalo link is documented to
carry a parameter to the webhook (docs/zalo.md, "Posters and the QR code"), so the poster
says what to send, and that the same code answers the bot's "which commune?" question.
"""

import re
import unicodedata
from dataclasses import dataclass

import segno

from . import fonts

KEYWORD = "DK"
TITLE = ("THAM GIA ĐÁNH GIÁ", "CÔNG DÂN HỌC TẬP")
PAGE_W, PAGE_H = 210.0, 297.0
FRAME = 9.0                       # the frame's inset: inside what office printers can print
LEFT, RIGHT = 16.0, 194.0
WIDTH = RIGHT - LEFT
FOOTER_Y = PAGE_H - FRAME - 6     # the footer's baseline
QR_SIZE, QR_BORDER, QR_ERROR = 78.0, 4, "q"
GAP = 7.0                         # between sections
NBSP = "\u00a0"                    # joins words a line must not break between
STEPS = (("1.", "Mở Zalo, bấm nút quét mã QR."), ("2.", "Hướng máy vào mã bên trái."),
         ("3.", "Bấm Nhắn tin, gửi:"))
SCALES = (1.0, 0.93, 0.86, 0.8, 0.74)   # tried in turn until everything fits above the footer


@dataclass(frozen=True)
class Text:
    """One line: `x`, `y` is the left end of its baseline; `size` in points."""
    x: float
    y: float
    text: str
    size: float
    bold: bool = False


@dataclass(frozen=True)
class Box:
    """A rectangle: outlined with a `line` mm thick, or filled when `line` is 0."""
    x: float
    y: float
    w: float
    h: float
    line: float = 0.0


@dataclass(frozen=True)
class QR:
    """The QR code of `data`: `modules` rows (True: dark), quiet zone included, drawn as a
    square `size` mm wide at `x`, `y` (top-left)."""
    x: float
    y: float
    size: float
    data: str
    modules: tuple[tuple[bool, ...], ...]

    def runs(self):
        """(row, first, past-the-last column) of each stretch of dark modules: one
        rectangle each for the renderers."""
        for r, row in enumerate(self.modules):
            start = None
            for c, dark in enumerate((*row, False)):
                if dark and start is None:
                    start = c
                elif not dark and start is not None:
                    yield r, start, c
                    start = None


@dataclass(frozen=True)
class Poster:
    title: str                # the document's title (PDF metadata, file names)
    items: tuple              # Text, Box and QR, in drawing order

    def texts(self) -> list[str]:
        return [item.text for item in self.items if isinstance(item, Text)]


def clean(text: str | None) -> str:
    """Composed (NFC: one character per Vietnamese letter, as the font draws it), on one
    line, without control characters."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    return " ".join(text.split())


def sms_number_printed(raw: str) -> str:
    """A Vietnamese number as people read it: "0912345678" and "+84912345678" → "0912 345
    678"; anything else (a short code such as "8077") as configured."""
    digits = re.sub(r"[\s.()-]", "", raw or "")
    if re.fullmatch(r"\+?84\d{9}", digits):
        digits = "0" + digits[-9:]
    if re.fullmatch(r"0\d{9}", digits):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return clean(raw)


def missing_settings(link: str | None, sms_number: str | None) -> list[str]:
    """What the officer should know is left off the poster, and which setting adds it."""
    notes = []
    if not link:
        notes.append("Chưa đặt địa chỉ Zalo của OA (CDHT_ZALO_OA_ID hoặc CDHT_ZALO_OA_LINK): "
                     "áp phích chưa có mã QR để quét bằng Zalo.")
    if not sms_number:
        notes.append("Chưa đặt số nhận tin nhắn (CDHT_SMS_NUMBER): áp phích chưa có dòng "
                     "hướng dẫn nhắn tin SMS. Nhờ người quản trị hệ thống đặt số này.")
    return notes


def refusal(name: str, kind: str, joinable: bool, active: bool,
            merged_into: str | None = None) -> str | None:
    """Why this unit gets no poster, or None: citizens register only at joinable, active
    units."""
    if not active:
        if merged_into:
            return f"«{name}» đã được sáp nhập vào «{merged_into}»: hãy in áp phích của đơn vị đó."
        return f"«{name}» đã ngừng hoạt động: không in áp phích cho đơn vị này."
    if not joinable:
        if kind in ("province", "city"):
            return (f"«{name}» là đơn vị cấp tỉnh: người dân không đăng ký vào cấp tỉnh nên "
                    "không có áp phích. Hãy in áp phích của từng xã, phường hoặc chi hội.")
        return f"«{name}» không nhận người dân đăng ký nên không có áp phích."
    return None


def qr_modules(data: str) -> tuple[tuple[bool, ...], ...]:
    code = segno.make_qr(data, error=QR_ERROR, boost_error=False)
    return tuple(tuple(bool(m) for m in row) for row in code.matrix_iter(scale=1, border=QR_BORDER))


def compose(code: str, name: str, parent_name: str | None = None, link: str | None = None,
            sms_number: str | None = None, keyword: str = KEYWORD) -> Poster:
    """The poster of unit `code` named `name` (under `parent_name`): the QR code of `link`
    when there is one, the SMS line when there is a number."""
    code, name, parent, link = clean(code), clean(name), clean(parent_name), clean(link)
    if parent and parent.casefold() in name.casefold():
        parent = ""                     # "Chi hội số 1, Xã Tiên Lữ" already says where
    number = sms_number_printed(sms_number) if sms_number and sms_number.strip() else ""
    message = f"{keyword} {code}"
    for scale in SCALES:
        items, bottom = _compose(code, name, parent, link, number, message, scale)
        if bottom <= FOOTER_Y - 9:
            break
    return Poster(title=f"Áp phích – {name} (mã {code})", items=tuple(items))


def _compose(code, name, parent, link, number, message, scale):
    items = [Box(FRAME, FRAME, PAGE_W - 2 * FRAME, PAGE_H - 2 * FRAME, line=1.2)]
    size = min(_fit(line, True, 38 * scale, 24, WIDTH) for line in TITLE)
    y = _centred(items, TITLE, size, True, FRAME + 7, pitch=1.3)
    size, lines = _paragraph(name, True, 26 * scale, 17, WIDTH, max_lines=3)
    y = _centred(items, lines, size, True, y + 3)
    if parent:
        size, lines = _paragraph(parent, False, 18 * scale, 14, WIDTH, max_lines=1)
        y = _centred(items, lines, size, False, y)
    items.append(Box(LEFT, y + 3, WIDTH, 0.8))
    y += 3 + 0.8 + GAP * scale
    if link:
        y = _zalo(items, link, message, y, scale) + GAP * scale
    y = _code_box(items, code, y, scale) + GAP * scale
    if number:
        y = _sms(items, message, number, y, scale)
    footer = "Trợ lý tự động của Hội Khuyến học · Gõ HD để xem hướng dẫn"
    size = _fit(footer, False, 12, 9, WIDTH)
    items.append(Text(_centre_x(footer, size, False), FOOTER_Y, footer, size))
    return items, y


def _zalo(items, link, message, top, scale):
    """The QR code on the left, how to use it on the right; returns the section's bottom."""
    side = QR_SIZE * scale
    items.append(QR(LEFT, top, side, link, qr_modules(link)))
    shown = re.sub(r"^https?://", "", link)
    size = _fit(shown, False, 10, 7, side)
    items.append(Text(LEFT + (side - fonts.width(shown, size)) / 2, top + side + 3.5, shown, size))
    x = LEFT + side + 6
    width = RIGHT - x
    size = _fit("Quét mã bằng Zalo", True, 26 * scale, 18, width)
    y = _left(items, ["Quét mã bằng Zalo"], size, True, x, top + 1)
    for number, step in STEPS:
        indent = fonts.width(number + " ", 17)
        lines = _lines(step, False, 17, width - indent)
        _left(items, [number], 17, False, x, y + 1.5)
        y = _left(items, lines, 17, False, x + indent, y + 1.5)
    size, lines = _paragraph(message, True, 30 * scale, 17, width, 1, cut=False)
    y = _left(items, lines, size, True, x, y + 1.5)
    return max(top + side + 5, y)


def _code_box(items, code, top, scale):
    """The unit code, large, in a box; returns the box's bottom."""
    inner = WIDTH - 12
    y = _centred(items, ["MÃ ĐƠN VỊ"], 18 * scale, True, top + 3)
    size = _fit(code, True, 80 * scale, 28, inner)
    y = _centred(items, _lines(code, True, size, inner), size, True, y - 1, pitch=1.05)
    note = "Khi trợ lý hỏi xã/phường, gõ mã này."
    y = _centred(items, [note], _fit(note, False, 17, 14, inner), False, y + 1)
    items.append(Box(LEFT, top, WIDTH, y + 4 - top, line=1.5))
    return y + 4


def _sms(items, message, number, top, scale):
    """The SMS instruction; returns its bottom."""
    heading = "Không dùng Zalo? Nhắn tin SMS:"
    y = _centred(items, [heading], _fit(heading, True, 20 * scale, 17, WIDTH), True, top)
    together = f"Soạn {message.replace(' ', NBSP)} gửi {number.replace(' ', NBSP)}"
    size, lines = _paragraph(together, True, 30 * scale, 20, WIDTH, 2, cut=False)
    return _centred(items, lines, size, True, y + 1)


# -- measuring and placing lines ---------------------------------------------------------
def _fit(text, bold, largest, smallest, width):
    """The largest size (in steps of half a point) at which `text` fits `width` on one
    line; `smallest` if none does."""
    size = float(largest)
    while size > smallest and fonts.width(text, size, bold) > width:
        size -= 0.5
    return max(size, smallest)


def _lines(text, bold, size, width, balance=True):
    """`text` broken into lines no wider than `width`, between words (never inside a
    "keep together" group joined by NBSP, such as a phone number), the lines made about
    equally long rather than leaving one word alone on the last."""
    lines = _greedy(text, bold, size, width)
    if balance and len(lines) > 1:
        narrow = width
        while narrow > width / 2:
            tried = _greedy(text, bold, size, narrow - 2)
            if len(tried) != len(lines):
                break
            lines, narrow = tried, narrow - 2
    return [line.replace(NBSP, " ") for line in lines]


def _greedy(text, bold, size, width):
    lines, line = [], ""
    for word in text.split(" "):
        if not word:
            continue
        candidate = f"{line} {word}" if line else word
        if fonts.width(candidate, size, bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while fonts.width(line, size, bold) > width and len(line) > 1:   # one long word
            cut = max(i for i in range(1, len(line))
                      if i == 1 or fonts.width(line[:i], size, bold) <= width)
            lines.append(line[:cut])
            line = line[cut:]
    return lines + ([line] if line else [])


def _paragraph(text, bold, largest, smallest, width, max_lines, cut=True):
    """The size and lines of `text` in at most `max_lines` lines: one line if it fits at
    four fifths of `largest` or more, else the largest size that needs fewest lines; at
    `smallest`, lines past the last are cut with an ellipsis (or kept, when the text must
    print whole: a code, a number)."""
    for count in range(1, max_lines + 1):
        floor = max(smallest, largest * 0.8) if count < max_lines else smallest
        size = float(largest)
        while size >= floor:
            lines = _lines(text, bold, size, width)
            if len(lines) <= count:
                return size, lines
            size -= 0.5
    size = float(smallest)
    lines = _lines(text, bold, size, width, balance=cut)
    if not cut:
        return size, lines
    last = lines[max_lines - 1]
    while last and fonts.width(last + "…", size, bold) > width:
        last = last[:-1]
    return size, lines[:max_lines - 1] + [last.rstrip() + "…"]


def _em(size):
    return size * fonts.MM_PER_PT


def _centre_x(text, size, bold):
    return LEFT + (WIDTH - fonts.width(text, size, bold)) / 2


def _centred(items, lines, size, bold, top, pitch=1.25):
    """Lines centred on the page from `top` down; returns the bottom of the last."""
    y = top
    for line in lines:
        items.append(Text(_centre_x(line, size, bold), y + _em(size), line, size, bold))
        y += _em(size) * pitch
    return y


def _left(items, lines, size, bold, x, top, pitch=1.25):
    y = top
    for line in lines:
        items.append(Text(x, y + _em(size), line, size, bold))
        y += _em(size) * pitch
    return y
