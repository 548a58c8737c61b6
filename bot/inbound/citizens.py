"""Who wrote: the contact's citizen, and joining two records of one person."""

import logging
from datetime import datetime

from sqlalchemy import delete, func, select, update

from flows import effects as fx
from flows.engine import Inbound, step
from flows.phone import to_e164
from storage.models import Answer, Assessment, Citizen, Contact
from webhooks.contract import InboundMessage

from ..conversation import load_state

log = logging.getLogger(__name__)


def sms_phone(channel: str, address: str) -> str | None:
    """The sender's own number, when the channel proves it (an SMS from a real number)."""
    return address if channel == "sms" and to_e164(address) == address else None


def citizen_for(session, contact: Contact, now: datetime, cache=None) -> tuple[Citizen, bool]:
    """The contact's citizen; a new SMS number joins the citizen registered with it."""
    if contact.citizen is not None:
        return contact.citizen, False
    phone = sms_phone(contact.channel, contact.address)
    if phone:
        owners = session.scalars(select(Citizen).where(Citizen.phone == phone,
                                                       Citizen.phone_verified.is_(True),
                                                       Citizen.registered_at.is_not(None))
                                 .limit(2)).all()
        if len(owners) == 1:
            contact.citizen = owners[0]
            return owners[0], True
    # The number is the citizen's only once they consent (the engine saves it then).
    citizen = Citizen(created_at=now, opted_out=False)
    session.add(citizen)
    contact.citizen = citizen
    session.flush()
    if cache is not None:
        cache.new_citizen(citizen)
    return citizen, False


def phone_owner(session, citizen: Citizen, effects) -> Citizen | None:
    """Another registered citizen with the phone Zalo just confirmed for this one."""
    phones = [e.changes["phone"] for e in effects
              if isinstance(e, fx.SaveProfile) and e.changes.get("phone")]
    if not phones:
        return None
    owners = session.scalars(select(Citizen).where(
        Citizen.phone == phones[-1], Citizen.id != citizen.id, Citizen.phone_verified.is_(True),
        Citizen.registered_at.is_not(None)).limit(2)).all()
    if len(owners) != 1 or session.scalar(       # never two candidates, never lose answers
            select(func.count()).select_from(Answer).join(Assessment)
            .where(Assessment.citizen_id == citizen.id)):
        return None
    return owners[0]


def join(session, script, citizen: Citizen, owner: Citizen, message: InboundMessage,
         now: datetime):
    """Move this citizen's contacts to `owner` (known by the same phone, confirmed by
    Zalo), drop the newer record, and tell the citizen where they are."""
    log.info("citizen %s joins citizen %s by a Zalo-confirmed phone", citizen.id, owner.id)
    session.execute(update(Contact).where(Contact.citizen_id == citizen.id)
                    .values(citizen_id=owner.id))
    session.flush()
    session.execute(delete(Citizen).where(Citizen.id == citizen.id))
    session.expire_all()
    owner = session.get(Citizen, owner.id, with_for_update=True)   # its own SMS may be in flight
    state, convo, _ = load_state(session, owner, now)
    new_state, effects = step(script, state, Inbound("", message.channel, kind="linked"), now)
    convo.position, convo.updated_at = new_state.position.to_json(), now
    return owner, new_state, [e for e in effects if isinstance(e, fx.Send)]
