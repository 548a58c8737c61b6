"""The unit tree with its counts: citizens registered, completed and passed, each unit's
figure covering its whole subtree.

Two queries whatever the size of the tree: the units of the subtree, and the citizens
grouped by their unit (with this period's assessment). The roll-up is done here, in
Python, by walking each unit's path: `roll_up` is a plain function of those rows."""

from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select

from storage.models import Assessment, Citizen, Unit


@dataclass
class Node:
    id: int
    code: str
    name: str
    kind: str
    path: str
    parent_id: int | None
    active: bool = True
    merged_into_id: int | None = None
    registered: int = 0
    completed: int = 0
    passed: int = 0
    children: list["Node"] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


def _units(session, scope: str | None):
    query = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.path, Unit.parent_id,
                   Unit.active, Unit.merged_into_id)
    if scope is not None:
        query = query.where(Unit.path.startswith(scope, autoescape=True))
    return [Node(*row) for row in session.execute(query.order_by(Unit.path))]


def _counts(session, scope: str | None, period: int):
    """(unit id, registered, completed, passed) per unit of the subtree with citizens."""
    completed = Assessment.status == "completed"
    query = (select(Citizen.unit_id, func.count(),
                    func.sum(case((completed, 1), else_=0)),
                    func.sum(case((and_(completed, Assessment.passed.is_(True)), 1), else_=0)))
             .outerjoin(Assessment, and_(Assessment.citizen_id == Citizen.id,
                                         Assessment.period == period))
             .where(Citizen.registered_at.is_not(None), Citizen.unit_id.is_not(None))
             .group_by(Citizen.unit_id))
    if scope is not None:
        query = query.join(Unit, Unit.id == Citizen.unit_id).where(
            Unit.path.startswith(scope, autoescape=True))
    return session.execute(query).all()


def roll_up(nodes: list[Node], counts, active_only: bool = True) -> list[Node]:
    """Add each unit's own citizens to it and to every ancestor among `nodes`; link
    children (active ones only, unless told). Returns the top nodes (those whose parent
    is not among `nodes`)."""
    by_id = {n.id: n for n in nodes}
    by_path = {n.path: n for n in nodes}
    for unit_id, registered, completed, passed in counts:
        node = by_id.get(unit_id)
        if node is None:
            continue
        cut = 0
        while (cut := node.path.find("/", cut + 1)) != -1:
            above = by_path.get(node.path[:cut + 1])
            if above is not None:
                above.registered += registered
                above.completed += completed or 0
                above.passed += passed or 0
    tops = []
    for node in nodes:
        if active_only and not node.active:
            continue
        parent = by_id.get(node.parent_id)
        (parent.children if parent is not None else tops).append(node)
    return tops


def tree(session, scope: str | None, period: int, active_only: bool = True) -> list[Node]:
    """The subtree's top nodes, each with its children and counts."""
    return roll_up(_units(session, scope), _counts(session, scope, period), active_only)
