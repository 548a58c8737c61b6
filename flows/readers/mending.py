"""Before a reply is read: words run together or mistyped are mended against the words
the reader knows, and a few idioms are put plainly.

- "khongbaogio", "dongy" → "khong bao gio", "dong y" (a known phrase typed without spaces);
- "khomg", "thuomg" → "khong", "thuong": a slip of one letter, only when the word typed
  cannot be a Vietnamese syllable ("khoang" is a word, and is never taken for "khong"),
  and only when exactly one known word is that close. The mended word is marked so the
  reader confirms a choice instead of taking it;
- "sáng nào tôi cũng nghe", "bữa nào cũng xem" → "ngày nào cũng …" (every day).
"""

import re
from functools import lru_cache
from typing import Sequence

from .normalize import Token

_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnrstvx])?"
                       r"[aeiouy]{1,3}(ch|nh|ng|[cmnpt])?$")
_TIMES = frozenset({"ngay", "hom", "bua", "toi", "sang", "trua", "chieu", "dem", "tuan",
                    "thang", "buoi", "luc", "khi"})
_WHICH = frozenset({"nao", "mo"})           # "nào", central "mô"
_EVERY = ("ngay", "nao", "cung")


def slips(a: str, b: str) -> int:
    """Damerau edit distance, capped at 2 (one typo, or a swap of two letters, is 1)."""
    if abs(len(a) - len(b)) > 1:
        return 2
    d = [[i + j if not i * j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return min(d[-1][-1], 2)


@lru_cache(maxsize=512)
def _known_for(lexicon_name: str, choices: tuple) -> tuple[frozenset, frozenset]:
    """The words the reader knows for this lexicon and these options, and the phrases
    run together, computed once per lexicon and set of options."""
    from .scanning import LEXICONS, option_phrases   # scanning uses this module
    phrases = set(LEXICONS[lexicon_name]) | set(option_phrases(choices) if choices else ())
    return (frozenset(w for p in phrases for w in p),
            frozenset(("".join(p), p) for p in phrases if len(p) > 1))


@lru_cache(maxsize=4096)
def _mended(word: str, known: frozenset, glued_key: frozenset) -> tuple[tuple[str, ...], bool] | None:
    """(the words it stands for, whether that is a guess), or None."""
    glued = dict(glued_key)
    if word in glued:
        return glued[word], False
    if len(word) < 4 or _SYLLABLE.match(word) or not word.isalpha():
        return None
    close = {k for k in known if len(k) >= 4 and k[0] == word[0] and slips(word, k) == 1}
    return ((close.pop(),), True) if len(close) == 1 else None


def mend(tokens: Sequence[Token], lexicon_name: str, choices: tuple) -> list[Token]:
    known, glued_key = _known_for(lexicon_name, choices)
    out: list[Token] = []
    for t in tokens:
        w = t.folded
        found = None if w in known or w.isdigit() else _mended(w, known, glued_key)
        if found is None:
            out.append(t)
            continue
        words, guessed = found
        out.extend(Token(x, t.folded, t.pause and k == 0, t.glued and k == 0, guessed)
                   for k, x in enumerate(words))
    return out


def _some_days(tokens: list[Token], i: int) -> int:
    """The length of "có bữa (coi) có bữa không" at `i` (some days yes, some days no), or 0."""
    w = [t.folded for t in tokens[i:i + 7]]
    if len(w) < 5 or w[0] != "co" or w[1] not in _TIMES:
        return 0
    for k in range(2, len(w) - 2):
        if w[k] == "co" and w[k + 1] == w[1] and w[k + 2] == "khong":
            return k + 3
    return 0


def idioms(tokens: list[Token]) -> list[Token]:
    """"sáng nào (tôi) cũng …", "bữa mô cũng …" → "ngày nào cũng …"; "có bữa (coi) có
    bữa không" → "lúc có lúc không"."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        some = _some_days(tokens, i)
        if some:
            out.extend(Token(x, x, tokens[i].pause and k == 0)
                       for k, x in enumerate(("luc", "co", "luc", "khong")))
            i += some
            continue
        w = [t.folded for t in tokens[i:i + 5]]
        if len(w) >= 3 and w[0] in _TIMES and w[1] in _WHICH:
            end = next((k for k in range(2, min(5, len(w))) if w[k] == "cung"), None)
            if end is not None and not any(t.pause for t in tokens[i + 1:i + end + 1]):
                out.extend(Token(x, x, tokens[i].pause and k == 0) for k, x in enumerate(_EVERY))
                i += end + 1
                continue
        out.append(tokens[i])
        i += 1
    return out
