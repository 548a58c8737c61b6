"""Replies that are a number or a year: "hai mươi lăm", "sinh năm 1955", "12/3/1957",
"Mậu Tuất 1958", "một chín năm lăm". Two numbers are nobody's answer; "55" could be a
year or an age, so a year wants its four digits."""

import re
from functools import lru_cache

from . import vocabulary as v
from .normalize import Token, fold
from .numbers import digit_by_digit, number_in_words
from .reading import AMBIGUOUS, OUT_OF_RANGE, UNKNOWN, UNSURE, Reading
from .scanning import Signal, content, hedged, reply_tokens, scan


def _numbers(said: list[Signal]) -> list[int]:
    return [s.value for s in said if s.kind == "number"]


def read_number(folded: str, raw: str | None = None) -> Reading:
    """One whole number, in digits or words; two numbers are ambiguous."""
    return _number_in(reply_tokens(folded, raw))


def _number_in(toks: tuple[Token, ...]) -> Reading:
    said = content(scan(toks, "choice"))
    kinds = {s.kind for s in said}
    numbers = _numbers(said)
    if len(numbers) > 1:
        return AMBIGUOUS
    if "unsure" in kinds:
        return UNSURE
    if numbers and kinds <= {"number", "soft"}:
        return Reading(numbers[0])
    return UNKNOWN


def read_integer(folded: str, low: int, high: int, raw: str | None = None) -> Reading:
    reading = read_number(folded, raw)
    if reading.ok and not low <= reading.value <= high:
        return OUT_OF_RANGE
    return reading


def _without_year_words(toks: tuple[Token, ...]) -> tuple[Token, ...]:
    """"sinh năm 1955" → "1955": "năm" before a year is not five. Kept before a number
    that is not a year ("năm mươi lăm" stays 55)."""
    words = [t.folded for t in toks]
    out = list(toks)
    for phrase in sorted((tuple(p.split()) for p in v.YEAR_WORDS), key=len, reverse=True):
        n = len(phrase)
        for i in range(len(words) - n, -1, -1):
            if tuple(words[i:i + n]) != phrase or i + n >= len(words):
                continue
            rest = words[i + n:]
            spoken = number_in_words(rest[:6]) or 0
            if rest[0].isdigit() or spoken >= 1000 or digit_by_digit(rest[:4]):
                del out[i:i + n]
                del words[i:i + n]
    return tuple(out)


_DATE = re.compile(r"(?:\b|ngay )(\d{1,2}) ?(?:[/.\-]|thang) ?(\d{1,2}) ?(?:[/.\-]|nam) ?(\d{4})\b"
                   r"|(?:\b|thang )(\d{1,2}) ?(?:[/.\-]|nam) ?(\d{4})\b")
_AGE = re.compile(r"(?:nam nay |nay )?\b\d{1,3} tuoi")


def _without_age(toks: tuple[Token, ...]) -> list[Token]:
    """"1965, năm nay 59 tuổi": the age said beside the year is dropped."""
    words = [t.folded for t in toks]
    out, i = [], 0
    while i < len(toks):
        for lead in (("nam", "nay"), ("nay",), ()):
            n = len(lead)
            if tuple(words[i:i + n]) == lead and i + n + 1 < len(words) \
                    and words[i + n].isdigit() and len(words[i + n]) <= 3 \
                    and words[i + n + 1] == "tuoi":
                i += n + 2
                break
        else:
            out.append(toks[i])
            i += 1
    return out


def _date_year(text: str) -> int | None:
    """The year of a date of birth: "12/3/1957", "15-8-1959", "05/1946", "ngày 5 tháng 6
    năm 1952". Only when the day and month could be a day and a month."""
    match = _DATE.search(text)
    if not match:
        return None
    day, month, year = (match.group(1), match.group(2), match.group(3)) if match.group(3) \
        else ("1", match.group(4), match.group(5))
    return int(year) if 1 <= int(day) <= 31 and 1 <= int(month) <= 12 else None


def _the_only_year(toks, reading: Reading) -> Reading:
    """"Sinh năm 1955 tại Nam Định", "1957 số đt 0912345678": one four-digit number and
    no other (a phone number aside), nothing unsure or asked: that is the year."""
    said = content(scan(tuple(toks), "choice"))
    if {s.kind for s in said} & {"unsure", "question", "correction", "other"}:
        return reading                              # "khoảng 1950": not sure of it
    numbers = [s for s in said if s.kind in ("number", "shy") and len(s.word) < 9]
    years = [s for s in numbers if s.kind == "number" and s.word.isdigit() and len(s.word) == 4]
    return Reading(years[0].value) if len(years) == 1 and len(numbers) == 1 else reading


# Not a year one is sure of: "khoảng 1950", "1950 mấy", "hơn 1950", "trước 1955", "những
# năm 1950", "1945 gì đó"; or someone else's: "con tôi 1980", "vợ 1955".
_ABOUT = frozenset({"khoang", "tam", "chung", "gan", "hinh", "chac", "may", "hon", "ngoai",
                    "truoc", "cuoi", "giua", "gi", "dai khai", "nhung nam", "tam tam"})
_THOUSANDS = re.compile(r"(?<![\d.,])(\d)[.,](\d{3})(?![\d.,])")


def _pairs(words: list[str]) -> set[str]:
    return {" ".join(words[i:i + 2]) for i in range(len(words) - 1)}


@lru_cache(maxsize=4096)
def read_year(folded: str, low: int, high: int, raw: str | None = None) -> Reading:
    """A four-digit year; "55" could be a year or an age, so it is asked again. Said with
    its lunar name ("Mậu Tuất 1958"), as a date of birth, with the age beside it, or one
    digit at a time ("một chín năm lăm", "1 9 6 5"), the year is the year."""
    if raw is not None:
        if raw.rstrip().endswith("?"):
            return UNKNOWN                            # "1955?": asked back
        raw = _THOUSANDS.sub(r"\1\2", raw)          # "1.950": a thousands separator
        folded = fold(raw)
    words = folded.split()
    if (set(words) | _pairs(words)) & _ABOUT or {"con toi", "vo toi", "chong toi"} & _pairs(words) \
            or (words[:1] == ["phai"] and words[-1:] == ["khong"]):
        return UNKNOWN                                # not sure, or someone else's year
    plain = fold(raw) if raw is not None else folded
    year = _date_year(raw.lower() if raw else folded) or _date_year(plain)
    if year is None:
        toks = reply_tokens(folded, raw)
        if any(len(t.folded) == 4 and t.folded.isdigit() for t in toks):
            toks = _without_age(toks)
            toks = tuple(t for k, t in enumerate(toks) if t.folded not in v.YEAR_EXTRAS and not (
                t.folded == "nam" and toks[k + 1:k + 2] and toks[k + 1].folded in v.YEAR_EXTRAS))
        toks = _without_year_words(toks)
        if hedged(scan(tuple(toks), "choice")):
            return UNSURE                             # "1955 thì phải"
        words = [t.folded for t in toks if t.folded not in v.PARTICLES]
        year = digit_by_digit(words)
        if year is None:
            reading = _number_in(tuple(toks))
            if not reading.ok and reading.problem in ("unknown", "ambiguous"):
                reading = _the_only_year(toks, reading)
            if not reading.ok:
                return reading
            year = reading.value
    if year < 1000:
        return Reading(problem="year_digits")
    if not low <= year <= high:
        return OUT_OF_RANGE
    return Reading(year)
