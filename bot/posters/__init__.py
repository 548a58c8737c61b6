"""Printable A4 posters for a unit: the QR code of the Zalo OA, the unit code in large type
and the SMS instruction ("Soạn DK 11953-1 gửi 0912 345 678"), as PNG and PDF.

What lives here:
- `layout.py`  what goes on the poster and where, in mm on A4 portrait: pure (no I/O, no
               clock); the text is measured with the shipped font's metrics;
- `fonts.py`   the typeface shipped in fonts/ (DejaVu Sans, fonts/LICENSE.txt): its files,
               widths and which characters it has; never a system font;
- `png.py`     the poster drawn with Pillow (300 dpi: 2480 × 3508 px);
- `pdf.py`     the poster drawn with fpdf2, the font embedded (subset).

It may import segno, Pillow, fpdf2 and fontTools; no Flask, no database, nothing of the
project but this package. The console's poster pages (bot/console/pages/posters.py) feed
it plain values: the unit's code and names, the Zalo link, the SMS number.
"""

from .layout import KEYWORD, Poster, compose, missing_settings, refusal  # noqa: F401
