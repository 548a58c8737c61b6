"""The poster as a one-page A4 PDF, drawn with fpdf2. The font is embedded (a subset of
DejaVu Sans with a ToUnicode map), so Vietnamese prints the same from any viewer or
printer, and the text can be searched and copied. The QR code is drawn as vector squares:
sharp at any size."""

from fpdf import FPDF

from . import fonts
from .layout import QR, Box, Poster, Text

FAMILY = "DejaVuSans"


def render(poster: Poster) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font(FAMILY, "", str(fonts.REGULAR))
    pdf.add_font(FAMILY, "B", str(fonts.BOLD))
    pdf.set_title(poster.title)
    pdf.set_creator("cdht-bot")
    pdf.set_lang("vi")
    pdf.add_page()
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    pdf.set_fill_color(0)
    for item in poster.items:
        if isinstance(item, Text):
            pdf.set_font(FAMILY, "B" if item.bold else "", item.size)
            pdf.text(item.x, item.y, item.text)
        elif isinstance(item, Box):
            if item.line:
                pdf.set_line_width(item.line)
                half = item.line / 2       # the stroke inside the box, as in the PNG
                pdf.rect(item.x + half, item.y + half, item.w - item.line, item.h - item.line,
                         style="D")
            else:
                pdf.rect(item.x, item.y, item.w, item.h, style="F")
        elif isinstance(item, QR):
            _qr(pdf, item)
    return bytes(pdf.output())


def _qr(pdf, item: QR) -> None:
    module = item.size / len(item.modules)
    for r, start, end in item.runs():
        pdf.rect(item.x + start * module, item.y + r * module, (end - start) * module, module,
                 style="F")
