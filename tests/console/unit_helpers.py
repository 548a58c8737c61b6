"""What the unit tests share: a page read as text, the audit entries of an action, and a
citizen registering through the real conversation (read back what we print)."""

import html
import re
import uuid

from sqlalchemy import select

from bot.inbound import receive
from storage.models import AuditEntry, Citizen, Contact
from tests.helpers import new_phone
from webhooks.contract import InboundMessage

from .conftest import NOW

GROUP_QUESTION = "thuoc nhom nao?"     # registration's next question, on SMS


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def audit(runtime, action: str) -> list[AuditEntry]:
    with runtime.db.read() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                               .order_by(AuditEntry.id)).all()


def registers_to(runtime, *texts: str) -> str | None:
    """A new citizen sends `texts` by SMS ("DK 9001", consent, name and year by default
    after the first); the unit they are registered to once asked for their group."""
    if len(texts) == 1:
        texts = (texts[0], "co", "Nguyen Van An 1960")
    sender = new_phone()
    replies = []
    for text in texts:
        message = InboundMessage("console", uuid.uuid4().hex, "sms", sender, text)
        replies = [r.text for r in receive(runtime, message, NOW).replies]
    assert GROUP_QUESTION in replies[-1], replies
    with runtime.db.read() as session:
        contact = session.scalars(select(Contact).where(Contact.address == f"+84{sender[1:]}")).one()
        citizen = session.get(Citizen, contact.citizen_id)
        return citizen.unit.code if citizen.unit else None
