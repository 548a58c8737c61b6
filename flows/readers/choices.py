"""The choice reader: which numbered option a reply picks, by number, ordinal, letter,
label, synonym or yes/no; or why it picks none. Two options named are nobody's answer;
one option among unknown words is confirmed, not taken."""

import re
from functools import lru_cache
from typing import Sequence

from .mending import slips
from .normalize import fold, tokens_of_folded
from .reading import AMBIGUOUS, OUT_OF_RANGE, UNKNOWN, UNSURE, Reading
from .scanning import (CHOICE, Signal, content, hedged, option_phrases, reply_tokens, scan,
                       spelled)


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
        if said == [s] or tuple(signals) == (s,):
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
    near = {i for i, ps in phrases.items() for p in ps
            if len(p) >= 6 and len(text) >= 6 and slips(text, p) == 1}   # not "hỏng" for "không"
    if len(near) == 1:
        return Reading(near.pop(), sure=False)
    return None




def read_choice(folded: str, options: Sequence, raw: str | None = None,
                echo: frozenset = frozenset()) -> Reading:
    """The number of the chosen option (1-based), by number, letter, label or yes/no.
    `raw` is the reply as typed, to tell a typed letter from a folded particle and
    "bà" from "ba". `echo`: words of the question, which are no answer when said back.
    Pure, so cached by its arguments."""
    return _cached_choice(folded, tuple(options), raw, echo)


@lru_cache(maxsize=8192)
def _cached_choice(folded: str, options: tuple, raw: str | None, echo: frozenset) -> Reading:
    reading = _read_choice(folded, options, raw, echo)
    if reading.problem == "ambiguous" and raw:
        return _what_comes_after_but(raw, options, echo) or reading
    return reading


_BUT = re.compile(r"\b(?:nhưng|nhung|mà là|ma la)\b", re.IGNORECASE)


def _what_comes_after_but(raw: str, options: Sequence, echo: frozenset) -> Reading | None:
    """"không đọc báo, nhưng ngày nào cũng nghe đài", "không phải 2 mà là 1": what follows
    "nhưng" or "mà là" is the answer, confirmed rather than taken."""
    parts = _BUT.split(raw)
    if len(parts) < 2:
        return None
    tail = parts[-1]
    reading = _read_choice(fold(tail), options, tail, echo)
    return Reading(reading.value, sure=False) if reading.ok else None


def _read_choice(folded: str, options: tuple, raw: str | None, echo: frozenset) -> Reading:
    n = len(options)
    signals = scan(reply_tokens(folded, raw), "choice", options, echo)
    said = content(signals)
    letter, cued = _typed_letter(said, signals, n)
    if not said:
        return Reading(letter) if letter else UNKNOWN
    kinds = {s.kind for s in said}
    if "question" in kinds or _asked_back(said) or _double_negation(signals) \
            or _negated_amount(signals):
        return UNKNOWN
    if "unsure" in kinds or hedged(signals):
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
        unknown += 0 if s.sure else 1         # "tu" (tư? tự?), a mended typo: confirm
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
        elif s.kind in ("first", "last") or (s.kind == "neg" and s.word == "dau"
                                              and _cued(signals, s)):
            if _cued(signals, s):                          # "cái đầu tiên", "ý cuối"
                chosen.add(n if s.kind == "last" else 1)
            else:
                unknown += 1
        elif s.kind == "yes" and _after_no(said[:k + 1], signals, options):
            continue             # "không đọc được": a yes after a no is part of the no
        elif s.kind in ("yes", "no", "soft"):
            polar.append(s.kind)
        elif s.kind == "neg" and all(x.weak for x in said[k + 1:]) and "yes" in polar \
                and next(x for x in said if x.kind == "yes").word == "co":
            if any(x.word == "nao" for x in signals):
                return UNKNOWN    # "có hôm nào bỏ đâu": never skips, an inverted question
            polar = ["no" if p == "yes" else p for p in polar]   # "có đi đâu": a denial
        elif s.kind in ("unknown", "echo", "neg", "other", "defer"):
            unknown += 1
    meant = _meant(polar, options, bool(chosen or letter or weak))
    if meant is None:
        return AMBIGUOUS
    if not chosen and not several and not meant:
        chosen = weak                    # "luôn" alone is Thường xuyên; "3 luôn" is 3
    if letter and polar in (["yes"], ["soft"]) and not chosen \
            and said == [s for s in said if s.letter]:
        # "c": option c, or "có"? "d": option d, or "dạ"? Only the same option either way.
        return Reading(letter) if meant == {letter} else AMBIGUOUS
    if letter and not (chosen - {letter}):
        chosen.add(letter)
        unknown -= sum(1 for s in said if s.letter == letter and s.kind == "unknown"
                       and s is not cued)
    answers = chosen | meant
    if "yes" in polar and any(options[i - 1].means == "no" for i in chosen):
        return AMBIGUOUS     # "đọc báo thì không, nghe đài thì có": a no and a yes
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


def _after_no(said: list[Signal], signals, options: tuple) -> bool:
    """The last signal follows a no in the same thought (no comma, no "nhưng" between)."""
    last = said[-1]
    for j in range(len(said) - 2, -1, -1):
        if _means_no(said[j], options) or said[j].kind == "no":
            between = [x for x in signals if said[j].start < x.start <= last.start]
            return not any(x.pause or x.kind == "break" for x in between)
    return False


_NOES = frozenset({"khong", "chua", "chang", "khong co", "chua co"})


def _negated_amount(signals) -> bool:
    """"không nhiều", "không lắm", "chưa biết nhiều", "thường thì không": a no that only
    lessens an amount is not the option that means no."""
    for k, s in enumerate(signals):
        if s.kind in ("no", "option") and s.word in _NOES | {"chua biet"}:
            near = [x.word for x in signals[max(0, k - 1):k] + signals[k + 1:k + 3]]
            if set(near) & _AMOUNT_WORDS:
                return True
    return False


_AMOUNT_WORDS = frozenset({"nhieu", "lam", "qua", "kha", "may", "thuong thi", "duoc nhieu",
                           "han", "hoan toan", "nhieu lam"})


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
    if len(set(strong)) > 1:
        return None          # "đọc báo thì không, nghe đài thì có": both
    return meant
