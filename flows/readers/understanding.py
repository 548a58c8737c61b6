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

from dataclasses import replace
from functools import lru_cache

from .choices import read_choice  # noqa: F401  (the readers, in one place)
from .counting import read_integer, read_number, read_year  # noqa: F401
from .framing import core
from .names import read_name  # noqa: F401
from .normalize import fold
from ..phone import to_e164
from .reading import UNKNOWN, UNSURE, Reading
from . import vocabulary as v
from .scanning import WRAPPING, Signal, content, reply_tokens, scan


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
    if "soft_no" in kinds:
        softs = {s.word for s in clause if s.kind == "soft"}
        return "no" if softs <= v.POLITE else "asked"   # "dạ thôi" is a no; "ừ thôi"?
    return "yes" if "soft" in kinds else None


def _emphasis(signals: list[Signal]) -> list[Signal]:
    """"không sao đâu": "đâu" after a negative phrase only stresses it."""
    out = list(signals)
    for k, s in enumerate(signals):
        if s.kind == "neg" and s.word == "dau" and k and signals[k - 1].kind == "filler" \
                and signals[k - 1].word.split()[0] in ("khong", "chua") and not s.pause:
            out[k] = replace(s, kind="filler")
    return out


_OTHER_WORDS = frozenset({"unknown", "number", "shy", "defer"})
_ASKING_ENDS = ("à", "ư", "hả", "hở", "chứ gì")


def _ends_asking(raw: str) -> bool:
    words = raw.lower().strip(" .!…").split()
    return len(words) > 1 and words[-1] in _ASKING_ENDS[:4]


def _answers(clauses: list[list[Signal]]) -> set:
    """The yes/no of each thought. Words the reader does not know are allowed only beside
    one thought said cleanly ("Tôi là hội viên lâu năm, đồng ý"); a thought that mixes
    them with a yes or a no must agree with it, and one that has only them says nothing."""
    clean, mixed = set(), set()
    for clause in clauses:
        said = [s for s in clause if s.kind not in _OTHER_WORDS]
        answer = _clause_answer(said) if said else None
        (mixed if len(said) < len(clause) else clean).add(answer)
    clean.discard(None)
    mixed.discard(None)
    if not clean:
        return {"unknown"} if mixed or not clauses else set()
    return clean | mixed


def _put_off(signals) -> bool:
    """"hỏi con đã", "để bác hỏi ông nhà đã": an answer put off. Typed without marks, a
    "da" that ends the reply after other words is "đã" as much as "dạ"."""
    said = [s for s in signals if s.kind not in ("filler", "cue") or s.word not in v.PARTICLES]
    if not said:
        return False
    last = said[-1]
    earlier = [s for s in said[:-1] if not (s.kind == "soft" and s.word in v.POLITE)]
    return last.kind == "defer" or (last.kind == "soft" and last.word == "da" and bool(earlier))


def _rhetorical(signals: list[Signal]) -> bool:
    """"ai mà đồng ý", "có mà đồng ý", "dại gì mà…": "mà" after a question word or a yes
    turns what follows round."""
    for k, s in enumerate(signals):
        if s.kind == "break" and s.word == "ma":
            before = [x for x in signals[:k] if x.kind not in WRAPPING]
            words = " ".join(x.word for x in signals[:k]).split()
            if (before and before[-1].kind in ("yes", "soft")) or set(words) & _ASKING_WORDS:
                return True
    return False


_ASKING_WORDS = frozenset({"ai", "gi", "sao", "dai", "nao", "dau"})


@lru_cache(maxsize=8192)
def read_yes_no(folded: str, raw: str | None = None) -> Reading:
    signals = scan(reply_tokens(folded, raw), "yes_no")
    said = content(signals)
    kinds = {s.kind for s in said}
    if "unsure" in kinds:
        return UNSURE
    if kinds & {"question", "correction", "first", "last", "other"} or not said \
            or _put_off(signals) or _rhetorical(signals) or any(not s.sure for s in said):
        return UNKNOWN     # asked back, taken back, put off, someone else's, or a guessed word
    if raw and (raw.rstrip().endswith("?") or _ends_asking(raw)):
        return UNKNOWN     # "có?", "đồng ý à", "răng phải lưu?": asked back
    but = [k for k, s in enumerate(signals) if s.word == "nhung"]
    if but and content(signals[but[0]:]):
        return UNKNOWN              # "đồng ý nhưng phải hỏi mẹ đã": a condition
    if said[0].kind == "echo":
        return UNKNOWN              # "tham gia": the question's words, no answer
    for k, s in enumerate(said[:-1]):
        if s.word == "dung" and s.kind == "yes" and said[k + 1].kind == "echo":
            return UNKNOWN          # "dung xoa": đúng, or đừng?
    signals = _emphasis(signals)
    answers = _answers(_clauses(signals))
    if answers == {"yes"}:
        return Reading("yes")
    if answers == {"no"}:
        return Reading("no")
    return UNKNOWN


def read_phone(raw: str) -> Reading:
    """A phone number in E.164, also when words surround it: "số 0912 345 678 ạ"."""
    phone = to_e164(raw) or to_e164(core(fold(raw)))
    return Reading(phone) if phone else Reading(problem="phone")
