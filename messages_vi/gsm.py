"""GSM 03.38 (GSM-7) text for SMS: make it, check it, count its segments.

One character outside GSM-7 turns the whole SMS into UCS-2, which halves what
fits in a segment (160 → 70); almost every Vietnamese letter with a mark is
outside it, so SMS text is written without diacritics.
"""

import unicodedata
from dataclasses import dataclass

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = set("^{}\\[~]|€\f")   # each costs two septets

# Typography pasted from word processors and phones, spelled the GSM-7 way.
REPLACEMENTS = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "–": "-", "—": "-",
    "…": "...", "•": "-", "·": "-", "\u00a0": " ", "\t": " ", "×": "x", "≥": ">=",
    "≤": "<=", "đ": "d", "Đ": "D",
})


@dataclass(frozen=True)
class Segments:
    encoding: str   # "GSM-7" | "UCS-2"
    count: int
    units: int      # septets (GSM-7) or UTF-16 code units (UCS-2)


def strip_marks(text: str) -> str:
    """Vietnamese without diacritics, đ included: "Đồng ý" → "Dong y"."""
    decomposed = unicodedata.normalize("NFD", text.translate(REPLACEMENTS))
    return unicodedata.normalize("NFC", "".join(
        c for c in decomposed if unicodedata.category(c) != "Mn"))


def to_gsm(text: str) -> str:
    """The text as GSM-7 can carry it: marks stripped, typography replaced, the rest dropped."""
    return "".join(c for c in strip_marks(text) if c in BASIC or c in EXTENDED)


def is_gsm(text: str) -> bool:
    return all(c in BASIC or c in EXTENDED for c in text)


def segments(text: str) -> Segments:
    if is_gsm(text):
        units = sum(2 if c in EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else -(-units // multi)
    return Segments(encoding, count, units)
