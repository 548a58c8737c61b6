"""Bulk loads for a batch: the rows its events need, in a few statements for the whole
batch instead of several per event (contacts, citizens and their units, conversation
sessions, latest assessments with their answers, the course announcements they may be
answering). On PostgreSQL contacts and citizens are locked here, in id order, as the
per-event path would lock them one by one.

The rows serve the FIRST event of each citizen in the batch; afterwards that citizen
is forgotten and later events query as usual. A row that left the session (a deletion
expunges everything, a failed event's savepoint is rolled back) is never served.
"""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from storage.models import Assessment, Citizen, Contact, ConversationSession, Unit

from ..conversation import offers

_UNKNOWN = object()


class Prefetched:
    def __init__(self, session):
        self.session = session
        self.contacts: dict[tuple[str, str], Contact] = {}
        self.citizens: dict[int, Citizen] = {}
        self.convos: dict[int, ConversationSession | None] = {}
        self.latest: dict[int, Assessment | None] = {}
        self.offers: dict[int, list] = {}   # citizen id → `offers` rows, for any event's `now`

    def _live(self, row):
        return row if row is not None and row in self.session else None

    def contact(self, channel: str, address: str) -> Contact | None:
        return self._live(self.contacts.pop((channel, address), None))

    def locked(self, citizen: Citizen) -> bool:
        """Loaded (and on PostgreSQL locked) in this transaction, unchanged by anyone else."""
        return self._live(self.citizens.get(citizen.id)) is citizen

    def state_rows(self, citizen: Citizen):
        """(conversation, latest assessment, offers) as loaded, or None when not known here."""
        convo = self.convos.get(citizen.id, _UNKNOWN)
        latest = self.latest.get(citizen.id, _UNKNOWN)
        if convo is _UNKNOWN or latest is _UNKNOWN or not self.locked(citizen):
            return None
        if (convo is not None and convo not in self.session) or \
                (latest is not None and latest not in self.session):
            return None
        return convo, latest, self.offers.get(citizen.id, [])

    def new_citizen(self, citizen: Citizen) -> None:
        """A citizen created just now has no conversation or assessment yet."""
        self.citizens[citizen.id], self.convos[citizen.id], self.latest[citizen.id] = citizen, None, None

    def forget(self, citizen_id: int | None) -> None:
        for table in (self.citizens, self.convos, self.latest, self.offers):
            table.pop(citizen_id, None)


def prefetch(session, keys: dict[tuple[str, str], datetime], insert_for) -> Prefetched:
    """Create the contacts that do not exist yet, then load every row the batch needs.
    `keys`: (channel, address) → when its first event arrived (a new contact's created_at)."""
    found = Prefetched(session)
    if not keys:
        return found
    # one executemany of one compiled statement (a multi-row VALUES would compile per size)
    session.execute(insert_for(session)(Contact.__table__)
                    .on_conflict_do_nothing(index_elements=["channel", "address"]),
                    [{"channel": c, "address": a, "created_at": at, "status": "active"}
                     for (c, a), at in sorted(keys.items())])
    contacts = session.scalars(select(Contact).where(
        tuple_(Contact.channel, Contact.address).in_(list(keys)))
        .order_by(Contact.id).with_for_update()).all()
    found.contacts = {(c.channel, c.address): c for c in contacts}
    ids = sorted({c.citizen_id for c in contacts if c.citizen_id})
    if not ids:
        return found
    citizens = session.scalars(select(Citizen).where(Citizen.id.in_(ids))
                               .order_by(Citizen.id).with_for_update()).all()
    found.citizens = {c.id: c for c in citizens}
    units = {c.unit_id for c in citizens if c.unit_id}
    if units:   # into the identity map: citizen.unit is then found without a query
        session.scalars(select(Unit).where(Unit.id.in_(units))).all()
    found.convos = dict.fromkeys(ids)
    for convo in session.scalars(select(ConversationSession)
                                 .where(ConversationSession.citizen_id.in_(ids))):
        found.convos[convo.citizen_id] = convo
    by_citizen = defaultdict(list)
    for row in session.scalars(select(Assessment).where(Assessment.citizen_id.in_(ids))
                               .options(selectinload(Assessment.answers))):
        by_citizen[row.citizen_id].append(row)
    found.latest = {i: max(by_citizen[i], key=lambda a: a.period) if by_citizen[i] else None
                    for i in ids}
    for row in session.execute(offers(ids, min(keys.values()), max(keys.values()))):
        found.offers.setdefault(row.citizen_id, []).append(row)
    return found
