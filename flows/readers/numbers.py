"""Vietnamese numbers said in words: "hai mươi lăm" → 25, "một nghìn chín trăm năm mươi lăm"
→ 1955, and a year said digit by digit, "một chín năm lăm" → 1955."""

from . import vocabulary as v

# Words a spoken number is made of (the "tư", "lăm", "mốt" forms only after "mươi").
RUN_WORDS = frozenset({*v.DIGITS, v.TEN, v.HUNDRED, *v.THOUSAND, *v.ZERO_TENS})
_DIGIT_BY_DIGIT = {**v.DIGITS, "lam": 5, "linh": 0}


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
    if len(words) == 2 and words[0] in v.DIGITS and words[1] in _SPOKEN_UNITS \
            and v.DIGITS[words[0]] > 0:
        # "năm lăm" (55), "hai mốt" (21), "ba tư" (34): tens said without "mươi"
        return v.DIGITS[words[0]] * 10 + _SPOKEN_UNITS[words[1]]
    if len(words) == 1 and words[0] in v.DIGITS and words[0] != "khong":
        return v.DIGITS[words[0]]
    return None


_SPOKEN_UNITS = {"lam": 5, "nham": 5, "mot": 1, "tu": 4}


def run_length(words: list[str], start: int) -> int:
    """How many words from `start` could belong to one spoken number."""
    end = start
    while end < len(words):
        word = words[end]
        after_ten = end > start and word in v.UNITS_AFTER_TENS and (
            words[end - 1] == v.TEN or (word in _SPOKEN_UNITS and words[end - 1] in v.DIGITS))
        zero_hundred = word == "khong" and end + 1 < len(words) and words[end + 1] == v.HUNDRED
        if word == "khong" and not zero_hundred:
            break
        if not (word in RUN_WORDS or after_ten):
            break
        end += 1
    return end - start


def digit_by_digit(words: list[str]) -> int | None:
    """A year read out one digit at a time: "một chín năm lăm", "1 9 6 5" → 1955, 1965."""
    if len(words) != 4:
        return None
    digits = [w if len(w) == 1 and w.isdigit() else _DIGIT_BY_DIGIT.get(w) for w in words]
    if None in digits:
        return None
    return int("".join(str(d) for d in digits))
