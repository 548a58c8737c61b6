"""Chat spellings repaired into the words the readers know.

A word is repaired only when it is not a known word as it stands and the
repair gives one: "khônggg" → "khong" (letters held down), "khoong", "cos",
"dduwowcj" → "khong", "co", "duoc" (Telex typed with the Vietnamese mode off),
"co1", "kho6ng" → "co", "khong" (VNI). Anything else is left as it was, so a
name or a place is never rewritten into an answer word.
"""

import re
from functools import lru_cache

from . import vocabulary as v

_PHRASE_SETS = (v.YES, v.SOFT_YES, v.NO, v.NEGATORS, v.UNSURE, v.QUESTIONS, v.PARTICLES,
                v.PRONOUNS, v.CHOOSING, v.INTENSIFIERS, v.ECHO, v.FIRST, v.LAST, v.YEAR_WORDS,
                tuple(v.ABBREVIATIONS), tuple(v.ABBREVIATIONS.values()), tuple(v.SYNONYMS),
                tuple(p for ps in v.SYNONYMS.values() for p in ps))
NUMBER_WORDS = frozenset({*v.DIGITS, *v.UNITS_AFTER_TENS, v.TEN, v.HUNDRED, *v.THOUSAND,
                          *v.ZERO_TENS})
KNOWN = frozenset(w for phrases in _PHRASE_SETS for p in phrases for w in p.split()) \
    | NUMBER_WORDS
# Repairs must not make a lone consonant: "kkk" is laughter, not "k" (không).
_TOO_SHORT = frozenset({"c", "k", "n", "h", "j", "r"})
_VOWELS = set("aeiouy")
_VNI = re.compile(r"^([a-z]+)((?:[1-9][a-z]*)+)$")
_RUNS = re.compile(r"(.)\1+")
_TELEX_TONE = re.compile(r"(?<=.)[sfrxj]$")
_TELEX_MARKS = (("dd", "d"), ("uow", "uo"), ("aa", "a"), ("ee", "e"), ("oo", "o"), ("aw", "a"),
                ("ow", "o"), ("uw", "u"), ("w", "u"))


def _known(word: str) -> bool:
    """A repair must give a known word with a vowel: "kkk" is laughter, not "k" (không).
    (A repaired word is never taken for an option letter: see normalize.tokens.)"""
    return word in KNOWN and word not in _TOO_SHORT and bool(_VOWELS & set(word))


def _telex(word: str) -> str:
    word = _TELEX_TONE.sub("", word)
    for typed, letter in _TELEX_MARKS:
        word = word.replace(typed, letter)
    return word


def _vni(word: str) -> str | None:
    """"co1" → "co": digits typed as marks. Not after a word that introduces a number
    ("so2", "y2" are "số 2", "ý 2"), and never a number word ("ba3")."""
    match = _VNI.match(word)
    if not match:
        return None
    head, tail = match.groups()
    if tail.isdigit() and (head in v.NUMBER_CUES or head in v.CHOOSING or len(tail) > 2
                           or (head in NUMBER_WORDS and head != "khong")):
        return None      # "so2", "y2", "ba3": a word and a number; "co123" is no spelling
    bare = re.sub(r"\d", "", word)
    return bare if _known(bare) else None


# The tone a yes or no word must carry when typed as Telex (letter) or VNI (digit): "cos",
# "co1" are "có", but "dungf" is "dùng" (use) and "d9u7ng2" is "đừng" (don't), not "đúng".
TONES = {"co": "s1", "dung": "s1", "duoc": "j5", "da": "j5", "vang": "f2", "u": "f2",
         "y": "s1", "dong": "f2", "phai": "r3", "muon": "s1", "khong": "", "chua": "",
         "hong": "", "ok": ""}
_VNI_TONES = "12345"


def _typed_tone(word: str) -> str:
    """The tone typed: a final Telex letter, or the VNI digits 1–5 in the word."""
    digits = "".join(ch for ch in word if ch in _VNI_TONES)
    if any(ch.isdigit() for ch in word):
        return digits
    return word[-1] if _TELEX_TONE.search(word) else ""


def _tone_fits(candidate: str, word: str) -> bool:
    if candidate not in TONES:
        return True
    typed = _typed_tone(word)
    return typed == "" if TONES[candidate] == "" else bool(typed) and typed in TONES[candidate]


@lru_cache(maxsize=4096)
def repair(word: str) -> str:
    """The known word this one was meant to be, or the word unchanged."""
    if word in KNOWN or word.isdigit():
        return word
    if any(ch.isdigit() for ch in word):
        fixed = _vni(word)
        return fixed if fixed and _tone_fits(fixed, word) else word
    for candidate in (_RUNS.sub(r"\1", word), _telex(word), _telex(_RUNS.sub(r"\1", word)),
                      _RUNS.sub(r"\1", _telex(word))):
        telex = candidate != _RUNS.sub(r"\1", word)
        if candidate != word and _known(candidate) and (not telex or _tone_fits(candidate, word)):
            return candidate
    return word
