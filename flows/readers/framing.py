"""The politeness around a short reply, taken off both ends: "dạ chọn số 2 ạ" → "2".
Commands, skip words and phone numbers are compared without it."""

from functools import lru_cache
from typing import Sequence

from . import vocabulary as v


def _strip_phrases(words: tuple[str, ...], phrases: Sequence[tuple[str, ...]],
                   leading: bool) -> tuple[str, ...]:
    """Drop framing phrases from one end while something else remains."""
    changed = True
    while changed:
        changed = False
        for phrase in phrases:
            n = len(phrase)
            if len(words) <= n:
                continue
            edge = words[:n] if leading else words[-n:]
            if edge == phrase:
                words = words[n:] if leading else words[:-n]
                changed = True
                break
    return words


def _longest_first(phrases) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({tuple(p.split()) for p in phrases}, key=len, reverse=True))


_LEADING = _longest_first(v.PARTICLES | v.PRONOUNS | v.CHOOSING | v.SOFT_YES
                          | {"muon", "toi muon", "xin", "y kien", "da vang"})
_TRAILING = _longest_first(v.PARTICLES)


@lru_cache(maxsize=4096)
def core(folded: str) -> str:
    """The reply without politeness around it: "da chon so 2 a" → "2"."""
    words = tuple(folded.split())
    words = _strip_phrases(words, _TRAILING, leading=False)
    words = _strip_phrases(words, _LEADING, leading=True)
    words = _strip_phrases(words, _TRAILING, leading=False)
    return " ".join(words)
