"""Readers: what a reply means for one kind of question, or why it cannot be read.

Every reader takes the folded reply (normalize.fold) and returns a `Reading`.
A reader never guesses: if two readings are possible, or none, it says so and
the engine asks again with a hint named after the problem.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from . import vocabulary as v
from .normalize import fold
from .phone import to_e164


@dataclass(frozen=True)
class Reading:
    value: Any = None
    problem: str | None = None  # None when understood; else the hint to give

    @property
    def ok(self) -> bool:
        return self.problem is None


UNKNOWN = Reading(problem="unknown")
UNSURE = Reading(problem="unsure")


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


_LEADING = tuple(tuple(p.split()) for p in v.LEADING)
_TRAILING = tuple(tuple(p.split()) for p in v.TRAILING)


@lru_cache(maxsize=4096)
def core(folded: str) -> str:
    """The answer without politeness around it: "da chon so 2 a" → "2"."""
    words = tuple(folded.split())
    words = _strip_phrases(words, _TRAILING, leading=False)
    words = _strip_phrases(words, _LEADING, leading=True)
    words = _strip_phrases(words, _TRAILING, leading=False)
    return " ".join(words)


def read_yes_no(folded: str) -> Reading:
    for text in (folded, core(folded)):
        if text in v.UNSURE:
            return UNSURE
        if text in v.YES:
            return Reading("yes")
        if text in v.NO:
            return Reading("no")
    return UNKNOWN


def number_in_words(words: list[str]) -> int | None:
    """Vietnamese number words up to 9999: "hai muoi lam" → 25, "muoi" → 10."""
    if not words:
        return None
    for word in v.THOUSAND:
        if word in words:
            i = words.index(word)
            high = number_in_words(words[:i]) if i else 1
            rest = words[i + 1:]
            if rest and rest[0] in v.ZERO_TENS:  # "hai nghìn lẻ năm" → 2005
                rest = rest[1:]
            low = number_in_words(rest) if rest else 0
            return None if high is None or low is None else high * 1000 + low
    if v.HUNDRED in words:
        i = words.index(v.HUNDRED)
        # one digit word, "không" too: "hai nghìn không trăm linh năm" → 2005
        high = v.DIGITS.get(words[0]) if i == 1 else None if i else 1
        rest = words[i + 1:]
        if rest and rest[0] in v.ZERO_TENS:
            rest = rest[1:]
        low = number_in_words(rest) if rest else 0
        return None if high is None or low is None or high > 9 else high * 100 + low
    if v.TEN in words:
        i = words.index(v.TEN)
        tens = words[:i]
        units = words[i + 1:]
        if len(tens) > 1 or len(units) > 1:
            return None
        t = v.DIGITS.get(tens[0]) if tens else 1
        u = v.UNITS_AFTER_TENS.get(units[0]) if units else 0
        if t is None or u is None or t == 0:
            return None
        return t * 10 + u
    if len(words) == 1 and words[0] in v.DIGITS and words[0] != "khong":
        return v.DIGITS[words[0]]
    return None


_DIGITS = re.compile(r"^\d+$")


def read_number(folded: str) -> Reading:
    """One whole number, in digits or words; two numbers are ambiguous."""
    text = core(folded)
    words = text.split()
    numbers = [w for w in words if _DIGITS.match(w)]
    if len(numbers) > 1:
        return Reading(problem="ambiguous")
    if numbers and len(words) == 1:
        return Reading(int(numbers[0]))
    value = number_in_words(words)
    if value is not None:
        return Reading(value)
    return UNSURE if text in v.UNSURE or folded in v.UNSURE else UNKNOWN


def read_integer(folded: str, low: int, high: int) -> Reading:
    reading = read_number(folded)
    if reading.ok and not low <= reading.value <= high:
        return Reading(problem="out_of_range")
    return reading


def read_year(folded: str, low: int, high: int) -> Reading:
    """A four-digit year; "55" could be a year or an age, so it is asked again."""
    reading = read_number(folded)
    words = core(folded).split()
    if not reading.ok and len(words) > 1 and words[0] == v.YEAR:  # "năm 1955"
        reading = read_number(" ".join(words[1:]))
    if not reading.ok:
        return reading
    if reading.value < 1000:
        return Reading(problem="year_digits")
    if not low <= reading.value <= high:
        return Reading(problem="out_of_range")
    return reading


def spelled_out(text: str) -> str:
    return " ".join(v.ABBREVIATIONS.get(w, w) for w in text.split())


@lru_cache(maxsize=1024)
def _phrases_of(option) -> tuple[str, ...]:
    """Every folded way to name an option, label first (options are frozen: cached)."""
    return tuple(spelled_out(fold(p)) for p in (option.label, option.sms, *option.aliases))


# "chọn a", "đáp án c ạ": after a choosing word a single letter is an option letter,
# not the particle "ạ" nor "c" for "có".
_CHOSEN_LETTER = re.compile(r"(?:^|\s)(?:chon|dap an|phuong an|lua chon|tra loi)\s([a-e])"
                            r"(?:\s(?:a|nhe|nha))?$")


def _typed_letter(letter: str, raw: str | None) -> bool:
    """Folding turns "ạ", "à" into "a" and "đ" into "d": a letter answer must have been
    typed as a plain letter."""
    return raw is None or letter in raw.lower()


def read_choice(folded: str, options: Sequence, raw: str | None = None) -> Reading:
    """The number of the chosen option (1-based), by number, letter, label or yes/no.
    `raw` is the reply as typed, to tell a typed letter from a folded particle."""
    text = core(folded)
    if not text:
        return UNKNOWN
    chosen = _CHOSEN_LETTER.search(folded)
    if chosen and _typed_letter(chosen.group(1), raw):
        letter = v.LETTERS.index(chosen.group(1)) + 1
        return Reading(letter) if letter <= len(options) else Reading(problem="out_of_range")
    number = read_number(folded)
    if number.ok:
        n = number.value
        return Reading(n) if 1 <= n <= len(options) else Reading(problem="out_of_range")
    if number.problem == "ambiguous":
        return number
    said = spelled_out(text)
    exact = [i for i, o in enumerate(options, 1) if said in _phrases_of(o)]
    if len(exact) == 1:
        return Reading(exact[0])
    yes_no = read_yes_no(folded)
    if yes_no.problem == "unsure":
        return UNSURE
    meant = [i for i, o in enumerate(options, 1) if yes_no.ok and o.means == yes_no.value]
    typed = len(text) == 1 and text in v.LETTERS and _typed_letter(text, raw)
    letter = v.LETTERS.index(text) + 1 if typed else None
    if letter and letter > len(options):
        letter = None
    if letter and yes_no.ok and meant != [letter]:
        return Reading(problem="ambiguous")  # "c": option c, or "có"?
    if letter:
        return Reading(letter)
    if len(meant) == 1:
        return Reading(meant[0])
    if len(text) >= 3:
        # The start of one label ("thuong" for "Thường xuyên"), and in no other option's
        # words; "khi" (in "Hiếm khi" and "đôi khi") or "thuong" in "bình thường" is not enough.
        starts = {i for i, o in enumerate(options, 1)
                  if any(p.startswith(said + " ") for p in _phrases_of(o)[:2])}
        padded = f" {said} "
        anywhere = {i for i, o in enumerate(options, 1)
                    if any(padded in f" {p} " for p in _phrases_of(o))}
        if len(starts) == 1 and anywhere <= starts:
            return Reading(starts.pop())
        if len(anywhere) > 1:
            return Reading(problem="ambiguous")
    return UNSURE if text in v.UNSURE else UNKNOWN


def _bare(word: str) -> str:
    return word.strip(" .,;:!?-").lower()


def _name_words(raw: str) -> list[str]:
    """The words of a reply at a name question, without "Dạ, tên tôi là … ạ"."""
    words = unicodedata.normalize("NFC", raw or "").split()
    while len(words) > 1 and _bare(words[0]) in v.NAME_PARTICLES:
        words = words[1:]
    while len(words) > 1 and _bare(words[-1]) in v.NAME_PARTICLES:
        words = words[:-1]
    for phrase in sorted((p.split() for p in v.NAME_LEADING), key=len, reverse=True):
        n = len(phrase)
        if len(words) > n and fold(" ".join(words[:n])).split() == phrase:
            return words[n:]
    return words


def read_name(raw: str) -> Reading:
    """A person's name as typed, tidied: "Tên tôi là nguyễn văn an" → "Nguyễn Văn An"."""
    name = " ".join(_name_words(raw)).strip(" .,;:!?-")
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or any(ch.isdigit() for ch in name):
        return Reading(problem="name")
    if len(name) > 60:
        return Reading(problem="name_long")
    if len(name.split()) < 2:
        return Reading(problem="name_full")
    folded = fold(name)
    if set(folded.split()) & v.NOT_IN_NAMES or v.NOT_NAMES & {folded, core(folded)}:
        return Reading(problem="name")   # "không muốn cho", "Đồng ý", "Cảm ơn", "Bỏ qua"
    if name == name.lower() or name == name.upper():
        name = " ".join(w[:1].upper() + w[1:].lower() for w in name.split())
    return Reading(name)


def read_phone(raw: str) -> Reading:
    """A phone number in E.164, also when words surround it: "số 0912 345 678 ạ"."""
    phone = to_e164(raw) or to_e164(core(fold(raw)))
    return Reading(phone) if phone else Reading(problem="phone")
