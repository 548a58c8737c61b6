"""Read back what we print: every identifier the bot shows a citizen is understood when the
citizen types it back as shown — command words in the messages, options as the Zalo and
SMS lists print them ("1. Thường xuyên", "1.Thuong xuyen"), question numbers ("SỬA 3",
"câu 3/10"), the unit lists' labels, the pending choices' labels."""

import re
from datetime import datetime, timezone

import pytest

from flows import commands
from flows.answering import SKIP_WORDS
from flows.units.directory import Directory, Found, Match, OldUnit, UnitEntry
from flows.readers.framing import core
from flows.handlers import PENDING_OPTIONS
from flows.loading import load_all_criteria
from flows.readers.normalize import fold
from flows.readers.understanding import read_choice, read_yes_no
from flows.units.question import pick_options, unit_options
from messages_vi.gsm import to_gsm
from messages_vi.render import Catalog

CATALOG = Catalog.load()
SETS = load_all_criteria()
_CAPS = "A-ZĐÂĂÊÔƠƯÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
_PRINTED_WORD = re.compile(rf"\b[{_CAPS}]{{2,}}(?: (?:[{_CAPS}]{{2,}}|\d+))*\b")
# Capitals in the messages that are abbreviations to read, not words to type back.
NOT_TO_TYPE = {"CDHT", "CP", "ND 13", "NĐ", "SDT"}
YES_NO_WORDS = {"CÓ": "yes", "CO": "yes", "KHÔNG": "no", "KHONG": "no"}
SKIP = {"BỎ QUA", "BO QUA"}


def printed_words() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, forms in CATALOG.messages.items():
        for text in forms.values():
            for word in _PRINTED_WORD.findall(text):
                found.setdefault(word, set()).add(key)
    return found


PRINTED = printed_words()


@pytest.mark.parametrize("word", sorted(PRINTED))
def test_every_word_the_messages_tell_citizens_to_type_is_understood(word):
    if word in NOT_TO_TYPE:
        return
    if word in YES_NO_WORDS:
        assert read_yes_no(fold(word), word).value == YES_NO_WORDS[word], word
    elif word in SKIP:
        assert core(fold(word)) in SKIP_WORDS
    else:
        assert commands.match(word, fold(word)) is not None, f"{word} (printed in {PRINTED[word]})"


def test_the_printed_words_are_all_classified():
    assert len(PRINTED) > 15      # the regular expression still finds them
    assert NOT_TO_TYPE <= set(PRINTED), "an abbreviation listed here is no longer printed"


@pytest.mark.parametrize("typed", ["SỬA 3", "SUA 3", "sửa 3", "Sửa câu 3", "sửa câu 3/10",
                                   "SUA CAU 3/10", "sửa câu số 3", "sửa câu thứ 3", "SUA3"])
def test_question_numbers_as_printed(typed):
    assert commands.match(typed, fold(typed)) == commands.Command("edit", 3)


def _every_option_list():
    for cs in SETS.values():
        yield f"{cs.id} groups", [(g.name, g.sms) for g in cs.groups], cs.groups
        for group in cs.groups:
            for indicator in group.indicators:
                yield (f"{cs.id} {group.id} {indicator.id}",
                       [(o.label, o.sms) for o in indicator.options], indicator.options)


def _as_options(options):
    from flows.model import Option
    return tuple(o if isinstance(o, Option) else Option(o.name, o.sms, o.id) for o in options)


def test_every_option_as_the_lists_print_it():
    """Zalo prints "1. Thường xuyên", SMS "1.Thuong xuyen" (GSM-7); a citizen may copy
    the line, the label or the number."""
    misread = []
    for where, labels, options in _every_option_list():
        options = _as_options(options)
        for n, (label, sms) in enumerate(labels, 1):
            for typed in (str(n), f"{n}. {label}", f"{n}.{to_gsm(sms)}", label, to_gsm(sms),
                          f"{n}) {label}", f"số {n}"):
                got = read_choice(fold(typed), options, typed)
                if not (got.ok and got.sure and got.value == n):
                    misread.append(f"{where}: {typed!r} → {got}")
    assert not misread, "\n".join(misread[:20])


def test_pending_choices_as_printed():
    for kind, options in PENDING_OPTIONS.items():
        for n, option in enumerate(options, 1):
            for typed in (str(n), option.label, option.sms, f"{n}. {option.label}"):
                assert read_choice(fold(typed), options, typed).value == n, (kind, typed)


def _unit_lists():
    area = "Tỉnh Hưng Yên"
    entries = [UnitEntry("12586", "Xã Hưng Hà", area), UnitEntry("13132", "Xã Quang Lịch", area),
               UnitEntry("13192", "Xã Vũ Thư", area), UnitEntry("12364-1", "Chi hội số 1, Xã Tiên Lữ"),
               UnitEntry("1236-41", "Chi hội số 41, Xã Tiên Lữ"), UnitEntry("11950", "Phường Hồng Châu", area),
               UnitEntry("11968", "Xã Khoái Châu", area)]
    old = [OldUnit("Xã Hòa Bình", d, "Tỉnh Thái Bình", (c,)) for d, c in
           (("Huyện Hưng Hà", "12586"), ("Huyện Kiến Xương", "13132"), ("Huyện Vũ Thư", "13192"))]
    d = Directory(entries, old_units=old)
    yield d.find("Hòa Bình")           # namesakes, with their old districts
    yield d.find("123641")             # codes that look alike
    yield d.find("chau")               # parts of names
    yield Found((Match(entries[0], old[0]), Match(entries[2])))    # old and current


def test_unit_lists_as_printed():
    for found in _unit_lists():
        assert len(found.matches) > 1
        options = pick_options(found.matches)
        for n, shown in enumerate(unit_options(found.matches), 1):
            for typed in (str(n), shown["zalo"], to_gsm(shown["sms"]), f"{n}. {shown['zalo']}",
                          f"{n}.{to_gsm(shown['sms'])}"):
                got = read_choice(fold(typed), options, typed)
                assert got.ok and got.value == n, (typed, got)


def test_a_confirmation_as_printed():
    """"… đúng không? Trả lời CÓ hoặc số khác.": CÓ is a yes."""
    text = CATALOG.render("confirm.choice", {"n": 3, "option": "Hiếm khi"}, "zalo",
                          __import__("messages_vi.render", fromlist=["Recipient"]).Recipient(
                              1950, False, datetime(2026, 1, 1, tzinfo=timezone.utc).year))
    assert "CÓ" in text
    assert read_yes_no(fold("CÓ"), "CÓ").value == "yes"
