"""Turn whatever a keyboard or a feature phone sent into one comparable form.

`fold("  Dạ, CÓ ạ!! 👍 ")` → `"da co a"`. Folding is what every reader in
`understanding.py` compares against; the raw text is kept elsewhere.
"""

import re
import unicodedata
from functools import lru_cache

# đ/Đ have no Unicode decomposition, so NFD alone leaves them in place.
_STROKE = str.maketrans({"đ": "d", "Đ": "D"})
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks, keeping case: "Đồng ý" → "Dong y"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKE))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", bare)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """NFC, lower case, no diacritics, punctuation and emoji removed, single spaces.

    Digits, letters and the separators people put inside numbers are kept
    apart: "2." → "2", "số 2" → "so 2", "0912.345.678" → "0912 345 678".
    """
    text = unicodedata.normalize("NFC", text or "")
    text = strip_diacritics(text).lower()
    text = _NOT_WORD.sub(" ", text)
    text = _LETTER_DIGIT.sub(" ", text)        # "so2" → "so 2", "2a" → "2 a"
    return _SPACES.sub(" ", text).strip()
