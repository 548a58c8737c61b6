"""The name question: a person's name as typed, tidied.

"Tên tôi là nguyễn văn an" → "Nguyễn Văn An"; "bà Lê Thị Hoa" → "Lê Thị Hoa" (the
respect word is how she is addressed, not her name); "Mẹ cháu tên Nguyễn Thị Liên" →
"Nguyễn Thị Liên" (a child typing for a parent); "Nguyễn Văn Tám 1950" → the name,
with 1950 handed on for the birth-year question that comes next.
"""

import unicodedata
from types import MappingProxyType
from functools import lru_cache

from . import name_words as w
from .framing import core
from .normalize import LOOKALIKES, fold, strip_diacritics
from ..phone import to_e164
from .reading import Reading

_AROUND_NUMBER = frozenset({"sinh", "sn", "ns", "nay", "la", "nam sinh"})
# After a comma, these start something other than the name: "Trần Thị Mận, thôn 3",
# "Nguyễn Thị Bưởi, hay gọi là bà Tư", "Lê Văn Ba, sinh năm 1950".
_AFTER_NAME = frozenset({"thon", "xom", "ap", "to", "xa", "phuong", "huyen", "tinh", "khu",
                         "o", "que", "nha", "sinh", "sn", "nam", "hay", "thuong", "goi", "nay",
                         "tuoi"})


_LEADING = sorted((p.split() for p in w.NAME_LEADING), key=len, reverse=True)
_PLAIN_HONORIFICS = frozenset(strip_diacritics(h) for h in w.HONORIFICS)


def _bare(word: str) -> str:
    return word.strip(" .,;:!?-()[]\"'").lower()


def _frames(words: list[str]) -> list[str]:
    """Without "Dạ, tên tôi là … ạ", or "Mẹ cháu tên …", "Ông nội: …" before it."""
    while len(words) > 1 and _bare(words[0]) in w.NAME_PARTICLES:
        words = words[1:]
    while len(words) > 1:
        last = _bare(words[-1])
        if last in w.NAME_PARTICLES:
            words = words[:-1]
        elif last in w.NAME_VOCATIVES and len(words) > 2 and _bare(words[-2]) in w.NAME_PARTICLES:
            words = words[:-2]              # "… nha con"; "Đỗ Văn Em" keeps its Em
        else:
            break
    for phrase in _LEADING:
        n = len(phrase)
        if len(words) > n and fold(" ".join(words[:n])).split() == phrase:
            return _after_frame(words[n:]) or words[n:]
    return _after_frame(words) or words


def _after_frame(words: list[str]) -> list[str] | None:
    """The name after the last "tên (bà) là", "tên (bà cháu):" or "(mẹ cháu) là":
    "cháu nhập hộ bà, tên bà là Phùng Thị Lý" → Phùng Thị Lý."""
    folded = [fold(_bare(w)) for w in words]
    for i in range(1, min(4, len(words) - 2) + 1):     # "Ông nội: Phạm Văn Chín"
        if words[i - 1].endswith(":") and all(f in w.KIN for f in folded[:i]):
            return words[i:]
    for start in range(len(words) - 2, -1, -1):
        kin_only = all(f in w.KIN for f in folded[:start])
        if folded[start] != "ten" and not (kin_only and start and folded[start] == "la"):
            continue
        i = start + 1 if folded[start] == "ten" else start
        while i < len(words) - 2 and folded[i] in w.KIN and folded[i] not in ("la", "ten") \
                and not words[i - 1].endswith(":"):
            i += 1
        if folded[i] == "la":
            i += 1
        elif not (words[i - 1].endswith(":") or folded[i] in w.SURNAMES):
            continue
        if len(words) - i >= 2:
            return words[i:]
    return None


def _year_word(i: int, words: list[str]) -> bool:
    """"sinh", "sn", "nay"… before a number; "năm" after "sinh" or before "sinh"/"nay". A
    lone "năm" only when typed in lower case among capitalised names ("Nguyễn Văn Tám năm
    1950"): "Nguyễn Văn Năm 1950" is a name."""
    folded = [fold(_bare(w)) for w in words]
    if folded[i] in _AROUND_NUMBER:
        return True
    if folded[i] != "nam":
        return False
    if (i and folded[i - 1] == "sinh") or folded[i + 1:i + 2] in (["sinh"], ["nay"]):
        return True
    names = [w for w, f in zip(words, folded) if f not in _AROUND_NUMBER | {"nam"}
             and not _bare(w).isdigit()]
    return words[i][:1].islower() and all(w[:1].isupper() for w in names)


def _number_at_end(words: list[str]) -> tuple[list[str], str | None, bool]:
    """(the words before it, the number, whether it was an age) for "… sinh năm 1950",
    "… 76 tuổi"; the words unchanged and None when the name does not end in a number."""
    i = len(words)
    age = i > 1 and fold(words[i - 1]) == "tuoi"
    i -= age
    if i < 2 or not _bare(words[i - 1]).isdigit():
        return words, None, False
    number = _bare(words[i - 1])
    i -= 1
    while i > 1 and _year_word(i - 1, words):
        i -= 1
    return words[:i], number, age


def _numbers_around(words: list[str]) -> tuple[list[str], dict, bool]:
    """A birth year, an age or a phone said with the name, at either end:
    (the name's words, what was said besides, whether a number was left unexplained)."""
    also: dict = {}
    words, number, age = _number_at_end(words)
    if number is None and len(words) > 1 and _bare(words[0]).isdigit():
        number, words = _bare(words[0]), words[1:]
    if number is None or age:
        return words, also, False       # an age: the year is asked as usual
    if len(number) == 4:
        also["year"] = int(number)
    elif to_e164(number):
        also["phone"] = to_e164(number)
    else:
        return words, also, True
    return words, also, False


def _without_title(words: list[str]) -> list[str]:
    """"Cô giáo Lê Thị Hoa", "Bác sĩ Nguyễn An", "Mẹ Nguyễn Thị Lan": a title before a full
    name that starts with a surname is not part of it."""
    for n in (3, 2, 1):
        if len(words) > n + 1 and " ".join(fold(w) for w in words[:n]) in w.TITLES \
                and fold(words[n]) in w.SURNAMES:
            return words[n:]
    return words


def _without_honorific(words: list[str]) -> list[str] | None:
    """Drop "bà", "ông", "chú"… before a name; None when only a given name follows it."""
    words = _without_title(words)
    if len(words) < 2:
        return words
    first = _bare(words[0])
    marked = first != strip_diacritics(first)
    if (marked and first not in w.HONORIFICS) or fold(first) not in _PLAIN_HONORIFICS:
        return words                     # "Châu Văn Được": a surname, not "cháu"
    if len(words) == 2 and (marked or fold(first) not in w.SURNAMES):
        return None                      # "cô Hoa", "ông Ba": how she is called, not a name
    if marked and first not in w.HONORIFICS_ALSO_SURNAMES:
        return words[1:]
    if fold(words[1]) in w.SURNAMES:
        return words[1:]                 # "ba Le Thi Hoa", "ông Nguyễn Văn Ba"
    return words


_TELEX = ("aa", "ee", "oo", "aw", "ow", "uw", "dd")


def _telex_typed(words: list[str]) -> bool:
    """"Nguyeenx Vawn Tuaans": marks typed as letters with the Vietnamese keyboard off.
    Two such words, not one: minority names have letters Vietnamese words do not."""
    odd = [w for w in words if any(t in w.lower() for t in _TELEX)
           or (w[-1:].lower() in "sfrxj" and len(w) > 2 and w[-2:-1].lower() in "aeiouy")]
    return len(odd) >= 2


def _two_names(folded: list[str]) -> bool:
    """"Nguyễn Văn An Lê Thị Hoa": a second common surname and a middle name."""
    return any(folded[i] in w.COMMON_SURNAMES and folded[i + 1] in w.MIDDLE_NAMES
               for i in range(2, len(folded) - 1))


def _problem(name: str) -> str | None:
    words = name.split()
    folded = fold(name).split()
    if sum(ch.isalpha() for ch in name) >= 2 and not folded and not any(c.isdigit() for c in name):
        return None if len(words) >= 2 and len(name) <= 60 else "name_full"   # another script
    if _telex_typed(words):
        return "name_keyboard"
    if sum(ch.isalpha() for ch in name) < 2 or any(ch.isdigit() for ch in name):
        return "name"
    if len(name) > 60:
        return "name_long"
    if len(words) > w.NAME_MAX_WORDS or name.endswith("?"):
        return "name"                    # a sentence, or a question back
    if len(words) < 2 or folded[0] in w.MIDDLE_NAMES or folded[-1] in w.MIDDLE_NAMES:
        return "name_full"               # "Huy", "Nguyễn Văn", "thị Hoa"
    if {w.lower().strip(".,;:!?") for w in words} & w.NOT_IN_NAMES_MARKED or _two_names(folded):
        return "name"                    # "hỏi chi rứa", "An hoặc Ân", an address, two people
    if set(folded) & w.NOT_IN_NAMES or w.NOT_NAMES & {" ".join(folded), core(" ".join(folded))}:
        return "name"    # "không muốn cho", "Đồng ý", "Cảm ơn", "Bỏ qua"
    return None


@lru_cache(maxsize=4096)
def read_name(raw: str) -> Reading:
    raw = "".join(ch for ch in unicodedata.normalize("NFC", raw or "")
                  if unicodedata.category(ch) != "Cf").translate(LOOKALIKES)  # zero-width, BOM
    if raw.rstrip().endswith("?") or fold(raw).split().count("ten") > 1:
        return Reading(problem="name")           # a question back; two people's names
    name, _, rest = raw.partition(",")
    if rest and fold(rest).split()[:1] and fold(rest).split()[0] in _AFTER_NAME:
        reading = _read_name(name)
        if reading.ok:
            years = [int(w) for w in map(_bare, rest.split()) if w.isdigit() and len(w) == 4]
            also = {**(reading.also or {}), **({"year": years[0]} if len(years) == 1 else {})}
            return Reading(reading.value, also=MappingProxyType(also) if also else None)
    return _read_name(raw)


def _read_name(raw: str) -> Reading:
    words = [w for w in unicodedata.normalize("NFC", raw or "").split()
             if any(ch.isalnum() for ch in w)]            # emoji and stray marks
    words, also, stray = _numbers_around(_frames(words))
    kept = _without_honorific([w for w in words if _bare(w)])
    if kept is None:
        return Reading(problem="name_full")
    name = " ".join(kept).strip(" .,;:!-()")
    problem = "name" if stray else _problem(name)
    if problem:
        return Reading(problem=problem)
    if name == name.lower() or name == name.upper():
        name = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    return Reading(name, also=MappingProxyType(also) if also else None)   # cached: read-only
