"""Turn whatever a keyboard or a feature phone sent into one comparable form.

`fold("  Dạ, CÓ ạ!! 👍 ")` → `"da co a"`. Folding is what every reader compares
against; `tokens` gives the same words with the marks they were typed with,
for the few words whose marks matter ("bà" is a pronoun, "ba" may be three).
Chat spellings are repaired on the way (flows/readers/spelling.py): full-width digits,
keycap emoji, elongated letters, Telex and VNI typed with the Vietnamese mode off.
"""

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from .spelling import repair

# đ/Đ have no Unicode decomposition, so NFD alone leaves them in place.
_STROKE = str.maketrans({"đ": "d", "Đ": "D"})
# Look-alikes some keyboards give for Đ/đ (Icelandic eth).
LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ"})
_RUN = re.compile(r"[^\W_]+")
_PAUSE = re.compile(r"[,;.!?…:)\]\-–—/]")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_KEYCAPS = str.maketrans({"🔟": " 10 "})


class Token(NamedTuple):
    folded: str      # "ba"
    marked: str      # as typed, lower case: "bà" (equal to `folded` when typed without marks)
    pause: bool = False   # punctuation before it: "không, có" is two thoughts
    glued: bool = False   # typed onto the word before it: the "3" of "VTV3"
    mended: bool = False  # a typo mended into a known word (flows/readers/mending.py): confirm it

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
    text = unicodedata.normalize("NFKC", (text or "").translate(_KEYCAPS).translate(LOOKALIKES))
    text = text.lower()
    out: list[Token] = []
    end = 0
    for match in _RUN.finditer(text):
        pause = bool(out) and bool(_PAUSE.search(text, end, match.start()))
        end = match.end()
        marked = unicodedata.normalize("NFC", match.group())
        folded = _ascii(strip_diacritics(marked))
        if not folded:
            continue
        fixed = repair(folded)
        if fixed != folded:   # marks typed as letters or digits: kept as typed, never "plain"
            out.extend(Token(w, folded, pause and k == 0) for k, w in enumerate(fixed.split()))
            continue
        pieces = _LETTER_DIGIT.split(folded)
        same = len(marked) == len(folded)  # strip_diacritics keeps NFC lengths: cut alike
        start = 0
        for k, piece in enumerate(pieces):
            stop = start + len(piece)
            out.append(Token(piece, marked[start:stop] if same else piece, pause and k == 0,
                             k > 0))
            start = stop
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
