"""Turn whatever a keyboard or a feature phone sent into one comparable form.

`fold("  Dạ, CÓ ạ!! 👍 ")` → `"da co a"`. Folding is what every reader compares
against; `tokens` gives the same words with the marks they were typed with,
for the few words whose marks matter ("bà" is a pronoun, "ba" may be three).
Chat spellings are repaired on the way (flows/spelling.py): full-width digits,
keycap emoji, elongated letters, Telex and VNI typed with the Vietnamese mode off.
"""

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from .spelling import repair

# đ/Đ have no Unicode decomposition, so NFD alone leaves them in place.
_STROKE = str.maketrans({"đ": "d", "Đ": "D"})
_RUN = re.compile(r"[^\W_]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_KEYCAPS = str.maketrans({"🔟": " 10 "})


class Token(NamedTuple):
    folded: str      # "ba"
    marked: str      # as typed, lower case: "bà" (equal to `folded` when typed without marks)

    @property
    def plain(self) -> bool:
        return self.marked == self.folded


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks, keeping case: "Đồng ý" → "Dong y"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKE))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", bare)


def _ascii(word: str) -> str:
    """Letters a-z and digits 0-9 only; other scripts' digits become ASCII ones."""
    out = []
    for ch in word:
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
        elif ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
    return "".join(out)


@lru_cache(maxsize=8192)
def tokens(text: str) -> tuple[Token, ...]:
    """The words of a reply, folded and as typed. Digits and letters are split apart:
    "số2" → ("so", "số"), ("2", "2")."""
    text = unicodedata.normalize("NFKC", (text or "").translate(_KEYCAPS)).lower()
    out: list[Token] = []
    for run in _RUN.findall(text):
        marked = unicodedata.normalize("NFC", run)
        folded = _ascii(strip_diacritics(marked))
        if not folded:
            continue
        fixed = repair(folded)
        if fixed != folded:            # marks typed as letters or digits: none to trust
            out.extend(Token(w, w) for w in fixed.split())
            continue
        pieces = _LETTER_DIGIT.split(folded)
        if len(pieces) == 1 and len(marked) == len(folded):
            out.append(Token(folded, marked))
            continue
        start = 0
        for piece in pieces:   # strip_diacritics keeps NFC lengths: cut `marked` alike
            end = start + len(piece)
            same = len(marked) == len(folded)
            out.append(Token(piece, marked[start:end] if same else piece))
            start = end
    return tuple(out)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """NFC, lower case, no diacritics, punctuation and emoji removed, single spaces.

    Digits, letters and the separators people put inside numbers are kept
    apart: "2." → "2", "số 2" → "so 2", "0912.345.678" → "0912 345 678".
    """
    return " ".join(t.folded for t in tokens(text))


def tokens_of_folded(folded: str) -> tuple[Token, ...]:
    """Tokens for text that was folded already (its marks are gone)."""
    return tuple(Token(w, w) for w in folded.split())
