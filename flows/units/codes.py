"""Unit codes as people type them back from a poster or a list: "11953-1", "11953 1",
"11953.1", "DK 11953_1", "a1/2" all name the code printed "11953-1" or "A1.2".

A code is compared with its separators made alike ("-", ".", "/", "_" and spaces are
one separator) and, failing that, with them dropped. Dropping them can make two codes
one ("123641" could be 12364-1 or 1236-41): then every such code is offered, never one.
"""

import re
import unicodedata
from dataclasses import dataclass

from ..readers.normalize import strip_diacritics

_SEPARATORS = re.compile(r"[\s\-./_]+")
_PIECE = re.compile(r"[a-z0-9]+(?:[-./_][a-z0-9]+)*")
_PREFIX = re.compile(r"^(?:dk|dang ky|ma don vi|ma so|ma|so)\b[\s:.\-]*|^dk(?=\d)")
MAX_PIECES = 3        # "11953 1" is one code typed with a space; more is not a code
# A number after these is a hamlet's or a house's, not a code: "thôn 33, xã Tiên Lữ".
_HAMLET = frozenset({"thon", "xom", "to", "ap", "khu", "doi", "nha", "ngo", "hem", "duong",
                     "kiet", "cum", "ban", "lang", "so"})


def _plain(text: str) -> str:
    return strip_diacritics(unicodedata.normalize("NFKC", text or "")).lower().strip()


def code_key(code: str) -> str:
    """"11953.1", "11953 1" → "11953-1": separators made alike."""
    return _SEPARATORS.sub("-", _plain(code)).strip("-")


def squashed(code: str) -> str:
    return code_key(code).replace("-", "")


@dataclass(frozen=True)
class TypedCode:
    text: str          # as it stands in the reply, separators made alike
    separated: bool    # typed with a separator: "12364-1" names one code exactly

    @property
    def squashed(self) -> str:
        return self.text.replace("-", "")


def typed_codes(reply: str) -> list[tuple[int, int, TypedCode]]:
    """(start, size, code) for every run of one to three pieces that holds a digit,
    longest first, so that "DK 11953 1" offers "11953-1" before "11953" and "1"."""
    text = _plain(reply)
    while True:
        shorter = _PREFIX.sub("", text, count=1).strip()
        if shorter == text:
            break
        text = shorter
    pieces = _PIECE.findall(text)
    found = []
    for size in range(min(MAX_PIECES, len(pieces)), 0, -1):
        for start in range(len(pieces) - size + 1):
            span = pieces[start:start + size]
            if start and pieces[start - 1] in _HAMLET and span[0].isdigit():
                continue
            joined = "-".join(span)
            if any(ch.isdigit() for ch in joined):
                found.append((start, size, TypedCode(code_key(joined), "-" in code_key(joined))))
    return found


class CodeIndex:
    """Codes by their separator-alike form and by their squashed form."""

    def __init__(self, codes):
        self.by_key: dict[str, list[str]] = {}
        self.by_squashed: dict[str, list[str]] = {}
        for code in codes:
            self.by_key.setdefault(code_key(code), []).append(code)
            self.by_squashed.setdefault(squashed(code), []).append(code)

    def lookup(self, typed: TypedCode) -> list[str]:
        """The codes this typed code can be: one when it names one, several to ask."""
        exact = self.by_key.get(typed.text, [])
        group = self.by_squashed.get(typed.squashed, [])
        if len(exact) == 1 and (typed.separated or group == exact):
            return exact
        return sorted(set(exact) | set(group))

    def find(self, reply: str) -> list[str]:
        """Codes named in a reply; pieces used by a longer code are not read again."""
        used: set[int] = set()
        found: list[str] = []
        for start, size, typed in typed_codes(reply):
            if used & set(range(start, start + size)):
                continue
            codes = self.lookup(typed)
            if codes:
                used |= set(range(start, start + size))
                found.extend(c for c in codes if c not in found)
        return found
