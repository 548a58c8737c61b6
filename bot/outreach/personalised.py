"""Planning a broadcast whose text has placeholders: each recipient's rows rendered with
their own address form and progress (messages_vi/personal.py), CHUNK citizens at a time,
inserted under the same "broadcast:<id>:<citizen>" keys as a plain broadcast."""

from datetime import datetime

from sqlalchemy import func, select

from messages_vi.gsm import segments
from messages_vi.personal import Progress, for_citizen
from storage.models import Answer, Assessment, Broadcast, Citizen

from . import BROADCAST_PRIORITY
from .personal import insert_new
from .recipients import current_period

CHUNK = 1000


def _progress(runtime, assessment: Assessment | None, answered: int) -> Progress:
    if assessment is None:
        return Progress("not_started")
    if assessment.status == "completed":
        return Progress("completed")
    criteria = runtime.criteria_sets.get((assessment.criteria_set, assessment.criteria_version))
    total = len(criteria.group(assessment.target_group).indicators) if criteria else answered
    return Progress("in_progress", max(0, total - answered))


def plan_personal(session, runtime, broadcast: Broadcast, targeted_ids, now: datetime) -> int:
    if runtime is None:
        raise ValueError("a broadcast with placeholders needs the runtime to render them")
    year, pupils = current_period(now), runtime.pupil_groups()
    ids = targeted_ids.subquery()
    planned, after = 0, 0
    while True:
        citizens = session.scalars(select(Citizen).where(Citizen.id.in_(select(ids.c.id)),
                                                         Citizen.id > after)
                                   .order_by(Citizen.id).limit(CHUNK)).all()
        if not citizens:
            return planned
        after = citizens[-1].id
        chunk = [c.id for c in citizens]
        assessments = {a.citizen_id: a for a in session.scalars(select(Assessment).where(
            Assessment.citizen_id.in_(chunk), Assessment.period == year))}
        answered = dict(session.execute(
            select(Answer.assessment_id, func.count()).where(
                Answer.assessment_id.in_([a.id for a in assessments.values()]))
            .group_by(Answer.assessment_id)).all())
        rows = []
        for citizen in citizens:
            assessment = assessments.get(citizen.id)
            progress = _progress(runtime, assessment,
                                 answered.get(assessment.id, 0) if assessment else 0)
            pupil = citizen.target_group in pupils

            def render(text, sms):
                return for_citizen(text, sms, citizen.birth_year, pupil, year, progress)
            zalo, sms = render(broadcast.text, False), render(broadcast.sms_text, True)
            seg = segments(sms)
            rows.append({
                "citizen_id": citizen.id, "broadcast_id": broadcast.id, "channel": "auto",
                "provider": "auto", "address": "", "text": zalo, "sms_text": sms,
                "template_data": {"message": sms}, "segments": seg.count,
                "encoding": seg.encoding, "kind": "broadcast", "priority": BROADCAST_PRIORITY,
                "status": "queued", "attempts": 0, "next_attempt_at": now, "tried": "",
                "dedup_key": f"broadcast:{broadcast.id}:{citizen.id}",
                "created_at": now, "updated_at": now})
        planned += insert_new(session, rows)
