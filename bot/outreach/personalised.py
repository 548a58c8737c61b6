"""Placeholders rendered inside the database: a broadcast whose text says "{Xung_ho} ơi,
{xung_ho} {tien_do}" is still planned by one INSERT … SELECT, each row's text, SMS form
and segment count computed by SQL expressions from the citizen's birth year, group and
assessment of the year.

The expressions restate two rules of messages_vi in SQL: how a citizen is addressed
(address.py `address_form`) and the progress phrase (personal.py). The Python functions
stay the definition: tests/bot/test_personalised.py renders a table of citizens both
ways and requires the same text. Rendering row by row in Python cost 91 s for a
province of 557,137 recipients (bench/campaign.py); this costs what a plain broadcast
does.
"""

from datetime import datetime

from sqlalchemy import Integer, String, and_, case, cast, func, literal, select

from messages_vi.address import ADULT_AGE, ELDER_AGE, UNKNOWN, capitalised
from messages_vi.gsm import EXTENDED, is_gsm, to_gsm
from messages_vi.personal import FIELD, PHRASES
from storage.models import Answer, Assessment, Citizen

from .recipients import current_period


def _address(citizen, pupils: set[str], year: int):
    """address_form(birth_year, pupil, year) as a CASE."""
    age = literal(year) - Citizen.birth_year
    pupil = Citizen.target_group.in_(sorted(pupils)) if pupils else literal(False)
    return case(
        (Citizen.birth_year.is_(None), case((pupil, "em"), else_=UNKNOWN)),
        (pupil, case((age < ADULT_AGE, "em"), else_="bạn")),
        (age >= ELDER_AGE, "bác"), (age >= ADULT_AGE, "anh/chị"), else_="em")


def _indicator_count(criteria_sets):
    """How many questions the assessment's criteria set asks its target group."""
    whens = [(and_(Assessment.criteria_set == cs.id, Assessment.criteria_version == cs.version,
                   Assessment.target_group == group.id), len(group.indicators))
             for cs in criteria_sets.values() for group in cs.groups]
    return case(*whens, else_=0) if whens else literal(0)


def _progress(criteria_sets, sms: bool):
    answered = (select(func.count()).select_from(Answer)
                .where(Answer.assessment_id == Assessment.id).scalar_subquery())
    asked = _indicator_count(criteria_sets)
    remaining = case((asked > answered, asked - answered), else_=0)
    word = ("con ", " cau") if sms else ("còn ", " câu")
    pick = 1 if sms else 0
    return case((Assessment.id.is_(None), PHRASES["not_started"][pick]),
                (Assessment.status == "completed", PHRASES["completed"][pick]),
                else_=literal(word[0]) + cast(remaining, String) + literal(word[1]))


def _forms(form, sms: bool):
    """The address form and its capitalised form, in the channel's spelling."""
    values = ("bác", "anh/chị", "em", "bạn", UNKNOWN)
    spell = (lambda v: to_gsm(v)) if sms else (lambda v: v)
    lower = case(*[(form == v, spell(v)) for v in values], else_=form)
    upper = case(*[(form == v, spell(capitalised(v))) for v in values], else_=form)
    return lower, upper


def _fill(template: str, lower, upper, progress):
    """`template` with each placeholder replaced; the pieces between are literals."""
    parts, at = [], 0
    values = {"xung_ho": lower, "Xung_ho": upper, "tien_do": progress}
    for match in FIELD.finditer(template):
        if match.group(1) in values:
            parts += [literal(template[at:match.start()]), values[match.group(1)]]
            at = match.end()
    parts.append(literal(template[at:]))
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def _segments(template: str, rendered):
    """The segment count of each rendered SMS form: the values put in are plain GSM-7
    letters, so only the template's own extended characters (counted twice) add to its
    length; a template that is not GSM-7 goes as UCS-2."""
    if is_gsm(FIELD.sub("", template)):
        extra = sum(1 for c in FIELD.sub("", template) if c in EXTENDED)
        units = func.length(rendered) + extra
        return case((units <= 160, 1), else_=cast((units + 152) / 153, Integer)), "GSM-7"
    units = func.length(rendered)
    return case((units <= 70, 1), else_=cast((units + 66) / 67, Integer)), "UCS-2"


def personal_columns(runtime, broadcast, now: datetime) -> dict:
    """text, sms_text and segments as expressions over Citizen and the outer-joined
    Assessment of the year; `encoding` a literal."""
    form = _address(Citizen, runtime.pupil_groups(), current_period(now))
    zalo = _fill(broadcast.text, *_forms(form, False), _progress(runtime.criteria_sets, False))
    sms = _fill(broadcast.sms_text, *_forms(form, True), _progress(runtime.criteria_sets, True))
    count, encoding = _segments(broadcast.sms_text, sms)
    return {"text": zalo, "sms_text": sms, "segments": count, "encoding": literal(encoding)}


def joined(recipients, now: datetime):
    """FROM the targeted ids, their citizen and their assessment of the year."""
    return (recipients.join(Citizen, Citizen.id == recipients.c.id)
            .outerjoin(Assessment, and_(Assessment.citizen_id == Citizen.id,
                                        Assessment.period == current_period(now))))
