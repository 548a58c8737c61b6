"""Reading an address the way people give it: small to large, with or without the kind
words. "thôn Đông, xã Tiên Lữ, huyện Tiên Lữ, Hưng Yên" names the commune Tiên Lữ; the
hamlet (thôn, xóm, ấp, tổ, khu), the district and the province around it only help.

    mentions(words, pauses, names) → [Mention(words, role, start)]

`names` is every place name the directory knows (communes now and before 2025,
districts, provinces), folded and without kind words. A name is read in the role of
the kind word right before it: "huyện Tiên Lữ" is a district even though Tiên Lữ is
also a commune. A name with no kind word is a commune, unless it is a province or a
district said after the commune ("Tiên Lữ, Hưng Yên").
"""

from dataclasses import dataclass

COMMUNE, HAMLET, DISTRICT, PROVINCE, CITY, PLAIN = (
    "commune", "hamlet", "district", "province", "city", "plain")

# Kind words, folded, and the role of the name after them. "thành phố" was a district
# level city (Thành phố Thái Bình) or a province level one (Hải Phòng): either.
KIND_WORDS = {
    ("xa",): COMMUNE, ("x",): COMMUNE, ("phuong",): COMMUNE, ("p",): COMMUNE,
    ("thi", "tran"): COMMUNE, ("tt",): COMMUNE, ("dac", "khu"): COMMUNE,
    ("thon",): HAMLET, ("xom",): HAMLET, ("ap",): HAMLET, ("to",): HAMLET,
    ("to", "dan", "pho"): HAMLET, ("khu",): HAMLET, ("khu", "pho"): HAMLET,
    ("lang",): HAMLET, ("doi",): HAMLET, ("ban",): HAMLET, ("buon",): HAMLET,
    ("cum",): HAMLET, ("khom",): HAMLET, ("so", "nha"): HAMLET, ("duong",): HAMLET,
    ("ngo",): HAMLET, ("hem",): HAMLET, ("kiet",): HAMLET, ("khu", "dan", "cu"): HAMLET,
    ("huyen",): DISTRICT, ("h",): DISTRICT, ("quan",): DISTRICT, ("q",): DISTRICT,
    ("thi", "xa"): DISTRICT, ("tx",): DISTRICT,
    ("thanh", "pho"): CITY, ("tp",): CITY,
    ("tinh",): PROVINCE, ("t",): PROVINCE,
}
_LONGEST_KIND = max(len(k) for k in KIND_WORDS)


@dataclass(frozen=True)
class Mention:
    words: tuple[str, ...]   # the name, folded: ("tien", "lu")
    role: str                # COMMUNE, HAMLET, DISTRICT, PROVINCE, CITY or PLAIN
    start: int
    plain: bool = False      # no kind word before it: the role comes from where it stands


def _kind_before(words, pauses, start: int) -> str:
    """The role the kind word just before `start` gives; PLAIN when there is none."""
    for n in range(min(_LONGEST_KIND, start), 0, -1):
        role = KIND_WORDS.get(tuple(words[start - n:start]))
        if role and not any(pauses[start - n + 1:start + 1]):
            return role
    return PLAIN


def mentions(words: list[str], pauses: list[bool], names, longest: int) -> list[Mention]:
    """Every known name in the words, in the role its kind word gives it. Of two names
    that overlap, one with a kind word before it wins ("phường Nam Sơn" is Nam Sơn, not
    the old commune Phương Nam), then the longer."""
    found = []
    for start in range(len(words)):
        for n in range(min(longest, len(words) - start), 0, -1):
            phrase = tuple(words[start:start + n])
            if phrase in names and not any(pauses[start + 1:start + n]):
                found.append(Mention(phrase, _kind_before(words, pauses, start), start))
    found.sort(key=lambda m: (m.role == PLAIN, -len(m.words), m.start))
    kept: list[Mention] = []
    taken: set[int] = set()
    for m in found:
        span = set(range(m.start, m.start + len(m.words)))
        if not span & taken:
            kept.append(m)
            taken |= span
    kept.sort(key=lambda m: m.start)
    return kept


def roles(kept: list[Mention], is_commune, is_district, is_province) -> list[Mention]:
    """Give names said without a kind word their role from where they stand: the first
    commune name is the commune; a province or district name after it is the province
    or the district; a name after a district-level name is larger still."""
    out = []
    seen_commune = False
    for m in kept:
        role = m.role
        if role == PLAIN:
            if seen_commune and is_province(m.words):
                role = PROVINCE
            elif seen_commune and is_district(m.words):
                role = DISTRICT
            elif is_commune(m.words):
                role = COMMUNE
            elif is_district(m.words):
                role = DISTRICT
            elif is_province(m.words):
                role = PROVINCE
        if role == COMMUNE:
            seen_commune = True
        out.append(Mention(m.words, role, m.start, m.role == PLAIN))
    return out
