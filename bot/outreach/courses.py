"""The reminder the day before a course, to the citizens who said they will come
(course_signups: their "1" to the announcement, read by flows/courses.py).
Keyed "course:<course>:<citizen>:eve": the job may run every hour of that day."""

from datetime import datetime, time, timedelta

from sqlalchemy import not_, select

from messages_vi.render import TIMEZONE
from storage.models import Citizen, Course, CourseSignup

from . import REMINDER_PRIORITY
from .personal import insert_new, personal_row


def plan_course_reminders(runtime, now: datetime) -> int:
    tomorrow = now.astimezone(TIMEZONE).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), TIMEZONE)
    planned = 0
    with runtime.db.transaction() as session:
        courses = session.scalars(select(Course).where(
            Course.starts_at >= start, Course.starts_at < start + timedelta(days=1))).all()
        for course in courses:
            coming = session.scalars(
                select(Citizen).join(CourseSignup, CourseSignup.citizen_id == Citizen.id)
                .where(CourseSignup.course_id == course.id, CourseSignup.coming,
                       not_(Citizen.opted_out), Citizen.consent.is_not(False))).all()
            params = {"title": course.title, "place": course.place, "start": course.starts_at}
            planned += insert_new(session, [
                personal_row(runtime, citizen, "course.reminder", params, "course",
                             REMINDER_PRIORITY, f"course:{course.id}:{citizen.id}:eve", now,
                             template={"title": course.title, "place": course.place,
                                       "start": course.starts_at.astimezone(TIMEZONE)
                                       .strftime("%H:%M %d/%m/%Y")})
                for citizen in coming])
    return planned
