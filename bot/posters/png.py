"""The poster as a PNG, drawn with Pillow: greyscale, 300 dpi (2480 × 3508 px, A4 at
print quality; a photo printer or a print shop needs no more)."""

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from . import fonts
from .layout import PAGE_H, PAGE_W, QR, Box, Poster, Text

DPI = 300


@lru_cache(maxsize=32)
def _font(bold: bool, pixels: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.path(bold)), pixels)


def render(poster: Poster, dpi: int = DPI) -> bytes:
    scale = dpi / 25.4                                   # pixels per mm
    image = Image.new("L", (round(PAGE_W * scale), round(PAGE_H * scale)), 255)
    draw = ImageDraw.Draw(image)
    for item in poster.items:
        if isinstance(item, Text):
            draw.text((item.x * scale, item.y * scale), item.text, fill=0, anchor="ls",
                      font=_font(item.bold, item.size * dpi / 72))
        elif isinstance(item, Box):
            corners = [round(item.x * scale), round(item.y * scale),
                       round((item.x + item.w) * scale) - 1, round((item.y + item.h) * scale) - 1]
            if item.line:
                draw.rectangle(corners, outline=0, width=max(1, round(item.line * scale)))
            else:
                draw.rectangle(corners, fill=0)
        elif isinstance(item, QR):
            _qr(draw, item, scale)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _qr(draw, item: QR, scale: float) -> None:
    """Whole pixels per module, so every module is as sharp as the next; centred in the
    square the layout gave."""
    count = len(item.modules)
    module = int(item.size * scale // count)
    left = round(item.x * scale + (item.size * scale - module * count) / 2)
    top = round(item.y * scale + (item.size * scale - module * count) / 2)
    for r, start, end in item.runs():
        draw.rectangle([left + start * module, top + r * module,
                        left + end * module - 1, top + (r + 1) * module - 1], fill=0)
