"""Courses of the community learning centres, apart from HTTP: the form read and checked
(the unit within the officer's scope, the indicators from the criteria), the default
announcement text, and who answered an announcement."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from messages_vi.render import TIMEZONE
from storage.models import Citizen, Course, CourseSignup, Unit


MAX_TITLE, MAX_PLACE = 200, 200


class BadCourse(ValueError):
    """What is wrong with the form, in Vietnamese."""


def indicator_names(criteria_sets, current) -> dict[str, str]:
    """Indicator id → its short name, the current criteria's first; one id may be shared
    by several target groups (the same skill asked of each)."""
    names: dict[str, str] = {}
    for criteria in [current, *criteria_sets.values()]:
        for group in criteria.groups:
            for indicator in group.indicators:
                names.setdefault(indicator.id, indicator.short)
    return names


def _moment(raw: str, what: str) -> datetime:
    try:
        local = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise BadCourse(f"{what} không hợp lệ (ngày/tháng/năm giờ:phút).") from None
    return local.replace(tzinfo=TIMEZONE) if local.tzinfo is None else local


@dataclass(frozen=True)
class CourseForm:
    unit: Unit
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    indicators: list[str]


def read_course(form, session, scope, known: dict[str, str], now: datetime) -> CourseForm:
    code = (form.get("unit") or "").strip()
    unit = session.scalars(select(Unit).where(Unit.code == code)).first() if code else None
    if unit is None or not scope.covers(unit):
        raise BadCourse("Hãy chọn một đơn vị trong phạm vi của anh/chị.")
    title, place = (" ".join((form.get(k) or "").split()) for k in ("title", "place"))
    if not title or len(title) > MAX_TITLE:
        raise BadCourse(f"Hãy đặt tên khoá học (tối đa {MAX_TITLE} ký tự).")
    if not place or len(place) > MAX_PLACE:
        raise BadCourse(f"Hãy ghi địa điểm (tối đa {MAX_PLACE} ký tự).")
    starts, ends = _moment(form.get("starts_at"), "Giờ bắt đầu"), _moment(form.get("ends_at"), "Giờ kết thúc")
    if ends <= starts:
        raise BadCourse("Giờ kết thúc phải sau giờ bắt đầu.")
    if ends - starts > timedelta(days=366):
        raise BadCourse("Một khoá học kéo dài tối đa một năm.")
    indicators = form.getlist("indicators") if hasattr(form, "getlist") else form.get("indicators", [])
    if not indicators:
        raise BadCourse("Hãy chọn ít nhất một chỉ số mà khoá học giúp nâng lên.")
    if unknown := [i for i in indicators if i not in known]:
        raise BadCourse("Chỉ số không có trong bộ tiêu chí: " + ", ".join(unknown))
    return CourseForm(unit, title, place, starts, ends, list(dict.fromkeys(indicators)))


def save(session, course: Course | None, data: CourseForm, officer: str, now: datetime) -> Course:
    if course is None:
        course = Course(created_by=officer, created_at=now)
        session.add(course)
    course.unit_id, course.title, course.place = data.unit.id, data.title, data.place
    course.starts_at, course.ends_at, course.indicators = data.starts_at, data.ends_at, data.indicators
    course.updated_at = now
    session.flush()
    return course


def announcement_text(course: Course, criteria=None) -> str:
    """The composer's first draft: what, where, when, and how to answer — short, so that
    with an ordinary title and place its SMS form fits one message (the composer warns
    when it does not)."""
    start = course.starts_at.astimezone(TIMEZONE)
    end = course.ends_at.astimezone(TIMEZONE)
    when = f"{start:%H:%M}–{end:%H:%M} ngày {start:%d/%m}" if end.date() == start.date() \
        else f"từ {start:%H:%M %d/%m} đến {end:%d/%m}"
    return (f"{{Xung_ho}} ơi, lớp “{course.title}” tại {course.place}, {when}. "
            "Trả lời 1 nếu {xung_ho} sẽ đến, 0 nếu không đến.")


@dataclass(frozen=True)
class Signup:
    citizen_id: int
    name: str
    unit: str
    coming: bool
    answered_at: datetime
    raw_text: str


def signups(session, course: Course, scope) -> list[Signup]:
    """Who answered, newest first; only citizens the officer may see."""
    query = scope.citizens(select(CourseSignup, Citizen, Unit)
                           .join(Citizen, Citizen.id == CourseSignup.citizen_id)
                           .join(Unit, Unit.id == Citizen.unit_id, isouter=True)
                           .where(CourseSignup.course_id == course.id))
    return [Signup(c.id, c.name or "(chưa có tên)", u.name if u else "", s.coming, s.answered_at,
                   s.raw_text or "")
            for s, c, u in session.execute(query.order_by(CourseSignup.answered_at.desc()))]
