"""Small database look-ups the test files share."""

import itertools

from sqlalchemy import func, select

from storage.models import Citizen, Contact, InboundEvent, Outbox

EMPTY = {"inbound_events": 0, "contacts": 0, "citizens": 0, "outbox": 0}


def count(runtime, model, *where) -> int:
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def table_counts(runtime) -> dict:
    """Rows in the tables an inbound message writes; EMPTY when nothing was stored."""
    return {m.__tablename__: count(runtime, m) for m in (InboundEvent, Contact, Citizen, Outbox)}


def outbox(runtime, *where) -> list[Outbox]:
    with runtime.db.read() as session:
        return session.scalars(select(Outbox).where(*where).order_by(Outbox.id)).all()


def counters(app) -> dict:
    return app.test_client().get("/healthz").get_json()["counters"]


_numbers = itertools.count(5_000_000)     # 0915000000 on: no test writes one by hand


def new_phone() -> str:
    """A mobile number no other test in this run has used, in a range Vietnam really
    issues (091, Vinaphone). A random 09xxxxxxxx falls in 0992, which phonenumbers
    rightly refuses, one time in a hundred, and the bot does not answer an unusable
    sender: that made a registration test fail in CI once in a few runs."""
    return f"091{next(_numbers) % 10**7:07d}"
