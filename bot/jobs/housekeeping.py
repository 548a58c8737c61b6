"""Jobs that keep the machinery healthy rather than message anyone."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from storage.models import ConversationSession, InboundEvent

from ..delivery.recovery import sweep
from ..tokens import keep_fresh

log = logging.getLogger(__name__)
# what an expired session forgets: a question asked outside the flow ("delete
# everything?"), a list of units offered, a correction under way
FORGOTTEN = ("pending", "candidates", "query", "return_to", "fails")


def expire_sessions(runtime, now: datetime) -> str:
    """Sessions idle past CDHT_SESSION_EXPIRY_DAYS forget their open question, so a "CÓ"
    weeks later confirms nothing; where they were in the flow stays, and the next
    message offers to resume (the engine's own check, flows/engine.py, agrees)."""
    cutoff = now - timedelta(days=runtime.settings.session_expiry_days)
    expired = 0
    with runtime.db.transaction() as session:
        for convo in session.scalars(select(ConversationSession).where(
                ConversationSession.updated_at < cutoff)):
            position = dict(convo.position or {})
            if any(position.get(k) for k in FORGOTTEN):
                for key in FORGOTTEN:
                    position.pop(key, None)
                convo.position = position
                expired += 1
    return f"{expired} idle session(s) closed their open question"


def sweeper(runtime, now: datetime) -> str:
    """Sends whose lease ran out are settled (bot/delivery/recovery.py); inbound events
    parked after every try are counted loudly: each is a citizen waiting for an answer."""
    swept = sweep(runtime, now)
    with runtime.db.read() as session:
        parked, oldest = session.execute(select(func.count(), func.min(InboundEvent.received_at))
                                         .where(InboundEvent.status == "failed")).one()
    if parked:
        log.warning("%s inbound event(s) parked as failed, the oldest from %s: "
                    "flask --app wsgi inbound failed", parked, oldest)
    return f"sends in doubt: {swept}; parked inbound events: {parked}"


def zalo_token(runtime, now: datetime) -> str:
    keep_fresh(runtime)
    return "checked"
