"""The units a citizen can register to, searchable by code or by name without diacritics.

The host builds it from the unit tree; the engine only reads it. Names are
matched folded and without their kind word, so "tien lu", "Xã Tiên Lữ" and
"xa tien lu" all find Xã Tiên Lữ.
"""

import re
from dataclasses import dataclass

from .normalize import fold

KIND_WORDS = ("chi hoi khuyen hoc", "hoi khuyen hoc", "chi hoi", "thi tran", "dac khu", "phuong", "xa",
              "p", "x", "tt")
MAX_CANDIDATES = 5   # a numbered list of five short names fits one SMS


@dataclass(frozen=True)
class UnitEntry:
    code: str
    name: str                 # "Xã Tiên Lữ"
    area: str = ""            # where it is, for telling namesakes apart: "Hưng Yên"
    parent: str | None = None
    help_name: str | None = None    # who answers the phone for this unit
    help_phone: str | None = None
    joinable: bool = True           # citizens may register here


@dataclass(frozen=True)
class Search:
    exact: tuple[UnitEntry, ...]
    partial: tuple[UnitEntry, ...]


def bare_name(text: str) -> str:
    """Folded name without its kind word: "Xã Tiên Lữ" → "tien lu"."""
    words = fold(text)
    for kind in KIND_WORDS:
        if words.startswith(kind + " "):
            return words[len(kind) + 1:]
    return words


def bare_title(name: str) -> str:
    """The name without its kind word, keeping its letters: "Xã Tiên Lữ" → "Tiên Lữ"."""
    folded = fold(name)
    for kind in KIND_WORDS:
        if folded.startswith(kind + " "):
            return " ".join(name.split()[len(kind.split()):])
    return name


_CODE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")


class Directory:
    def __init__(self, entries, default_help: tuple[str, str] | None = None):
        self.by_code = {e.code.lower(): e for e in entries}
        self._names = [(bare_name(e.name), e) for e in entries if e.joinable]
        self.default_help = default_help

    def get(self, code: str | None) -> UnitEntry | None:
        return self.by_code.get(code.lower()) if code else None

    def search(self, text: str) -> Search:
        query = fold(text)
        for prefix in ("dk ", "dang ky ", "ma "):
            if query.startswith(prefix):
                query = query[len(prefix):]
        entry = self.by_code.get(query.replace(" ", ""))
        if entry and entry.joinable and _CODE.match(query.replace(" ", "")):
            return Search(exact=(entry,), partial=())
        name = bare_name(query)
        if not name or name.replace(" ", "").isdigit():   # a number is a code, never a name
            return Search((), ())
        exact = tuple(e for n, e in self._names if n == name)
        padded = f" {name} "
        partial = tuple(e for n, e in self._names if n != name and padded in f" {n} ")
        return Search(exact, partial)

    def help_contact(self, code: str | None) -> tuple[str, str] | None:
        """The nearest unit up the tree with a phone to call, else the default."""
        entry = self.get(code)
        seen = set()
        while entry and entry.code not in seen:
            if entry.help_phone:
                return entry.help_name or entry.name, entry.help_phone
            seen.add(entry.code)
            entry = self.get(entry.parent)
        return self.default_help
