"""Every message and every criteria question, rendered for every channel and address
form with worst-case parameters: SMS is GSM-7 and within its segment budget, Zalo
within 2000 characters. Offenders are printed together, not one at a time."""

import string
from datetime import datetime, timezone

import pytest
from vietnam_provinces import Ward

from flows.units.directory import bare_title

from flows.loading import load_all_criteria
from flows.model import PassRule
from flows.results import result_params
from flows.scoring import score
from messages_vi.gsm import is_gsm, segments
from messages_vi.render import ZALO_MAX, Catalog, Recipient

CATALOG = Catalog.load()
CRITERIA = load_all_criteria()
RECIPIENTS = [Recipient(None, False, 2026), Recipient(1940, False, 2026),
              Recipient(1990, False, 2026), Recipient(2012, True, 2026),
              Recipient(2004, True, 2026)]
# Messages that may take two SMS segments; every other one must fit in one.
TWO_SEGMENTS = {"help", "assessment.result", "registration.consent"}
LONG_NAME = "Nguyễn Thị Phương Thảo Hoàng"
LONG_UNIT = "Chi hội Khuyến học số 1, Phường Trần Hưng Đạo"
ALL_OPTIONS = [o for cs in CRITERIA.values() for g in cs.groups for i in g.indicators
               for o in i.options]
LONGEST_OPTION_LABELS = [o.label for o in ALL_OPTIONS]
LONGEST_GROUPS = max((cs.groups for cs in CRITERIA.values()),
                     key=lambda gs: sum(len(g.sms) for g in gs))


def _longest(prefix: str) -> dict:
    keys = [k for k in CATALOG.keys() if k.startswith(prefix)]
    return {"msg": max(keys, key=lambda k: len(CATALOG.messages[k]["sms"]))}


SAMPLES = {
    "name": LONG_NAME, "birth_year": 1958, "period": 2026, "total": 100, "maximum": 100,
    "n": 10, "count": 10, "answered": 10, "short": 80, "min_total": 80, "min_each": 5,
    "points": 10, "help_name": "Hội Khuyến học phường Trần Hưng Đạo",
    "help_phone": "0221 3000 101", "since": datetime(2026, 12, 31, tzinfo=timezone.utc),
    "unit": {"zalo": LONG_UNIT, "sms": LONG_UNIT}, "channel": "sms",
    "group": {"zalo": max((g.name for g in LONGEST_GROUPS), key=len),
              "sms": max((g.sms for g in LONGEST_GROUPS), key=len)},
    "options": [{"zalo": g.name, "sms": g.sms} for g in LONGEST_GROUPS],
    "question": {"zalo": "Câu hỏi mẫu?", "sms": "Cau hoi mau?"},
    "option": {"zalo": max(LONGEST_OPTION_LABELS, key=len),
               "sms": max((o.sms for o in ALL_OPTIONS), key=len)},
    "hint": _longest("hint."), "expect": _longest("expect."), "where": _longest("where."),
    "verdict": _longest("verdict."), "standing": _longest("standing."),
    "ask": _longest("pending."),
    "help": {"msg": "help.call", "params": {"help_name": "Hội Khuyến học phường Trần Hưng Đạo",
                                             "help_phone": "0221 3000 101"}},
    "names": [{"zalo": "câu 10 (Góp sức việc chung)", "sms": "cau 10 (Gop suc viec chung)"}] * 2,
    "reasons": [], "competences": [], "advice": "",
    # the unit question: the longest old and new commune names of the demo province
    "lead": {"msg": "unit.lead_close"},
    "old": {"zalo": "Thị trấn Hưng Hà", "sms": "Xa Hoang Hoa Tham"}, "new": LONG_UNIT,
    "district": "thành phố Hưng Yên",
    # reminders; a course's title and place as an officer would write them (a longer
    # one makes a second SMS segment, which the row's segment count shows)
    "remaining": 10, "title": "Dùng điện thoại thông minh an toàn",
    "place": "Trung tâm học tập cộng đồng xã Tiên Lữ",
    "start": datetime(2026, 12, 12, 0, 30, tzinfo=timezone.utc),
    # a return's reason as an officer writes it (a longer one takes a second segment)
    "reason": "Câu 3 chưa có minh chứng, xin gửi ảnh giấy chứng nhận lớp học",
}


# The five longest commune names in the country, as an SMS list of namesakes would show them.
LONGEST_UNITS = sorted((bare_title(w.name) for w in Ward.iter_all()), key=len)[-5:]
# A unit list is shown again with the hint of a wrong pick (out of range, two numbers).
BY_KEY = {"registration.unit_pick": {
    "options": [{"zalo": f"{n} (Tỉnh Hưng Yên)", "sms": n} for n in LONGEST_UNITS]},
    "registration.unit_pick_again": {
        "options": [{"zalo": f"{n} (Tỉnh Hưng Yên)", "sms": n} for n in LONGEST_UNITS],
        "hint": {"msg": "hint.out_of_range"}},
    "registration.unit_confirm": {"hint": {"msg": "hint.out_of_range"},
                                  "unit": {"zalo": LONG_UNIT, "sms": LONG_UNIT}}}


def _params(key: str) -> dict:
    fields = {f for _, f, _, _ in string.Formatter().parse(CATALOG.messages[key]["sms"]
                                                           + CATALOG.messages[key]["zalo"]) if f}
    missing = fields - set(SAMPLES) - {"xung", "Xung"}
    assert not missing, f"{key}: no sample for {sorted(missing)}"
    return {**{f: SAMPLES[f] for f in fields if f in SAMPLES}, **BY_KEY.get(key, {})}


def _problems(key: str, sms: str, zalo: str, budget: int) -> list[str]:
    found = []
    seg = segments(sms)
    if not is_gsm(sms):
        found.append(f"{key}: SMS not GSM-7: {[c for c in sms if not is_gsm(c)]}")
    if seg.count > budget:
        found.append(f"{key}: SMS {seg.units} chars = {seg.count} segments (budget {budget}): {sms}")
    if len(zalo) > ZALO_MAX:
        found.append(f"{key}: Zalo {len(zalo)} chars")
    return found


def test_every_catalog_message_fits():
    offenders = []
    for key in CATALOG.keys():
        budget = 2 if key in TWO_SEGMENTS else 1
        for recipient in RECIPIENTS:
            params = _params(key)
            sms = CATALOG.render(key, params, "sms", recipient)
            zalo = CATALOG.render(key, params, "zalo", recipient)
            offenders += _problems(key, sms, zalo, budget)
    print("\n".join(offenders))
    assert not offenders


def test_sms_templates_are_written_without_diacritics():
    offenders = [key for key in CATALOG.keys() if not is_gsm(CATALOG.messages[key]["sms"])]
    assert not offenders, offenders


@pytest.mark.parametrize("key", sorted(CRITERIA), ids=lambda k: f"{k[0]}@{k[1]}")
def test_every_criteria_question_fits_one_sms(key):
    offenders = []
    for group in CRITERIA[key].groups:
        for n, ind in enumerate(group.indicators, 1):
            params = {"n": n, "total": len(group.indicators),
                      "question": {"zalo": ind.question, "sms": ind.question_sms},
                      "options": [{"zalo": o.label, "sms": o.sms} for o in ind.options]}
            for recipient in RECIPIENTS:
                sms = CATALOG.render("assessment.question", params, "sms", recipient)
                zalo = CATALOG.render("assessment.question", params, "zalo", recipient)
                offenders += _problems(f"{group.id}.{ind.id}", sms, zalo, 1)
    print("\n".join(offenders))
    assert not offenders


@pytest.mark.parametrize("key", sorted(CRITERIA), ids=lambda k: f"{k[0]}@{k[1]}")
def test_worst_result_fits_two_sms(key):
    """Every indicator under the minimum, and the longest indicator names."""
    rule = PassRule()
    offenders = []
    for group in CRITERIA[key].groups:
        worst = {ind.id: len(ind.options) for ind in group.indicators}  # the 0-point option
        result = score(group, rule, worst)
        params = result_params(result, rule, {c.id: {"zalo": c.name, "sms": c.sms}
                                              for c in CRITERIA[key].competences})
        for recipient in RECIPIENTS:
            sms = CATALOG.render("assessment.result", params, "sms", recipient)
            zalo = CATALOG.render("assessment.result", params, "zalo", recipient)
            offenders += _problems(f"result {group.id}", sms, zalo, 2)
    print("\n".join(offenders))
    assert not offenders


def test_missing_parameter_renders_empty_not_a_crash():
    text = CATALOG.render("help", {}, "sms", Recipient())
    assert "{" not in text and text.startswith("HD")
