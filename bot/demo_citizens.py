"""Demo citizens for trying the console (`flask --app wsgi seed-demo --citizens N`): people
of the demo province at every stage — registered only, half-way, completed, passed,
recognised, returned — with answers as elderly people type them. Deterministic for a
given N; added once (a second run adds nothing). Phone numbers are from the 0900 000 xxx
range, which no operator has assigned."""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from flows.scoring import score
from storage.models import Answer, Assessment, Citizen, Contact, Unit

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý")
MIDDLE_M = ("Văn", "Đức", "Minh", "Quốc", "Xuân", "Hữu")
MIDDLE_F = ("Thị", "Thu", "Ngọc", "Thanh", "Hồng", "Kim")
GIVEN_M = ("An", "Bình", "Cường", "Dũng", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Tám", "Thắng")
GIVEN_F = ("Lan", "Hoa", "Mai", "Hạnh", "Hương", "Liên", "Nga", "Thảo", "Tuyết", "Yến", "Đào")
# how replies look when typed on a feature phone or in Zalo, by option
TYPED = {1: ("1", "mot", "Một", "1 a"), 2: ("2", "hai", "so 2"), 3: ("3", "ba"), 4: ("4", "bon", "ko")}
MARKER = "demo:"   # Zalo ids of demo citizens start with it: how a second run knows


def add_demo_citizens(session, runtime, count: int, now: datetime, officer: str = "demo") -> int:
    if session.scalar(select(func.count()).select_from(Contact).where(Contact.address.startswith(MARKER))):
        return 0
    rng = random.Random(count)
    criteria = runtime.criteria
    units = session.scalars(select(Unit).where(Unit.joinable, Unit.active).order_by(Unit.path)).all()
    # most demo citizens live in the communes that have a Hội branch and a help phone
    busy = [u for u in units if u.help_phone or u.kind == "branch"] or units
    for n in range(count):
        female = rng.random() < 0.55
        name = " ".join((rng.choice(FAMILY), rng.choice(MIDDLE_F if female else MIDDLE_M),
                         rng.choice(GIVEN_F if female else GIVEN_M)))
        group = rng.choice(criteria.groups)
        born = rng.randrange(2008, 2013) if group.pupils else rng.randrange(1940, 2000)
        unit = rng.choice(busy) if rng.random() < 0.8 else rng.choice(units)
        registered = now - timedelta(days=rng.randrange(1, 300), minutes=rng.randrange(600))
        phone = f"+84900{n:06d}" if rng.random() < 0.5 else None
        citizen = Citizen(name=name, birth_year=born, unit_id=unit.id, target_group=group.id,
                          phone=phone, phone_verified=phone is not None, consent=True,
                          opted_out=False, registered_at=registered, created_at=registered)
        session.add(citizen)
        session.flush()
        session.add(Contact(channel="zalo", address=f"{MARKER}{n}", citizen_id=citizen.id,
                            last_inbound_at=registered, created_at=registered))
        if phone and rng.random() < 0.5:
            session.add(Contact(channel="sms", address=phone, citizen_id=citizen.id,
                                last_inbound_at=registered, created_at=registered))
        stage = rng.random()
        if stage < 0.15:
            continue                      # registered, not started
        answered = rng.randrange(1, 10) if stage < 0.35 else len(group.indicators)
        _assess(session, rng, criteria, group, citizen, answered, registered, now, officer)
    return count


def _assess(session, rng, criteria, group, citizen, answered, registered, now, officer) -> None:
    strong = rng.random() < 0.7
    options = {}
    for indicator in group.indicators[:answered]:
        weights = (8, 3, 0.25, 0.05) if strong else (2, 3, 3, 1.5)
        options[indicator.id] = rng.choices(range(1, len(indicator.options) + 1),
                                            weights[:len(indicator.options)])[0]
    started = registered + timedelta(hours=rng.randrange(1, 48))
    finished = min(started + timedelta(days=rng.randrange(0, 20)), now - timedelta(hours=1))
    assessment = Assessment(citizen_id=citizen.id, period=now.year, criteria_set=criteria.id,
                            criteria_version=criteria.version, target_group=group.id,
                            status="in_progress", started_at=started, updated_at=finished)
    session.add(assessment)
    session.flush()
    by_id = {i.id: i for i in group.indicators}
    for indicator_id, option in options.items():
        session.add(Answer(assessment_id=assessment.id, indicator=indicator_id, option=option,
                           points=by_id[indicator_id].options[option - 1].points,
                           raw_text=rng.choice(TYPED.get(option, (str(option),))),
                           answered_at=finished))
    if answered < len(group.indicators):
        return
    result = score(group, criteria.pass_rule, options)
    assessment.status, assessment.total, assessment.passed = "completed", result.total, result.passed
    assessment.competence_points, assessment.completed_at = result.by_competence, finished
    if result.passed and rng.random() < 0.5:
        assessment.decision, assessment.decided_by = "approved", officer
        assessment.decided_at = finished + timedelta(days=rng.randrange(1, 5))
    elif rng.random() < 0.08:
        assessment.decision, assessment.decided_by = "returned", officer
        assessment.decision_reason = "Cần gửi thêm minh chứng cho câu 5."
        assessment.decided_at = finished + timedelta(days=1)
    if assessment.decided_at and assessment.decided_at > now:
        assessment.decided_at = now
