"""Readers: what a reply means for one kind of question, or why it cannot be read.

Every reader takes the folded reply (normalize.fold) and, where marks matter,
the reply as typed, and returns a `Reading`. The rule is the one a careful
officer follows (docs/conversation.md): take out the words that only wrap an
answer (particles, the speaker, "chọn", "số"…), then read what is left. One
answer, and nothing else said: that is the reading. Two different answers, an
answer negated, or "không biết": asked again. One answer among words the
reader does not know: a reading that is not `sure`, which the engine confirms
("Bác chọn 3. Hiếm khi — đúng không?") instead of taking. Nothing is guessed.
"""

import re
from dataclasses import replace
from typing import Sequence

from . import vocabulary as v
from .framing import core
from .names import read_name  # noqa: F401  (a reader like the others)
from .normalize import Token, fold, tokens, tokens_of_folded
from .numbers import digit_by_digit, number_in_words  # noqa: F401
from .phone import to_e164
from .reading import AMBIGUOUS, OUT_OF_RANGE, UNKNOWN, UNSURE, Reading
from .scanning import (CHOICE, WRAPPING, YES_NO, Signal, content, option_phrases, scan,
                       spelled)


def _tokens(folded: str, raw: str | None) -> tuple[Token, ...]:
    return tokens(raw) if raw is not None else tokens_of_folded(folded)


# -- yes / no -----------------------------------------------------------------------------------

def _clauses(signals: list[Signal]) -> list[list[Signal]]:
    """What is said, split at "nhưng", "à", commas and full stops: "không, à có" is two
    thoughts."""
    clauses: list[list[Signal]] = [[]]
    for s in signals:
        if s.kind == "break" or s.pause:
            clauses.append([])
        if s.kind not in WRAPPING:
            clauses[-1].append(s)
    return [c for c in clauses if c]


_DENIED = frozenset({"co", "c", "cs"})       # "có … đâu" denies; "đồng ý đâu" only asks


def _clause_answer(clause: list[Signal]) -> str | None:
    """"yes", "no", "asked" (a question back), or None (nothing said). A negator turns
    the yes right after it into a no ("không đồng ý", "chưa có", "đâu có"); a yes then a
    no at the end asks back ("có không?", "được chưa"); "đâu" after a yes denies it
    ("có đi đâu"). "dạ", "ừ" count only when nothing stronger is said."""
    strong: list[str] = []
    negating = False                        # a negator applies to every yes after it
    dangling = False                        # "đâu" with no yes to deny or to negate
    for k, s in enumerate(clause):
        last = all(x.kind in ("neg", "soft", "soft_no") for x in clause[k + 1:])
        if s.kind == "no":
            if last and strong[-1:] == ["yes"]:
                return "asked"
            strong.append("no")
            negating = True
        elif s.kind == "neg" and strong[-1:] == ["yes"] and last:
            said = [x for x in clause[:k] if x.kind == "yes"][-1].word.split()
            if said[0] in ("khong", "chua"):
                continue                    # "không ngại đâu": a yes made of a negation
            if said[0] not in _DENIED and s.word != "sao duoc":
                return "asked"              # "được đâu"?
            strong[-1] = "no"               # "có đi đâu", "đồng ý sao được": a denial
        elif s.kind == "neg":
            dangling = not negating and not any(x.kind in ("yes", "soft") for x in clause[k + 1:])
            negating = True                 # after a no, "đâu" only stresses it
        elif s.kind == "yes":
            strong.append("no" if negating else "yes")
    if dangling:
        return "asked"
    if strong:
        return "yes" if set(strong) == {"yes"} else "no" if set(strong) == {"no"} else "both"
    kinds = {s.kind for s in clause}
    if "neg" in kinds:
        return "asked" if kinds & {"soft", "soft_no"} else None   # "dạ đâu"; "không sao đâu"
    return "no" if "soft_no" in kinds else "yes" if "soft" in kinds else None


def _emphasis(signals: list[Signal]) -> list[Signal]:
    """"không sao đâu": "đâu" after a negative phrase only stresses it."""
    out = list(signals)
    for k, s in enumerate(signals):
        if s.kind == "neg" and s.word == "dau" and k and signals[k - 1].kind == "filler" \
                and signals[k - 1].word.split()[0] in ("khong", "chua") and not s.pause:
            out[k] = replace(s, kind="filler")
    return out


def read_yes_no(folded: str, raw: str | None = None) -> Reading:
    signals = scan(_tokens(folded, raw), YES_NO)
    said = content(signals)
    kinds = {s.kind for s in said}
    if "unsure" in kinds:
        return UNSURE
    if kinds & {"question", "unknown", "number", "shy", "correction"} or not said:
        return UNKNOWN
    but = [k for k, s in enumerate(signals) if s.word == "nhung"]
    if but and content(signals[but[0]:]):
        return UNKNOWN              # "đồng ý nhưng phải hỏi mẹ đã": a condition
    if said[0].kind == "echo":
        return UNKNOWN              # "tham gia": the question's words, no answer
    for k, s in enumerate(said[:-1]):
        if s.word == "dung" and s.kind == "yes" and said[k + 1].kind == "echo":
            return UNKNOWN          # "dung xoa": đúng, or đừng?
    signals = _emphasis(signals)
    if raw and raw.rstrip().endswith("?") and len(said) > 1:
        return UNKNOWN              # "răng phải lưu?": asked back
    answers = {_clause_answer(c) for c in _clauses(signals)} - {None}
    if answers == {"yes"}:
        return Reading("yes")
    if answers == {"no"}:
        return Reading("no")
    return UNKNOWN


# -- numbers --------------------------------------------------------------------------------------

def _numbers(said: list[Signal]) -> list[int]:
    return [s.value for s in said if s.kind == "number"]


def read_number(folded: str, raw: str | None = None) -> Reading:
    """One whole number, in digits or words; two numbers are ambiguous."""
    said = content(scan(_tokens(folded, raw), CHOICE))
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


def read_year(folded: str, low: int, high: int, raw: str | None = None) -> Reading:
    """A four-digit year; "55" could be a year or an age, so it is asked again. Said with
    its lunar name ("Mậu Tuất 1958"), as a date of birth, with the age beside it, or one
    digit at a time ("một chín năm lăm", "1 9 6 5"), the year is the year."""
    plain = fold(raw) if raw is not None else folded
    year = _date_year(raw.lower() if raw else folded) or _date_year(plain)
    if year is None:
        toks = _tokens(folded, raw)
        if any(len(t.folded) == 4 and t.folded.isdigit() for t in toks):
            toks = tuple(t for t in _without_age(toks) if t.folded not in v.YEAR_EXTRAS)
        toks = _without_year_words(toks)
        words = [t.folded for t in toks if t.folded not in v.PARTICLES]
        year = digit_by_digit(words)
        if year is None:
            reading = read_number("", " ".join(t.marked for t in toks))
            if not reading.ok:
                return reading
            year = reading.value
    if year < 1000:
        return Reading(problem="year_digits")
    if not low <= year <= high:
        return OUT_OF_RANGE
    return Reading(year)


# -- choices ---------------------------------------------------------------------------------------

# A choosing phrase ending in one of these makes a plain a–e after it an option letter.
_LETTER_CUES = frozenset({"chon", "an", "loi", "y", "muc", "khoanh", "dau", "la"})


def _typed_letter(said: list[Signal], signals: list[Signal],
                  n: int) -> tuple[int | None, Signal | None]:
    """A plain a–e is an option letter after a choosing word (the signal is returned:
    it is then a letter only), or as the whole reply (then "c" may also be "có")."""
    for k, s in enumerate(signals):
        if s.letter is None or s.letter > n:
            continue
        before = signals[k - 1] if k else None
        if before is not None and before.kind == "cue" and before.word.split()[-1] in _LETTER_CUES:
            return s.letter, s
        if said == [s] or signals == [s]:
            return s.letter, None
    return None, None


def _partial(said: list[Signal], options: Sequence) -> Reading | None:
    """The start of one label ("thuong" for "Thường xuyên"), in no other option's words;
    or a label typed with one slip ("thuong xuen"), to be confirmed."""
    text = " ".join(s.word for s in said if s.kind in ("unknown", "option"))
    if len(text) < 3 or len(said) != len([s for s in said if s.kind in ("unknown", "option")]):
        return None
    phrases = {i: [" ".join(p) for p, ids in option_phrases(tuple(options)).items() if i in ids]
               for i in range(1, len(options) + 1)}
    names = {i: [" ".join(t.folded for t in spelled(tokens_of_folded(fold(label))))
                 for label in (o.label, o.sms)] for i, o in enumerate(options, 1)}
    starts = {i for i, ps in names.items() if any(p.startswith(text + " ") for p in ps)}
    anywhere = {i for i, ps in phrases.items() if any(f" {text} " in f" {p} " for p in ps)}
    if len(starts) == 1 and anywhere <= starts:
        return Reading(starts.pop())
    if len(anywhere) > 1:
        return AMBIGUOUS
    near = {i for i, ps in phrases.items() for p in ps if len(p) >= 5 and _slips(text, p) == 1}
    if len(near) == 1:
        return Reading(near.pop(), sure=False)
    return None


def _slips(a: str, b: str) -> int:
    """Edit distance, capped at 2: enough to tell one slip from a different word."""
    if abs(len(a) - len(b)) > 1:
        return 2
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return min(previous[-1], 2)


def read_choice(folded: str, options: Sequence, raw: str | None = None) -> Reading:
    """The number of the chosen option (1-based), by number, letter, label or yes/no.
    `raw` is the reply as typed, to tell a typed letter from a folded particle and
    "bà" from "ba"."""
    options = tuple(options)
    n = len(options)
    signals = scan(_tokens(folded, raw), CHOICE, option_phrases(options))
    said = content(signals)
    letter, cued = _typed_letter(said, signals, n)
    if not said:
        return Reading(letter) if letter else UNKNOWN
    kinds = {s.kind for s in said}
    if "question" in kinds or _asked_back(said) or _double_negation(signals):
        return UNKNOWN
    if "unsure" in kinds or _hedged(signals):
        return UNSURE                    # "có lẽ 2", "chắc 3", "2 thì phải": not sure themselves
    if "correction" in kinds:
        return AMBIGUOUS                 # "3 à nhầm 2": two answers, one taken back
    asking = (raw or "").rstrip().endswith("?")
    chosen: set[int] = set()
    weak: set[int] = set()
    several = out_of_range = negated = False
    polar: list[str] = []
    unknown = 0
    for k, s in enumerate(said):
        before = said[k - 1] if k else None
        if s is cued:
            continue
        if s.kind in ("number", "option", "first", "last") and before is not None \
                and before.kind in ("no", "neg") and not _means_no(s, options) and not s.weak:
            negated = True                       # "không phải 2": not an answer
            polar.pop() if polar and before.kind == "no" else None
            continue
        if s.kind == "number":
            unknown += 0 if s.sure else 1
            if 1 <= s.value <= n:
                chosen.add(s.value)
            else:
                out_of_range = True
        elif s.kind == "option":
            if len(s.value) > 1:
                several = True
            elif s.weak:
                weak |= s.value
            else:
                chosen |= s.value
        elif s.kind in ("first", "last") or (s.kind == "neg" and s.word == "dau"
                                              and _cued(signals, s)):
            if _cued(signals, s):                          # "cái đầu tiên", "ý cuối"
                chosen.add(n if s.kind == "last" else 1)
            else:
                unknown += 1
        elif s.kind in ("yes", "no", "soft"):
            polar.append(s.kind)
        elif s.kind == "neg" and all(x.weak for x in said[k + 1:]) and "yes" in polar \
                and next(x for x in said if x.kind == "yes").word == "co":
            if any(x.word == "nao" for x in signals):
                return UNKNOWN    # "có hôm nào bỏ đâu": never skips, an inverted question
            polar = ["no" if p == "yes" else p for p in polar]   # "có đi đâu": a denial
        elif s.kind in ("unknown", "echo", "neg"):
            unknown += 1
    meant = _meant(polar, options, bool(chosen or letter or weak))
    if meant is None:
        return AMBIGUOUS
    if not chosen and not several and not meant:
        chosen = weak                    # "luôn" alone is Thường xuyên; "3 luôn" is 3
    if letter and polar == ["yes"] and not chosen and said == [s for s in said if s.letter]:
        # "c": option c, or "có"? Only the same option either way is an answer.
        return Reading(letter) if meant == {letter} else AMBIGUOUS
    if letter and not (chosen - {letter}):
        chosen.add(letter)
        unknown -= sum(1 for s in said if s.letter == letter and s.kind == "unknown"
                       and s is not cued)
    answers = chosen | meant
    if len(answers) > 1 or several or (answers and out_of_range):
        return AMBIGUOUS
    if answers and asking and unknown:
        return UNKNOWN                   # "nghe đài có tính không?": a question back
    if answers:
        return Reading(answers.pop(), sure=not (unknown or negated or asking))
    if out_of_range:
        return OUT_OF_RANGE
    if negated:
        return UNKNOWN
    return _partial(said, options) or UNKNOWN


def _cued(signals: list[Signal], s: Signal) -> bool:
    at = signals.index(s)
    return at > 0 and signals[at - 1].kind == "cue"


_ASKING_BACK = frozenset({"khong", "chua"})


def _asked_back(said: list[Signal]) -> bool:
    """"có không?", "được chưa": a yes then a no at the end is a question."""
    if len(said) < 2 or said[-1].word not in _ASKING_BACK:
        return False
    before = said[-2]
    return before.kind == "yes" or (before.kind == "option" and before.word in _YES_WORDS)


def _hedged(signals: list[Signal]) -> bool:
    words = " ".join(s.word for s in signals).split()
    return len(words) > 2 and any(" ".join(words[-n:]) in v.HEDGES_AFTER for n in (2, 3))


_NEGATING = frozenset({"khong", "chua", "dau"})


def _double_negation(signals: list[Signal]) -> bool:
    """"không ngày nào không xem", "chưa bỏ buổi nào": a negation of something the
    reader does not know turns the meaning round; it cannot be read."""
    said = content(signals)
    negations = [k for k, s in enumerate(said) if s.kind in ("no", "neg")
                 or (s.kind == "option" and s.word.split()[0] in _NEGATING)]
    if not negations:
        return False
    first = negations[0]
    unknown_after = any(s.kind == "unknown" for s in said[first + 1:])
    apart = any(k > first + 1 for k in negations[1:])
    start = signals.index(said[first])
    return unknown_after and (apart or any(s.word == "nao" for s in signals[start:]))


_YES_WORDS = frozenset(" ".join(p) for p, kind in CHOICE.items() if kind == "yes")


def _means_no(signal: Signal, options: Sequence) -> bool:
    return signal.kind == "option" and all(options[i - 1].means == "no" for i in signal.value)


def _meant(polar: list[str], options: Sequence, concrete: bool) -> set[int] | None:
    """The options a yes or a no picks. A yes where no option means yes is a mere
    "ok" before the real answer ("ok 2"); alone it picks nothing. None: both."""
    strong = [p for p in polar if p != "soft"] or (["yes"] if polar and not concrete else [])
    meant: set[int] = set()
    for said in set(strong):
        meant |= {i for i, o in enumerate(options, 1) if o.means == said}
    if len(set(strong)) > 1 and len(meant) > 1:
        return None
    return meant


def read_phone(raw: str) -> Reading:
    """A phone number in E.164, also when words surround it: "số 0912 345 678 ạ"."""
    phone = to_e164(raw) or to_e164(core(fold(raw)))
    return Reading(phone) if phone else Reading(problem="phone")
