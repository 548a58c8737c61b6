"""Citizens to send to, made quickly and directly in the database (registered,
consenting, with a Zalo contact and/or a proven phone number), for the delivery tests."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from storage.models import Citizen, Contact, Unit


@dataclass(frozen=True)
class Person:
    citizen_id: int
    zalo: str | None
    phone: str | None


def people(runtime, count: int, now: datetime, unit_code: str = "11953-1",
           wrote_ago: timedelta | None = timedelta(hours=1), phone: bool = True,
           first: int = 0) -> list[Person]:
    """`count` citizens of `unit_code`; a Zalo contact that last wrote `wrote_ago` before
    `now` (None: no Zalo contact); a phone number Zalo confirmed if `phone`."""
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        numbers = [f"+8491{first + i:07d}" if phone else None for i in range(count)]
        rows = [{"name": f"Công dân {first + i}", "birth_year": 1950 + i % 50, "unit_id": unit_id,
                 "target_group": "nguoi_dan", "phone": numbers[i], "phone_verified": phone,
                 "consent": True, "opted_out": False, "registered_at": now - timedelta(days=30),
                 "created_at": now - timedelta(days=30)} for i in range(count)]
        ids = list(session.scalars(insert(Citizen).returning(Citizen.id, sort_by_parameter_order=True),
                                   rows))
        users = [f"77{first + i:014d}" if wrote_ago is not None else None for i in range(count)]
        if wrote_ago is not None:
            session.execute(insert(Contact), [
                {"channel": "zalo", "address": users[i], "citizen_id": ids[i],
                 "last_inbound_at": now - wrote_ago, "status": "active",
                 "created_at": now - timedelta(days=30)} for i in range(count)])
    return [Person(ids[i], users[i], numbers[i]) for i in range(count)]
