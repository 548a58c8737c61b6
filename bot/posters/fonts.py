"""The posters' typeface, shipped beside the code so that Vietnamese renders the same on
every machine: DejaVu Sans regular and bold (fonts/LICENSE.txt). Widths come from the
font's own tables, so the layout is measured without drawing anything."""

import unicodedata
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

FOLDER = Path(__file__).parent / "fonts"
REGULAR = FOLDER / "DejaVuSans.ttf"
BOLD = FOLDER / "DejaVuSans-Bold.ttf"
MM_PER_PT = 25.4 / 72


def path(bold: bool) -> Path:
    return BOLD if bold else REGULAR


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Each character's advance in ems, and the advance of a character the font lacks."""
    font = TTFont(path(bold), lazy=True)
    upem = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    advances = {code: metrics[glyph][0] / upem for code, glyph in font.getBestCmap().items()}
    return advances, metrics[".notdef"][0] / upem


def width(text: str, size: float, bold: bool = False) -> float:
    """The width of one line of `text` at `size` points, in mm."""
    advances, notdef = _advances(bold)
    ems = sum(advances.get(ord(c), notdef) for c in unicodedata.normalize("NFC", text))
    return ems * size * MM_PER_PT


def missing(text: str) -> set[str]:
    """The characters of `text` (composed, as the posters print it) that the regular or the
    bold face lacks: they would print as empty boxes."""
    composed = unicodedata.normalize("NFC", text)
    have = _advances(False)[0].keys() & _advances(True)[0].keys()
    return {c for c in composed if not c.isspace() and ord(c) not in have}
