"""Small database look-ups the test files share."""

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
