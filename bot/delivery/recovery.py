"""Rows left "sending" past their lease: the worker died mid-send, or a request timed
out after it may have reached the provider. Sending again blindly could give a citizen
the same message twice, so each is settled first:

- Zalo CS: the conversation with the user is read (Channel.reconcile); the message is
  there → "sent"; not there → queued again. When the conversation cannot be read just
  now (a timeout, an error on Zalo's side), the row waits a lease and is asked again,
  for up to ASK_AGAIN_FOR after the send began: guessing would risk sending it twice.
  Only past that is it queued again, and may arrive twice;
- SMSGate: the gateway keys messages by our id, so sending again cannot make a second
  SMS (`idempotent`): queued again;
- Kannel and ZNS cannot be asked by our id: queued again. For them, and only for the few
  requests in flight when a worker died, a citizen may get a message twice; the attempt
  is recorded as "in_doubt" so it can be counted.

On SQLite the one active worker also settles every "sending" row when it starts (no
other worker can hold them); on PostgreSQL the lease decides (CDHT_SEND_LEASE).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from storage.models import Contact, Outbox
from webhooks.contract import ChannelError, SendResult

from .claim import message_of, note_attempt

log = logging.getLogger(__name__)
BATCH = 200
CANNOT_TELL = object()
ASK_AGAIN_FOR = timedelta(minutes=30)   # how long a provider that cannot be asked now is waited for


@dataclass
class Swept:
    found: int = 0       # in doubt, and the provider has it: sent
    resent: int = 0      # queued again
    unsettled: int = 0   # the provider could not be asked now; asked again later

    def __str__(self) -> str:
        return f"{self.found} found sent, {self.resent} queued again, {self.unsettled} to ask later"


def _take(runtime, now: datetime, everything: bool, after: int
          ) -> list[tuple[int, int, str, object, datetime]]:
    lease = timedelta(seconds=runtime.settings.send_lease)
    with runtime.db.transaction() as session:
        query = select(Outbox).where(Outbox.status == "sending", Outbox.id > after)
        if not everything:
            query = query.where(or_(Outbox.lease_until < now, Outbox.lease_until.is_(None)))
        query = query.order_by(Outbox.id).limit(BATCH)
        if not runtime.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        last = dict(session.execute(select(Contact.id, Contact.last_inbound_at).where(
            Contact.id.in_({r.contact_id for r in rows if r.contact_id}))).all())
        taken = []
        for row in rows:
            since = row.updated_at - timedelta(seconds=runtime.settings.provider_timeout)
            row.lease_until = now + lease   # ours while we ask
            taken.append((row.id, row.attempts, row.provider,
                          message_of(row, last.get(row.contact_id)), since))
        return taken


def sweep(runtime, now: datetime, everything: bool = False) -> Swept:
    """Settle the rows whose lease ran out (`everything`: every "sending" row)."""
    swept, after = Swept(), 0
    while True:
        taken = _take(runtime, now, everything, after)
        if not taken:
            return swept
        after = taken[-1][0]
        decisions = []
        for outbox_id, attempts, provider, message, since in taken:
            channel = runtime.channels.get(provider)
            reconcile = getattr(channel, "reconcile", None)
            try:
                found = reconcile(message, since) if reconcile else CANNOT_TELL
            except ChannelError as exc:
                if exc.retry and exc.hold:   # our side is not ready (no token): ask later
                    decisions.append((outbox_id, attempts, "unsettled", str(exc)))
                    continue
                if exc.retry and now - since < ASK_AGAIN_FOR:   # Zalo's side: ask later too
                    decisions.append((outbox_id, attempts, "unsettled", f"cannot ask now ({exc})"))
                    continue
                found = (f"could not ask for {ASK_AGAIN_FOR // timedelta(minutes=1)} minutes ({exc})"
                         if exc.retry else CANNOT_TELL)
            if isinstance(found, SendResult):
                decisions.append((outbox_id, attempts, "found", found.provider_message_id))
            elif found is None:
                decisions.append((outbox_id, attempts, "resend", "not at the provider: queued again"))
            elif getattr(channel, "idempotent", False):
                decisions.append((outbox_id, attempts, "resend",
                                  f"queued again; {provider} keys messages by our id"))
            else:
                why = found if isinstance(found, str) else f"{message.channel} cannot be asked"
                decisions.append((outbox_id, attempts, "resend",
                                  f"{why}: queued again, it may arrive twice"))
        _settle(runtime, decisions, now, swept)
        if len(taken) < BATCH:
            return swept


def _settle(runtime, decisions, now: datetime, swept: Swept) -> None:
    with runtime.db.transaction() as session:
        for outbox_id, attempts, decision, detail in decisions:
            row = session.get(Outbox, outbox_id, with_for_update=True)
            if row is None or row.status != "sending" or row.attempts != attempts:
                continue
            if decision != "unsettled":   # an unsettled row keeps the send's time: its `since`
                row.updated_at = now
            if decision == "found":
                row.status, row.sent_at, row.error, row.lease_until = "sent", now, None, None
                row.provider_message_id = detail if detail != "found" else row.provider_message_id
                outcome, swept.found = "found", swept.found + 1
            elif decision == "resend":
                give_up = row.attempts >= runtime.settings.max_attempts
                row.status, row.next_attempt_at, row.lease_until = (
                    "failed" if give_up else "queued"), now, None
                if give_up:
                    row.error = f"gave up after {row.attempts} tries, the last one in doubt"
                outcome, swept.resent = "in_doubt", swept.resent + (not give_up)
            else:
                row.lease_until = now + timedelta(seconds=runtime.settings.send_lease)
                outcome, swept.unsettled = "in_doubt", swept.unsettled + 1
            note_attempt(session, row, now, outcome, detail)
            log.info("outbox %s in doubt: %s", outbox_id, detail)
