"""A broadcast's placeholders rendered by SQL (bot/outreach/personalised.py) say exactly
what the Python rules say (messages_vi: address_form, personal.for_citizen, gsm.segments),
for every kind of citizen: no birth year, pupils young and grown, adults, elders; not
started, halfway, finished — on SQLite and on PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.outreach.broadcasts import create
from bot.outreach.recipients import current_period
from messages_vi.gsm import segments
from messages_vi.personal import Progress, for_citizen
from storage.models import Answer, Assessment, Citizen, Outbox, Unit

NOW = datetime(2026, 10, 1, 2, 0, tzinfo=timezone.utc)
TEXTS = [
    ("{Xung_ho} ơi, {xung_ho} {tien_do}. Nhắn TIẾP để làm tiếp nhé!", None),
    ("Mời {xung_ho} dự lễ khai mạc {tien_do}", "Moi {xung_ho} [du le] {tien_do} ~ ok"),  # extended chars
    ("{Xung_ho} " + "học tập suốt đời " * 9 + "{tien_do}", None),                      # two segments
    ("Kính gửi {Xung_ho}", "Kính gửi {Xung_ho} (có dấu)"),                              # UCS-2 SMS form
]
# birth year, group, answers given (None: no assessment; 10: completed)
PEOPLE = [(None, "nguoi_dan", None), (None, "hoc_sinh", 3), (2014, "hoc_sinh", 10),
          (2004, "hoc_sinh", None), (1990, "nguoi_dan", 4), (1966, "nguoi_dan", 9),
          (1950, "nguoi_dan", 10), (2012, "nguoi_dan", 1), (1967, "nguoi_lao_dong", 0)]


def add_people(runtime):
    criteria = runtime.criteria
    made = []
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "11953-1"))
        for n, (born, group, given) in enumerate(PEOPLE):
            citizen = Citizen(name=f"Người {n}", birth_year=born, unit_id=unit_id, target_group=group,
                              consent=True, opted_out=False, registered_at=NOW - timedelta(days=9),
                              created_at=NOW - timedelta(days=9))
            session.add(citizen)
            session.flush()
            progress = Progress("not_started")
            if given is not None:
                indicators = criteria.group(group).indicators
                done = given == len(indicators)
                assessment = Assessment(citizen_id=citizen.id, period=current_period(NOW),
                                        criteria_set=criteria.id, criteria_version=criteria.version,
                                        target_group=group, status="completed" if done else "in_progress",
                                        started_at=NOW, updated_at=NOW)
                session.add(assessment)
                session.flush()
                for indicator in indicators[:given]:
                    session.add(Answer(assessment_id=assessment.id, indicator=indicator.id, option=1,
                                       points=10, raw_text="1", answered_at=NOW))
                progress = Progress("completed") if done else Progress("in_progress", len(indicators) - given)
            made.append((citizen.id, born, group, progress))
    return made


@pytest.mark.parametrize("text, sms_text", TEXTS)
def test_sql_renders_what_python_renders(runtime, text, sms_text):
    people = add_people(runtime)
    with runtime.db.transaction() as session:
        made = create(session, "11953-1", text, NOW, sms_text=sms_text, runtime=runtime)
        assert made.recipients == len(PEOPLE)
        rows = {r.citizen_id: r for r in session.scalars(select(Outbox).where(
            Outbox.broadcast_id == made.broadcast.id))}
        sms_template = made.broadcast.sms_text
    pupils, year = runtime.pupil_groups(), current_period(NOW)
    for citizen_id, born, group, progress in people:
        row = rows[citizen_id]
        expected_zalo = for_citizen(text, False, born, group in pupils, year, progress)
        expected_sms = for_citizen(sms_template, True, born, group in pupils, year, progress)
        seg = segments(expected_sms)
        assert (row.text, row.sms_text) == (expected_zalo, expected_sms), (born, group, progress)
        assert (row.segments, row.encoding) == (seg.count, seg.encoding), expected_sms
        assert row.template_data == {"message": expected_sms}
    # the table covers every address form and every kind of progress
    assert {r.text.split(" ")[0] for r in rows.values()} >= {"Ông/bà", "Em", "Bạn", "Anh/chị", "Bác"} \
        or not text.startswith("{Xung_ho}")
