"""Every reply form in replies.tsv, read by its reader, must get the reading in the table.

One row per case: reader, reply, expected, note. `expected` is the value, `?value` for a
reading the bot confirms before taking it, or `!problem` when the reply must be asked
again with that hint. Rows are grouped by reader, then by family (a `# family` line). A reply written
`nfd:…` is sent in decomposed Unicode (what some keyboards produce). A row whose
note says KNOWN-GAP is a reading we believe right but the readers do not give
yet: it runs as a strict xfail, so fixing the gap turns it into a failure that
asks for the marker to be removed.
"""

import unicodedata
from pathlib import Path

import pytest

from flows import commands
from flows.loading import load_all_criteria
from flows.model import Option
from flows.readers.normalize import fold, strip_diacritics
from flows.readers.scanning import echo_words
from flows.readers.understanding import (Reading, read_choice, read_name, read_number, read_phone,
                                 read_year, read_yes_no)

TABLE = Path(__file__).with_name("replies.tsv")
HEADER = ["reader", "reply", "expected", "note"]
KNOWN_GAP = "KNOWN-GAP"

CHOICE4 = (
    Option("Thường xuyên", "Thuong xuyen", "often", 3,
           aliases=("hang ngay", "luon luon", "ngay nao cung")),
    Option("Thỉnh thoảng", "Thinh thoang", "sometimes", 2, aliases=("doi khi",)),
    Option("Hiếm khi", "Hiem khi", "rarely", 1, aliases=("it khi",)),
    Option("Không", "Khong", "never", 0, means="no", aliases=("khong bao gio", "chua bao gio")),
)
CHOICE_YN = (
    Option("Có", "Co", "yes", means="yes"),
    Option("Không", "Khong", "no", means="no"),
)
YEAR_LOW, YEAR_HIGH = 1900, 2020
# The answer scales of the criteria files as they are: "Thường xuyên … Không" (how often)
# and "Thành thạo … Chưa biết" (how well), with their aliases.
_SCALES = {ind.options[0].label: ind.options for cs in load_all_criteria().values()
           for g in cs.groups for ind in g.indicators}
FREQ, LEVEL = _SCALES["Thường xuyên"], _SCALES["Thành thạo"]
# As the engine reads at a real question: its own words are no answer (flows/answering.py).
Q1 = load_all_criteria()[("cdht-2023", "2023.1-draft")].groups[0].indicators[0]
Q1_WORDS = echo_words(Q1.question) | echo_words(Q1.question_sms)


def _command(raw: str, at_name_step: bool) -> Reading:
    found = commands.match(raw, fold(raw), at_name_step)
    if found is None:
        return Reading("-")
    return Reading(found.name if found.number is None else f"{found.name} {found.number}")


def _phone(raw: str) -> Reading:
    return read_phone(raw)


READERS = {
    "yes_no": lambda raw: read_yes_no(fold(raw), raw),
    "choice4": lambda raw: read_choice(fold(raw), CHOICE4, raw),
    "choice_yn": lambda raw: read_choice(fold(raw), CHOICE_YN, raw),
    "freq": lambda raw: read_choice(fold(raw), FREQ, raw),
    "level": lambda raw: read_choice(fold(raw), LEVEL, raw),
    "freq@q1": lambda raw: read_choice(fold(raw), Q1.options, raw, Q1_WORDS),
    "number": lambda raw: read_number(fold(raw), raw),
    "year": lambda raw: read_year(fold(raw), YEAR_LOW, YEAR_HIGH, raw),
    "name": read_name,
    "phone": _phone,
    "command": lambda raw: _command(raw, at_name_step=False),
    "command@name": lambda raw: _command(raw, at_name_step=True),
}
INT_READERS = {"choice4", "choice_yn", "freq", "level", "freq@q1", "number", "year"}


def load_cases() -> list[tuple[int, str, str, str, str]]:
    """(line number, reader, reply, expected, note) for every case row."""
    lines = TABLE.read_text(encoding="utf-8").split("\n")
    assert lines[0].split("\t") == HEADER, f"{TABLE.name}: header must be {HEADER}"
    cases = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        assert len(cells) in (3, 4), f"{TABLE.name}:{number}: want 3 or 4 tab-separated cells"
        reader, reply, expected, note = (cells + [""])[:4]
        cases.append((number, reader, reply, expected, note))
    return cases


def expand(reply: str) -> str:
    """The text as the phone sent it: `nfd:` marks a decomposed-Unicode reply."""
    if reply.startswith("nfd:"):
        return unicodedata.normalize("NFD", reply[len("nfd:"):])
    return reply


def expected_reading(reader: str, expected: str) -> Reading:
    """`!problem`; `?value` for a reading to confirm; `value|key=n` for a value said with
    more (a name with its birth year)."""
    if expected.startswith("!"):
        return Reading(problem=expected[1:])
    sure = not expected.startswith("?")
    value, *more = expected.lstrip("?").split("|")
    also = {k: int(n) if n.isdigit() else n for k, n in (m.split("=", 1) for m in more)}
    return Reading(int(value) if reader in INT_READERS else value, sure=sure, also=also or None)


CASES = load_cases()


def _param(case):
    number, reader, reply, expected, note = case
    marks = [pytest.mark.xfail(strict=True, reason=note)] if KNOWN_GAP in note else []
    case_id = f"{reader}:{strip_diacritics(reply)}:L{number}"
    return pytest.param(reader, reply, expected, id=case_id, marks=marks)


@pytest.mark.parametrize(("reader", "reply", "expected"), [_param(c) for c in CASES])
def test_reply_is_read(reader, reply, expected):
    got = READERS[reader](expand(reply))
    assert got == expected_reading(reader, expected), f"{reply!r} read by {reader}"


def test_table_covers_every_reader():
    readers = [reader for _, reader, _, _, _ in CASES]
    assert len(CASES) >= 1000
    assert set(readers) == set(READERS), "every row names a known reader, every reader has rows"
    seen = set()
    for number, reader, reply, _, _ in CASES:
        assert (reader, reply) not in seen, f"{TABLE.name}:{number}: duplicate {reader} {reply!r}"
        seen.add((reader, reply))
