"""The units a citizen can register to, found by code, by name, or by the name the
commune had before the 2025 merger.

The host builds it from the unit tree (and the official old-to-new commune table);
the engine only reads it. `find` never picks among several: it returns every unit the
reply could mean, and the unit question offers them as a list.
"""

from dataclasses import dataclass

from ..readers.normalize import fold, tokens
from .places import CITY, COMMUNE, DISTRICT, KIND_WORDS as PLACE_KINDS, PROVINCE, mentions, roles
from .codes import CodeIndex

KIND_WORDS = ("chi hoi khuyen hoc", "hoi khuyen hoc", "chi hoi", "thi tran", "dac khu", "phuong",
              "xa", "huyen", "quan", "thi xa", "thanh pho", "tinh", "p", "x", "tt", "tp")
MAX_CANDIDATES = 5   # a numbered list of five short names fits one SMS
KIND_STARTS = {k[0] for k in PLACE_KINDS if len(k) == 1}


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
class OldUnit:
    """A commune or ward as it was before 1 July 2025, and the units it became part of."""
    name: str                  # "Xã Hòa Bình"
    district: str              # "Huyện Vũ Thư"
    province: str              # "Tỉnh Thái Bình"
    now: tuple[str, ...]       # unit codes in the tree, one unless it was split


@dataclass(frozen=True)
class Match:
    entry: UnitEntry
    old: OldUnit | None = None     # reached through this pre-2025 name
    code: bool = False             # named by its code


@dataclass(frozen=True)
class Found:
    matches: tuple[Match, ...] = ()
    partial: bool = False          # a part of a name ("chau"): offered, never taken
    closed: UnitEntry | None = None   # a code of a unit citizens cannot join (a province)
    district_needed: str | None = None   # an old name with namesakes in many districts


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


def _key(text: str) -> tuple[str, ...]:
    return tuple(bare_name(text).split())


class Directory:
    def __init__(self, entries, default_help: tuple[str, str] | None = None,
                 old_units=()):
        entries = list(entries)
        self.by_code = {e.code.lower(): e for e in entries}
        self.codes = CodeIndex(e.code for e in entries)
        self.default_help = default_help
        self.current: dict[tuple, list[UnitEntry]] = {}
        for e in entries:
            if e.joinable:
                self.current.setdefault(_key(e.name), []).append(e)
        self.old: dict[tuple, list[OldUnit]] = {}
        self.districts_of: dict[str, set[tuple]] = {}     # unit code → old districts
        self.provinces_of: dict[str, set[tuple]] = {e.code: {_key(e.area)} for e in entries}
        for o in old_units:
            now = tuple(c for c in o.now if c.lower() in self.by_code)
            if not now:
                continue
            self.old.setdefault(_key(o.name), []).append(OldUnit(o.name, o.district, o.province, now))
            for code in now:
                self.districts_of.setdefault(code, set()).add(_key(o.district))
                self.provinces_of.setdefault(code, set()).add(_key(o.province))
        self.district_names = {d for ds in self.districts_of.values() for d in ds}
        self.province_names = {p for ps in self.provinces_of.values() for p in ps if p}
        self.names = set(self.current) | set(self.old) | self.district_names | self.province_names
        self.longest = max((len(n) for n in self.names), default=1)

    def get(self, code: str | None) -> UnitEntry | None:
        return self.by_code.get(code.lower()) if code else None

    # -- finding ----------------------------------------------------------------------------

    def find(self, text: str) -> Found:
        by_code = [self.by_code[c.lower()] for c in self.codes.find(text)]
        open_ = [Match(e, code=True) for e in by_code if e.joinable]
        named, district_needed, unsure = self._by_name(text)
        if by_code and not open_ and not named:
            return Found(closed=by_code[0])
        matches = _distinct(open_ + named)
        if matches or district_needed:
            return Found(tuple(matches), partial=unsure and not open_,
                         district_needed=district_needed if not matches else None)
        if by_code or any(t.folded.isdigit() for t in tokens(text)):
            return Found()                    # a number that is no code is never a name
        return Found(self._partial(text), partial=True)

    def _by_name(self, text: str) -> tuple[list[Match], str | None, bool]:
        """(the units named, an old name that needs its district, whether every name read
        began with a kind word and had none before it: "Phương Nam" or "phường Nam…"?)"""
        toks = tokens(text)          # a number stays, as "#": "thôn 3 Tiên Lữ" is thôn 3
        words = ["#" if t.folded.isdigit() else t.folded for t in toks]
        pauses = [t.pause for t in toks]
        said = roles(mentions(words, pauses, self.names, self.longest),
                     lambda n: n in self.current or n in self.old,
                     lambda n: n in self.district_names, lambda n: n in self.province_names)
        districts = {m.words for m in said if m.role in (DISTRICT, CITY)}
        provinces = {m.words for m in said if m.role in (PROVINCE, CITY)}
        found: list[Match] = []
        communes = [m for m in said if m.role == COMMUNE]
        # Taken only when nothing else could be meant: not "Phương Nam" (or "phường Nam…"),
        # not "Thái Bình" or "Vũ Thư" alone (an old province or district as well), not a
        # name whose district or province said with it does not fit.
        larger = not districts and not provinces    # nothing said to tell them apart
        unsure = bool(communes) and all(
            m.plain and (m.words[0] in KIND_STARTS or (larger and (
                m.words in self.district_names or m.words in self.province_names)))
            for m in communes)
        for m in communes:
            now = [Match(e) for e in self.current.get(m.words, [])]
            before = [Match(self.by_code[c.lower()], o) for o in self.old.get(m.words, [])
                      for c in o.now]
            kept = self._qualified(now + before, districts, provinces)
            unsure = unsure or (bool(now + before) and not kept)
            found += kept or now + before
        olds = {x.old for x in found if x.old}
        if len(_distinct(found)) > MAX_CANDIDATES and olds and len({o.district for o in olds}) > 1:
            return [], next(iter(olds)).name, False
        return found, None, unsure

    def _qualified(self, matches: list[Match], districts: set, provinces: set) -> list[Match]:
        """Only what fits the district and province said with it (none: the caller offers
        them all rather than take one)."""
        def fits(m: Match) -> bool:
            code = m.entry.code
            in_district = not districts or (
                _key(m.old.district) in districts if m.old else
                bool(self.districts_of.get(code, set()) & districts))
            where = self.provinces_of.get(code, set()) | ({_key(m.old.province)} if m.old else set())
            in_province = not provinces or bool(where & provinces)
            return in_district and in_province
        return [m for m in matches if fits(m)]

    def _partial(self, text: str) -> tuple[Match, ...]:
        """Units whose name holds the reply as whole words: "chau" → Hồng Châu, Khoái Châu…"""
        name = " ".join(_key(text))
        if not name:
            return ()
        padded = f" {name} "
        return tuple(Match(e) for key, es in self.current.items() if padded in f" {' '.join(key)} "
                     for e in es)

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


def _distinct(matches: list[Match]) -> list[Match]:
    """One match per unit, in the order found: named by its code or its current name
    before any old name."""
    best: dict[str, Match] = {}
    for m in matches:
        held = best.get(m.entry.code)
        if held is None or (held.old and not m.old):
            best[m.entry.code] = m
    return list(best.values())
