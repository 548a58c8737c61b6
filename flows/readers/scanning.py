"""A reply read word by word into signals: what says an answer, what only wraps it.

    scan(tokens, "choice", options) → (Signal("cue", …), Signal("number", 3, …), …)

At each word the longest known phrase wins (an option's own words, a spoken
number, a vocabulary phrase); on equal length an option beats a number, which
beats the vocabulary. A number word that is also an everyday word ("ba" = bà,
"năm", "tư" = từ) is a number only where a careful reader would take it as one:
alone, after a word that introduces a number ("chọn ba", "cái thứ ba"), or next
to another number ("hai ba" is two numbers, so nobody's answer).
"""

from dataclasses import dataclass, replace
from types import MappingProxyType
from functools import lru_cache
from typing import Sequence

from . import vocabulary as v
from .mending import idioms, mend
from .normalize import Token, fold, tokens, tokens_of_folded
from .spelling import KNOWN
from .numbers import RUN_WORDS, number_in_words, run_length

# Kinds that never say an answer.
WRAPPING = frozenset({"filler", "cue", "break"})


@dataclass(frozen=True)
class Signal:
    kind: str        # yes soft no neg unsure question filler cue break echo number shy
                     # first last option unknown
    value: object = None
    start: int = 0
    end: int = 0
    letter: int | None = None   # typed as a plain a–e: the option letter it could be
    weak: bool = False          # an option word that is also a particle ("luôn")
    word: str = ""              # the folded words, for rules about one word
    pause: bool = False         # punctuation before it
    sure: bool = True           # False: "tu" alone, four if it was typed "tư"


def _spell(phrase: str) -> tuple[str, ...]:
    words = []
    for word in phrase.split():
        words.extend(v.ABBREVIATIONS.get(word, word).split())
    return tuple(words)


def _lexicon(order) -> dict[tuple[str, ...], str]:
    """Later groups win when a phrase is in two."""
    return {_spell(p): kind for kind, phrases in order for p in phrases}


YES_NO = _lexicon((
    ("echo", v.ECHO), ("filler", v.PRONOUNS), ("other", v.OTHERS), ("cue", v.CHOOSING), ("filler", v.INTENSIFIERS),
    ("filler", v.PARTICLES), ("break", v.BREAKS), ("soft", v.SOFT_YES),
    ("soft_no", v.SOFT_NO), ("yes", v.YES), ("no", v.NO), ("neg", v.NEGATORS),
    ("question", v.QUESTIONS), ("unsure", v.UNSURE), ("correction", v.CORRECTIONS)))
CHOICE = _lexicon((
    ("filler", v.VERBS), ("filler", v.PRONOUNS), ("other", v.OTHERS), ("unknown", v.AMOUNTS), ("filler", v.INTENSIFIERS), ("filler", v.PARTICLES),
    ("break", v.BREAKS), ("soft", v.SOFT_YES), ("yes", v.YES), ("no", v.NO),
    ("first", v.FIRST), ("last", v.LAST), ("neg", v.NEGATORS),
    ("cue", v.CHOOSING | v.NUMBER_CUES), ("question", v.QUESTIONS), ("unsure", v.UNSURE),
    ("correction", v.CORRECTIONS)))
_MAX = max(len(p) for p in {**YES_NO, **CHOICE})
_WRAPPERS = {p for p, kind in CHOICE.items() if kind in ("filler", "cue")}


@lru_cache(maxsize=256)
def option_phrases(options: tuple) -> dict[tuple[str, ...], frozenset[int]]:
    """Every way to name each option (label, SMS form, aliases, plain synonyms of the
    label), folded and spelled out: phrase → the options it names."""
    found: dict[tuple[str, ...], set[int]] = {}
    for i, option in enumerate(options, 1):
        label = fold(option.label)
        names = (label, fold(option.sms), *(fold(a) for a in option.aliases),
                 *v.SYNONYMS.get(label, ()))
        for name in names:
            if name:   # as written, and with texting abbreviations spelled out, as replies are
                found.setdefault(tuple(name.split()), set()).add(i)
                found.setdefault(_spell(name), set()).add(i)
    return MappingProxyType({p: frozenset(i) for p, i in found.items()})   # cached: read-only


def spelled(tokens: Sequence[Token]) -> list[Token]:
    """Texting abbreviations spelled out: "ko" → "khong", "tx" → "thuong xuyen"."""
    out = []
    for t in tokens:
        full = v.ABBREVIATIONS.get(t.folded)
        if full and not t.plain and v.MARKED.get(t.marked, "no") != "no":
            full = None          # "hỏng" (broken) is not "hông" (không)
        if full:
            out.extend(Token(w, w, t.pause and k == 0) for k, w in enumerate(full.split()))
        else:
            out.append(t)
    return out


def _longest(words: list[str], pauses: list[bool], i: int, table: dict,
             longest: int = _MAX) -> int:
    """The longest phrase of the table at `i` that no punctuation cuts ("ko... co" is not
    "không có")."""
    for n in range(min(longest, len(words) - i), 0, -1):
        if tuple(words[i:i + n]) in table and not any(pauses[i + 1:i + n]):
            return n
    return 0


def _number_at(words: list[str], toks: list[Token], i: int) -> Signal | None:
    word = words[i]
    if word == "0" and i + 1 < len(words) and words[i + 1].isalpha():
        return Signal("no", None, i, i + 1, word="khong")   # SMS "0 biết", "0 đồng ý"
    if word.isdigit():
        return Signal("number", int(word), i, i + 1, word=word)
    if word == v.ORDINAL and i + 1 < len(words) and words[i + 1] in v.ORDINAL_WORDS \
            and toks[i + 1].marked not in v.MARKED:     # "thứ nhất", "thứ tư" (not "thứ tự")
        return Signal("number", v.ORDINAL_WORDS[words[i + 1]], i, i + 2, word="thu")
    n = run_length(words, i)
    for end in range(n, 1, -1):
        value = number_in_words(words[i:i + end])
        if value is not None:
            return Signal("number", value, i, i + end, word=" ".join(words[i:i + end]))
    if word in v.SHY_NUMBERS:
        value = v.COLLOQUIAL_NUMBERS.get(word, v.DIGITS.get(word))
        return Signal("shy", value, i, i + 1, word=word)
    if word in RUN_WORDS and word != "khong":
        value = number_in_words([word])
        return Signal("number", value, i, i + 1, word=word) if value is not None else None
    return None


LEXICONS = {"yes_no": YES_NO, "choice": CHOICE}


@lru_cache(maxsize=8192)
def scan(tokens: tuple[Token, ...], lexicon_name: str, choices: tuple = (),
         echo: frozenset = frozenset()) -> tuple[Signal, ...]:
    """The signals of a reply read with one lexicon ("yes_no" or "choice") and the options
    of the question (`choices`, flows.model.Option). `echo`: words of the question
    itself, which say nothing when said back. Pure, so cached: most replies are "1", "có"."""
    lexicon = LEXICONS[lexicon_name]
    options = option_phrases(choices) if choices else {}
    toks = idioms(mend(spelled(tokens), lexicon_name, choices))
    words = [t.folded for t in toks]
    pauses = [t.pause for t in toks]
    option_max = max(map(len, options), default=0)
    out: list[Signal] = []
    i = 0
    while i < len(words):
        t = toks[i]
        letter = v.LETTERS.index(t.folded) + 1 if t.plain and t.folded in v.LETTERS \
            and len(t.folded) == 1 else None
        marked = v.MARKED.get(t.marked) if not t.plain else None
        n_opt = _longest(words, pauses, i, options, option_max)
        if not n_opt:       # a label with its own commas: "Nông dân, lao động nông thôn"
            n_opt = max(_longest(words, [False] * len(words), i, options, option_max), 0)
            n_opt = n_opt if n_opt >= 3 else 0
        n_lex = _longest(words, pauses, i, lexicon)
        number = _number_at(words, toks, i)
        n_num = number.end - number.start if number else 0
        # A marked word wins over a one-word reading, and over a longer yes that its folded
        # form would start: "đừng vậy" is not "đúng vậy".
        longer = lexicon.get(tuple(words[i:i + n_lex]))
        overrides = n_lex <= 1 or (longer in ("yes", "soft") and marked in ("no", "unknown", "pronoun"))
        if marked is not None and n_opt <= 1 and n_num <= 1 and overrides:
            sig = Signal("number", marked, i, i + 1, word=t.folded) if isinstance(marked, int) \
                else Signal("filler" if marked == "pronoun" else marked, None, i, i + 1,
                            word=t.folded)
        elif n_opt and n_opt >= max(n_lex, n_num):
            phrase = tuple(words[i:i + n_opt])
            sig = Signal("option", options[phrase], i, i + n_opt, letter=letter,
                         weak=n_opt == 1 and phrase in _WRAPPERS, word=" ".join(phrase))
        elif number and n_num >= n_lex:
            sig = replace(number, letter=letter)
        elif n_lex:
            phrase = tuple(words[i:i + n_lex])
            sig = Signal(lexicon[phrase], None, i, i + n_lex, letter=letter, word=" ".join(phrase))
        elif t.folded in echo:
            sig = Signal("filler", None, i, i + 1, word=t.folded)
        else:
            sig = Signal("unknown", None, i, i + 1, letter=letter, word=t.folded)
        if t.pause or t.mended:
            sig = replace(sig, pause=t.pause, sure=sig.sure and not t.mended)
        out.append(sig)
        i = sig.end
    return tuple(_counts(_settle_shy(out), words, toks))


def _counts(signals: list[Signal], words: list[str], toks: list[Token]) -> list[Signal]:
    """A number that counts something ("2 lần", "7h", "VTV3", "lớp 5") is not an option."""
    out = list(signals)
    for k in range(len(signals) - 1, -1, -1):      # "2 3 lần": both count
        s = signals[k]
        if s.kind != "number":
            continue
        after = words[s.end:s.end + 2]
        next_pause = s.end < len(toks) and toks[s.end].pause      # "1. Người dân…" is a list line
        counted = bool(after) and not next_pause and (
            after[0] in v.COUNT_WORDS or " ".join(after) in v.COUNT_WORDS)
        counted = counted or (k + 1 < len(out) and out[k + 1].kind == "unknown"
                              and signals[k + 1].kind == "number")
        named = k > 0 and ((signals[k - 1].kind == "unknown" and toks[s.start].glued)
                           or signals[k - 1].word in v.NAMED_BY_NUMBER)
        if k > 0 and signals[k - 1].word == "cau" and not named:
            out[k - 1] = replace(signals[k - 1], kind="filler")   # "câu 3 chọn 2": which
            out[k] = replace(s, kind="filler")                    # question, not an answer
        elif counted or named:
            out[k] = replace(s, kind="unknown")
    return out


def _settle_shy(signals: list[Signal]) -> list[Signal]:
    """A shy number word becomes a number, a pronoun (filler) or an unknown word."""
    if not any(s.kind == "shy" for s in signals):
        return signals
    content = [s for s in signals if s.kind not in WRAPPING]
    out = list(signals)
    for k, s in enumerate(signals):
        if s.kind != "shy":
            continue
        before = signals[k - 1] if k else None
        after = signals[k + 1] if k + 1 < len(signals) else None
        numeric = {"number", "shy"}
        alone = [x for x in content if x.kind != "soft" and not x.weak] == [s] \
            and not any(x.word in v.VERBS for x in signals)          # "dạ, ba ạ"; not "tu doc"
        if (before and before.kind == "cue") or alone \
                or (before and before.kind in numeric) or (after and after.kind in numeric):
            kind = "number"
            if alone and s.word in v.COLLOQUIAL_NUMBERS and not (before and before.kind == "cue"):
                s = replace(s, sure=False)    # "tu" alone: tư, or tự, từ?
        elif s.word in v.PRONOUNS and [x for x in content if x.kind != "soft"][:1] == [s]:
            kind = "filler"      # "ba chọn 3": bà, speaking
        else:
            kind = "unknown"
        out[k] = replace(s, kind=kind)
    return out


@lru_cache(maxsize=512)
def echo_words(question: str) -> frozenset:
    """The words of a question that say nothing when said back with an answer: "Bác có
    đọc báo, nghe đài…?" gives "doc", "bao", "nghe", "dai"… — never a word the reader
    knows ("có", "không", numbers, option words), never a kind word of the address."""
    words = fold(question.replace("{Xung}", "").replace("{xung}", "")).split()
    return frozenset(w for w in words if len(w) > 1 and w not in KNOWN and not w.isdigit())


def hedged(signals: list[Signal]) -> bool:
    """"2 thì phải", "1955 chắc vậy": said after an answer, these take its certainty back."""
    words = " ".join(s.word for s in signals).split()
    return len(words) > 2 and any(" ".join(words[-n:]) in v.HEDGES_AFTER for n in (2, 3))


def reply_tokens(folded: str, raw: str | None) -> tuple[Token, ...]:
    """The reply's words with their marks when the raw text is given, else from the
    folded text (marks gone)."""
    return tokens(raw) if raw is not None else tokens_of_folded(folded)


def content(signals: list[Signal]) -> list[Signal]:
    return [s for s in signals if s.kind not in WRAPPING]
