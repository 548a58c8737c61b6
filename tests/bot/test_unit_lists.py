"""The unit question's lists, built from the demo province's real directory (its 104
communes and the 381 communes they were before 2025): every list a name can produce fits
one SMS segment, says what it is, and every line of it is read back as its number."""

from flows.units.directory import bare_title
from flows.readers.normalize import fold
from flows.readers.understanding import read_choice
from flows.units.question import lead, pick_options, unit_options
from messages_vi.gsm import segments, to_gsm
from messages_vi.render import Recipient

RECIPIENTS = [Recipient(None, False, 2026), Recipient(1950, False, 2026)]


def every_list(directory):
    names = {bare_title(o.name) for olds in directory.old.values() for o in olds}
    names |= {bare_title(e.name) for entries in directory.current.values() for e in entries}
    for name in sorted(names):
        found = directory.find(name)
        if 2 <= len(found.matches) <= 5:
            yield name, found


def test_every_list_fits_one_sms_and_reads_back(runtime):
    directory = runtime.script().directory
    lists = list(every_list(directory))
    assert len(lists) >= 20          # namesakes, splits, and old and new names that meet
    too_long, misread = [], []
    for name, found in lists:
        params = {"lead": lead(found), "options": unit_options(found.matches)}
        for recipient in RECIPIENTS:
            sms = runtime.catalog.render("registration.unit_pick", params, "sms", recipient)
            if segments(sms).count > 1:
                too_long.append(sms)
        options = pick_options(found.matches)
        for n, shown in enumerate(unit_options(found.matches), 1):
            for typed in (str(n), shown["zalo"], to_gsm(shown["sms"])):
                got = read_choice(fold(typed), options, typed)
                if not (got.ok and got.value == n):
                    misread.append(f"{name}: {typed!r} → {got}")
    assert not too_long, too_long
    assert not misread, misread


def test_every_old_name_reaches_the_communes_it_went_into(runtime):
    """Each pre-2025 commune, named with its old district, finds exactly the units the
    official table says it went into."""
    directory = runtime.script().directory
    for olds in directory.old.values():
        for old in olds:
            found = directory.find(f"{old.name}, {old.district}")
            assert {m.entry.code for m in found.matches} == set(old.now), (old, found)
