"""Properties of the readers over the reply table (hypothesis): wrapping an answer in the
words people wrap answers in never changes it, and a negation never makes a yes.

The wrappers are the vocabulary's own (flows/readers/vocabulary.py), in the forms people type.
Three exceptions are deliberate (docs/conversation.md): a lone option letter is a letter
only alone or after a choosing word ("dạ b" is not option b); "thôi" after a bare "dạ"
or "vâng" is a no ("dạ thôi"); and two pronouns side by side make a new word ("con" +
"cháu chọn 2" is "con cháu", the grandchildren), so they are not generated.
"""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flows.readers import vocabulary as v
from flows.readers.normalize import fold
from tests.flows.test_replies import CASES, READERS, expand, expected_reading

LEADING = ["dạ", "vâng", "thưa", "dạ vâng", "dạ thưa", "tôi", "tui", "cháu", "em", "con",
           "bác", "mình", "ông", "bà ơi", "cô ơi", "dạ cháu", "vâng ạ", "ừ thì"]
CHOOSING = ["chọn", "tôi chọn", "con lấy", "cháu xin chọn", "bác chấm", "mình tích",
            "đánh dấu", "em chọn cái", "cho", "xin", "lấy"]
TRAILING = ["ạ", "nhé", "nha", "nè", "luôn", "á", "đó", "đấy", "nhen", "ạ ạ", "nhé cháu",
            "cảm ơn", "cảm ơn cháu", "em ơi", "đi", "nhá", "đây", "vậy"]
NEGATORS = ["không", "chưa", "ko", "k", "chẳng", "hông", "đâu", "chả"]
# Put before a yes word, these negate it; "đâu" is left out here: after a negative
# phrase it only stresses it ("không vấn đề gì đâu" is still a yes).
YES_NEGATORS = ["không", "chưa", "ko", "k", "chẳng", "hông", "chả"]
YES_WORDS = {p for p in v.YES | v.SOFT_YES if " " not in p} | {"dong", "dung", "chinh", "tat"}
CHOICE_READERS = ("choice4", "choice_yn", "freq", "level")


def _accepted(readers) -> list[tuple[str, str]]:
    """Rows the table reads as a sure answer (not a bare letter, not a soft "dạ")."""
    rows = []
    for _, reader, reply, expected, _ in CASES:
        reading = expected_reading(reader, expected)
        text = expand(reply)
        if reader in readers and reading.ok and reading.sure and len(fold(text)) > 1 \
                and fold(text) not in {"da", "vang", "u", "uh", "um", "uhm", "ua", "da vang"}:
            rows.append((reader, text))
    return rows


YES_NO_ROWS = _accepted({"yes_no"})
CHOICE_ROWS = _accepted(set(CHOICE_READERS))
# Rows that do not choose already: "chọn" before "bà chọn 3" makes "chọn ba chọn 3",
# two numbers, rightly.
PLAIN_CHOICE_ROWS = [(r, t) for r, t in CHOICE_ROWS
                     if not set(fold(t).split()) & {"chon", "lay", "cham", "tich", "xin", "cho"}
                     and fold(t).split()[0] not in v.PRONOUNS]


def _speakers_meet(before: str, after: str) -> bool:
    """Two speakers side by side ("con" + "cháu chọn 2") make a new word ("con cháu")."""
    last, first = fold(before).split()[-1:], fold(after).split()[:1]
    return bool(last and first) and last[0] in v.PRONOUNS and first[0] in v.PRONOUNS


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(YES_NO_ROWS + CHOICE_ROWS), st.sampled_from([""] + LEADING),
       st.sampled_from([""] + TRAILING))
def test_politeness_around_an_answer_changes_nothing(row, lead, trail):
    reader, reply = row
    assume(not _speakers_meet(lead, reply))
    wrapped = " ".join(p for p in (lead, reply, trail) if p)
    assert READERS[reader](wrapped) == READERS[reader](reply), wrapped


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PLAIN_CHOICE_ROWS), st.sampled_from(LEADING + [""]),
       st.sampled_from(CHOOSING), st.sampled_from([""] + TRAILING))
def test_choosing_words_before_an_option_change_nothing(row, speaker, verb, trail):
    reader, reply = row
    assume(not _speakers_meet(speaker, verb))
    wrapped = " ".join(p for p in (speaker, verb, reply, trail) if p)
    assert READERS[reader](wrapped) == READERS[reader](reply), wrapped


def _insert(reply: str, word: str, at: int) -> str:
    words = reply.split()
    words.insert(at % (len(words) + 1), word)
    return " ".join(words)


NO_ROWS = [r for r in CASES if r[1] == "yes_no" and r[3] == "no"]
YES_ROWS = [r for r in CASES if r[1] == "yes_no" and r[3] == "yes"]


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(NO_ROWS), st.sampled_from(NEGATORS), st.integers(0, 8))
def test_a_negation_never_turns_a_no_into_a_yes(row, negator, at):
    text = _insert(expand(row[2]), negator, at)
    assert READERS["yes_no"](text).value != "yes", text


def _before_yes_words(reply: str) -> list[int]:
    """Where a negator negates: at the start, and before each yes word."""
    return [0] + [i for i, w in enumerate(reply.split()) if fold(w) in YES_WORDS]


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(YES_ROWS), st.sampled_from(YES_NEGATORS), st.integers(0, 8))
def test_a_negation_before_a_yes_word_never_leaves_a_yes(row, negator, pick):
    reply = expand(row[2])
    places = _before_yes_words(reply)
    text = _insert(reply, negator, places[pick % len(places)])
    assert READERS["yes_no"](text).value != "yes", text


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([r for r in CHOICE_ROWS]), st.sampled_from(["không", "chưa", "chẳng"]))
def test_a_negated_option_is_never_that_option(row, negator):
    """"không thường xuyên" is not Thường xuyên (unless the option itself means no)."""
    from tests.flows.test_replies import CHOICE4, CHOICE_YN, FREQ, LEVEL
    reader, reply = row
    options = {"choice4": CHOICE4, "choice_yn": CHOICE_YN, "freq": FREQ, "level": LEVEL}[reader]
    before = READERS[reader](reply)
    if options[before.value - 1].means == "no":
        return
    after = READERS[reader](f"{negator} {reply}")
    assert not (after.ok and after.sure and after.value == before.value), f"{negator} {reply}"
