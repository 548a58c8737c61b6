"""Courses in the console: creating and editing one (checked, within the scope), the
announcement matched to those weak on its indicators — explained on the preview — and
the list of who said they will come."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from storage.models import Answer, Assessment, AuditEntry, Broadcast, Course, CourseSignup, Outbox, Unit

from .conftest import add_citizen

FULL = [10] * 10
PHONE_AT = 4     # "dien_thoai" (Dùng điện thoại thông minh) in nguoi_dan's order
LANGUAGE_AT = 5  # "ngoai_ngu" (Hiểu vài từ nước ngoài)


def with_points(**at):
    points = list(FULL)
    for index, value in at.items():
        points[int(index.removeprefix("i"))] = value
    return points


def course_form(**more):
    return {"unit": "9001", "title": "Dùng điện thoại thông minh cho người cao tuổi",
            "place": "Trung tâm học tập cộng đồng xã An Bình", "starts_at": "2027-01-10T08:00",
            "ends_at": "2027-01-10T10:30", "indicators": ["dien_thoai", "ngoai_ngu"], **more}


def make_course(runtime, unit="9001", indicators=("dien_thoai", "ngoai_ngu"), days=5) -> int:
    now = datetime.now(timezone.utc)
    with runtime.db.transaction() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
        course = Course(unit_id=unit_id, title="Dùng điện thoại thông minh", place="Nhà văn hoá thôn Đông",
                        starts_at=now + timedelta(days=days), ends_at=now + timedelta(days=days, hours=2),
                        indicators=list(indicators), created_at=now)
        session.add(course)
        session.flush()
        return course.id


def test_an_officer_creates_and_edits_a_course(runtime, client_as, officers):
    client = client_as("xa")
    assert "Dùng điện thoại thông minh" in client.get("/admin/courses/new").get_data(as_text=True)
    created = client.post_form("/admin/courses", course_form())
    assert created.status_code == 303
    course_id = int(created.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/admin/courses/{course_id}").get_data(as_text=True)
    assert "Trung tâm học tập cộng đồng xã An Bình" in page and "10/01/2027 08:00" in page
    assert "Hiểu vài từ nước ngoài" in page
    edited = client.post_form(f"/admin/courses/{course_id}", course_form(place="Nhà văn hoá thôn Đông",
                                                                        indicators=["dien_thoai"]))
    assert edited.status_code == 303
    with runtime.db.read() as session:
        course = session.get(Course, course_id)
        assert (course.place, course.indicators, course.created_by) == ("Nhà văn hoá thôn Đông", ["dien_thoai"], "xa")
        assert course.starts_at == datetime(2027, 1, 10, 1, 0, tzinfo=timezone.utc)   # 08:00 in Vietnam
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["course.create", "course.update"]
    assert "Nhà văn hoá thôn Đông" in client.get("/admin/courses").get_data(as_text=True)
    form = client.get(f"/admin/courses/{course_id}/edit").get_data(as_text=True)
    assert 'value="2027-01-10T08:00"' in form


@pytest.mark.parametrize("change, message", [
    ({"title": " "}, "tên khoá học"),
    ({"place": ""}, "địa điểm"),
    ({"ends_at": "2027-01-10T07:00"}, "Giờ kết thúc phải sau"),
    ({"starts_at": "mai"}, "Giờ bắt đầu không hợp lệ"),
    ({"indicators": []}, "ít nhất một chỉ số"),
    ({"indicators": ["bay_may_bay"]}, "bay_may_bay"),
    ({"unit": "9101"}, "phạm vi"),
    ({"unit": "90"}, "phạm vi"),
])
def test_a_course_form_with_a_mistake_says_what(runtime, client_as, officers, change, message):
    page = client_as("xa").post_form("/admin/courses", course_form(**change))
    assert page.status_code == 400 and message in page.get_data(as_text=True)
    with runtime.db.read() as session:
        assert session.scalars(select(Course)).all() == []


@pytest.fixture
def learners(runtime, officers):
    """9001's citizens by what their latest assessment says about the phone and language."""
    made = {
        "phone_low": add_citizen(runtime, "9001", "Điểm Thấp", points=with_points(i4=4)),
        "phone_lowest": add_citizen(runtime, "9001", "Thấp Nhất", points=with_points(i4=7)),
        "language": add_citizen(runtime, "9001", "Ngoại Ngữ", points=with_points(i4=7, i5=4)),
        "strong": add_citizen(runtime, "9001", "Giỏi Cả", points=FULL),
        "new": add_citizen(runtime, "9001", "Chưa Làm"),
        "halfway": add_citizen(runtime, "9001-1", "Đang Làm", points=with_points(i4=0), answered=5),
        "improved": add_citizen(runtime, "9001", "Đã Tiến Bộ", points=FULL),
        "outsider": add_citizen(runtime, "9101", "Ngoài Phạm Vi", points=with_points(i4=0)),
    }
    # "improved" was weak on the phone last year; only the latest assessment counts
    with runtime.db.transaction() as session:
        old = Assessment(citizen_id=made["improved"].citizen_id, period=2025, criteria_set="cdht-2023",
                         criteria_version=runtime.criteria.version, target_group="nguoi_dan",
                         status="completed", total=60, passed=False,
                         started_at=datetime(2025, 5, 1, tzinfo=timezone.utc),
                         updated_at=datetime(2025, 5, 1, tzinfo=timezone.utc))
        session.add(old)
        session.flush()
        session.add(Answer(assessment_id=old.id, indicator="dien_thoai", option=4, points=0,
                           raw_text="chua biet", answered_at=datetime(2025, 5, 1, tzinfo=timezone.utc)))
    return {k: p.citizen_id for k, p in made.items()}


def test_the_announcement_goes_first_to_those_weak_on_the_courses_indicators(runtime, client_as, learners):
    course_id = make_course(runtime)
    client = client_as("xa")
    composer = client.get(f"/admin/broadcasts/new?course={course_id}").get_data(as_text=True)
    assert "Trả lời 1 nếu {xung_ho} sẽ đến, 0 nếu không đến." in composer
    assert re.search(r'name="weak_only" value="1"\s+checked', composer)
    text = re.search(r'<textarea id="text"[^>]*>([^<]+)</textarea>', composer).group(1)
    form = {"unit": "9001", "text": text.replace("&#34;", '"'), "course": str(course_id),
            "weak_only": "1", "status": "all", "key": "course-1"}
    html = client.post_form("/admin/broadcasts/preview", form).get_data(as_text=True)
    # weak on the phone: the one under 5, the one whose lowest it is, the one halfway
    # (0 points); on a foreign language: the one with 4 there. Not: full marks, no
    # assessment, last year's weakness, another province.
    assert "<b>3</b> người yếu ở chỉ số “Dùng điện thoại thông minh”" in html
    assert "<b>1</b> người yếu ở chỉ số “Hiểu vài từ nước ngoài”" in html
    assert "Trong 7 người thuộc phạm vi đã chọn" in html
    assert re.search(r'id="recipients">4<', html)
    everyone = client.post_form("/admin/broadcasts/preview", {**form, "weak_only": ""}).get_data(as_text=True)
    assert re.search(r'id="recipients">7<', everyone)
    sent = client.post_form("/admin/broadcasts", form)
    assert sent.status_code == 303
    with runtime.db.read() as session:
        broadcast = session.scalars(select(Broadcast)).one()
        assert (broadcast.course_id, broadcast.weak_only) == (course_id, True)
        got = set(session.scalars(select(Outbox.citizen_id).where(Outbox.broadcast_id == broadcast.id)))
        rows = session.scalars(select(Outbox).where(Outbox.broadcast_id == broadcast.id)).all()
    assert got == {learners[k] for k in ("phone_low", "phone_lowest", "language", "halfway")}
    assert all(r.text.startswith("Bác ơi, lớp “Dùng điện thoại thông minh” tại Nhà văn hoá thôn Đông, ")
               for r in rows)
    assert all(r.sms_text.endswith("Tra loi 1 neu bac se den, 0 neu khong den.") and r.segments == 1
               for r in rows)
    assert f"/admin/broadcasts/{broadcast.id}" in client.get(f"/admin/courses/{course_id}").get_data(as_text=True)


def test_an_announcement_cannot_reach_beyond_the_courses_area(runtime, client_as, learners):
    course_id = make_course(runtime, unit="9001-1")
    page = client_as("tinh").post_form("/admin/broadcasts/preview", {
        "unit": "90", "text": "Mời học", "course": str(course_id), "status": "all"})
    assert page.status_code == 400 and "địa bàn của khoá" in page.get_data(as_text=True)


def test_the_course_page_lists_who_answered(runtime, client_as, learners):
    course_id = make_course(runtime)
    now = datetime.now(timezone.utc)
    with runtime.db.transaction() as session:
        session.add_all([
            CourseSignup(course_id=course_id, citizen_id=learners["phone_low"], coming=True,
                         answered_at=now, raw_text="1"),
            CourseSignup(course_id=course_id, citizen_id=learners["language"], coming=False,
                         answered_at=now - timedelta(hours=1), raw_text="ko a"),
            CourseSignup(course_id=course_id, citizen_id=learners["halfway"], coming=True,
                         answered_at=now - timedelta(hours=2), raw_text="Có")])
    page = client_as("xa").get(f"/admin/courses/{course_id}").get_data(as_text=True)
    assert '<span id="coming">2</span> người sẽ đến, 1 người không đến' in page
    assert page.index("Điểm Thấp") < page.index("Ngoại Ngữ") < page.index("Đang Làm")
    assert "ko a" in page
    branch = client_as("chihoi").get(f"/admin/courses/{course_id}")
    assert branch.status_code == 404      # a course of the commune is not the branch's
