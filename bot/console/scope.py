"""What an officer may see: the subtree of their unit, or everything for an admin.

Every query of the console goes through one of these filters; a unit, citizen or
assessment outside the scope is answered 404, the same as one that does not exist, so
guessing ids tells nothing."""

from dataclasses import dataclass

from flask import abort
from sqlalchemy import select

from storage.models import Assessment, Citizen, Officer, Unit


MAX_ID = 2**31 - 1   # the largest id a column holds: a bigger number names nothing


def valid_id(value: int | None) -> bool:
    return value is not None and 0 < value <= MAX_ID


@dataclass(frozen=True)
class Scope:
    path: str | None          # the unit's path ("/33/12364/"); None: everything
    unit_id: int | None

    @classmethod
    def of(cls, officer: Officer) -> "Scope":
        if officer.role == "admin":
            return cls(None, None)
        return cls(officer.unit.path, officer.unit_id)

    @property
    def everything(self) -> bool:
        return self.path is None

    def covers(self, unit: Unit | None) -> bool:
        if self.path is None:
            return True
        return unit is not None and unit.path.startswith(self.path)

    def units(self, query):
        """`query` (selecting from units) narrowed to the subtree."""
        if self.path is None:
            return query
        return query.where(Unit.path.startswith(self.path, autoescape=True))

    def citizens(self, query):
        """`query` (selecting from citizens) narrowed to citizens of the subtree. A
        citizen with no unit yet is an admin's only."""
        if self.path is None:
            return query
        return query.where(Citizen.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(self.path, autoescape=True))))

    def unit_or_404(self, session, code: str) -> Unit:
        unit = session.scalars(select(Unit).where(Unit.code == code)).first()
        if unit is None or not self.covers(unit):
            abort(404)
        return unit

    def citizen_or_404(self, session, citizen_id: int) -> Citizen:
        citizen = session.get(Citizen, citizen_id) if valid_id(citizen_id) else None
        if citizen is None or (self.path is not None and not self.covers(citizen.unit)):
            abort(404)
        return citizen

    def assessment_or_404(self, session, assessment_id: int) -> Assessment:
        assessment = session.get(Assessment, assessment_id) if valid_id(assessment_id) else None
        if assessment is None:
            abort(404)
        self.citizen_or_404(session, assessment.citizen_id)
        return assessment

    def owned_or_404(self, session, model, row_id: int | None):
        """A broadcast, course or campaign (anything with a `unit`) of the subtree."""
        row = session.get(model, row_id) if valid_id(row_id) else None
        if row is None or not self.covers(row.unit):
            abort(404)
        return row

    def sees_phone_of(self, citizen: Citizen) -> bool:
        """Phone numbers are shown in full only to the officers of the citizen's own unit."""
        return self.unit_id is not None and citizen.unit_id == self.unit_id
