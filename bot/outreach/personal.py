"""Outbox rows rendered for one citizen (reminders, course reminders): both forms of
the catalog message, addressed as the citizen is (bác, anh/chị, em…), inserted with
their dedup keys so that planning twice adds nothing."""

from datetime import datetime

from messages_vi.gsm import segments
from messages_vi.render import Recipient
from storage.db import insert_for
from storage.models import Citizen, Outbox

from .recipients import current_period


def personal_row(runtime, citizen: Citizen, key: str, params: dict, kind: str, priority: int,
                 dedup_key: str, now: datetime, template: dict | None = None) -> dict:
    recipient = Recipient(citizen.birth_year, citizen.target_group in runtime.pupil_groups(),
                          current_period(now))
    zalo = runtime.catalog.render(key, params, "zalo", recipient)
    sms = runtime.catalog.render(key, params, "sms", recipient)
    seg = segments(sms)
    return {"citizen_id": citizen.id, "channel": "auto", "provider": "auto", "address": "",
            "text": zalo, "sms_text": sms, "template_data": template, "segments": seg.count,
            "encoding": seg.encoding, "kind": kind, "priority": priority, "status": "queued",
            "attempts": 0, "next_attempt_at": now, "tried": "", "dedup_key": dedup_key,
            "created_at": now, "updated_at": now}


def insert_new(session, rows: list[dict]) -> int:
    """Insert the rows whose dedup key is new; returns how many were."""
    if not rows:
        return 0
    result = session.execute(insert_for(session)(Outbox).values(rows)
                             .on_conflict_do_nothing(index_elements=["dedup_key"])
                             .returning(Outbox.id))
    return len(result.all())
