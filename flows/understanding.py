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

from typing import Sequence

from . import vocabulary as v
from .framing import core
from .names import read_name  # noqa: F401  (a reader like the others)
from .normalize import Token, fold, tokens, tokens_of_folded
from .numbers import digit_by_digit, number_in_words  # noqa: F401
from .phone import to_e164
from .reading import AMBIGUOUS, OUT_OF_RANGE, UNKNOWN, UNSURE, Reading
from .scanning import CHOICE, YES_NO, Signal, content, option_phrases, scan, spelled


def _tokens(folded: str, raw: str | None) -> tuple[Token, ...]:
    return tokens(raw) if raw is not None else tokens_of_folded(folded)


# -- yes / no -----------------------------------------------------------------------------------

def _polarity(signals: list[Signal]) -> list[tuple[str, Signal]]:
    """yes / no per clause, a negator turning the yes after it into a no."""
    out: list[tuple[str, Signal]] = []
    negated = False
    for s in signals:
        if s.kind == "break":
            negated = False
            out.append(("break", s))
        elif s.kind in ("no", "neg"):
            negated = True
            out.append(("no" if s.kind == "no" else "neg", s))
        elif s.kind in ("yes", "soft"):
            out.append(("no" if negated else s.kind, s))
        elif s.kind == "echo":
            out.append(("echo", s))
    return out


def read_yes_no(folded: str, raw: str | None = None) -> Reading:
    said = content(scan(_tokens(folded, raw), YES_NO))
    kinds = {s.kind for s in said}
    if "unsure" in kinds:
        return UNSURE
    if kinds & {"question", "unknown", "number", "shy"} or not said:
        return UNKNOWN
    polar = _polarity(said)
    for k, (kind, s) in enumerate(polar):
        later = [p for p, _ in polar[k + 1:]]
        clause = later[:later.index("break")] if "break" in later else later
        if kind == "yes" and clause and clause[-1] in ("no", "neg"):
            return UNKNOWN          # "có không?", "được không", "có đâu": asked back
        if kind == "yes" and s.word == "dung" and clause[:1] == ["echo"]:
            return UNKNOWN          # "dung xoa": đúng, or đừng?
    answers = [p for p, _ in polar if p in ("yes", "no")]
    heard = [p for p, _ in polar if p != "break"]
    if heard and heard[0] == "echo":
        return UNKNOWN              # "tham gia": the question's words, no answer
    if not answers:
        answers = [p for p, _ in polar if p == "soft"]
        return Reading("yes") if answers else UNKNOWN
    if set(answers) == {"yes"}:
        return Reading("yes")
    if set(answers) == {"no"}:
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


def read_year(folded: str, low: int, high: int, raw: str | None = None) -> Reading:
    """A four-digit year; "55" could be a year or an age, so it is asked again."""
    toks = _without_year_words(_tokens(folded, raw))
    spoken = digit_by_digit([t.folded for t in toks if t.folded not in v.PARTICLES])
    reading = Reading(spoken) if spoken else read_number("", " ".join(t.marked for t in toks))
    if not reading.ok:
        return reading
    if reading.value < 1000:
        return Reading(problem="year_digits")
    if not low <= reading.value <= high:
        return OUT_OF_RANGE
    return reading


# -- choices ---------------------------------------------------------------------------------------

_LETTER_CUES = frozenset({"chon", "dap an", "phuong an", "lua chon", "tra loi", "y", "muc",
                          "cau tra loi", "dap an la", "chon la", "khoanh", "danh dau"})


def _typed_letter(said: list[Signal], signals: list[Signal],
                  n: int) -> tuple[int | None, Signal | None]:
    """A plain a–e is an option letter after a choosing word (the signal is returned:
    it is then a letter only), or as the whole reply (then "c" may also be "có")."""
    for k, s in enumerate(signals):
        if s.letter is None or s.letter > n:
            continue
        before = signals[k - 1] if k else None
        if before is not None and before.kind == "cue" and before.word in _LETTER_CUES:
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
    if "question" in kinds or _asked_back(said):
        return UNKNOWN
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
                and before.kind in ("no", "neg") and not _means_no(s, options):
            negated = True                       # "không phải 2": not an answer
            polar.pop() if polar and before.kind == "no" else None
            continue
        if s.kind == "number":
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
        elif s.kind in ("first", "last"):
            cued = k and signals[signals.index(s) - 1].kind == "cue"
            chosen.add(1 if s.kind == "first" else n) if cued else None
            unknown += 0 if cued else 1
        elif s.kind in ("yes", "no", "soft"):
            polar.append(s.kind)
        elif s.kind in ("unknown", "echo", "neg"):
            unknown += 1
    unsure = "unsure" in kinds
    if not chosen and not several:
        chosen = weak
    meant = _meant(polar, options, bool(chosen or letter))
    if meant is None:
        return AMBIGUOUS
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
    if answers:
        return Reading(answers.pop(), sure=not (unknown or unsure or negated))
    if out_of_range:
        return OUT_OF_RANGE
    if unsure:
        return UNSURE
    if negated:
        return UNKNOWN
    return _partial(said, options) or UNKNOWN


_ASKING_BACK = frozenset({"khong", "chua", "dau"})


def _asked_back(said: list[Signal]) -> bool:
    """"có không?", "được chưa": a yes then a no at the end is a question."""
    if len(said) < 2 or said[-1].word not in _ASKING_BACK:
        return False
    before = said[-2]
    return before.kind == "yes" or (before.kind == "option" and before.word in _YES_WORDS)


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
