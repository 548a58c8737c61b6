"""A hand-made population for the dashboard and report tests, with its figures worked out
by hand (not by the code under test).

    9001 Xã An Bình        A passed (awaiting), B fails one indicator, C 4 answers,
                           D not started
      9001-1 Chi hội       E recognised, F approved then completed again (awaiting),
                           G fails the total, returned
    9002 Xã Bình Minh      H passed (nguoi_lao_dong), I not started, L assessed in 2025 only,
                           M never finished registering (not counted)
    9101 (other province)  K recognised: nobody of 90 may see it
"""

from datetime import timedelta

from sqlalchemy import update

from storage.models import Assessment, Citizen

from .conftest import FAIL_LOW, FAIL_TOTAL, NOW, PASS, add_citizen

PERIOD = 2026


def decide(runtime, assessment_id: int, decision: str, at, by: str = "xa") -> None:
    with runtime.db.transaction() as session:
        session.execute(update(Assessment).where(Assessment.id == assessment_id).values(
            decision=decision, decided_at=at, decided_by=by,
            decision_reason="Thiếu minh chứng" if decision == "returned" else None))


def populate(runtime) -> dict:
    people = {
        "A": add_citizen(runtime, "9001", "Nguyễn Văn An", points=PASS),
        "B": add_citizen(runtime, "9001", "Trần Thị Bình", points=FAIL_LOW),
        "C": add_citizen(runtime, "9001", "Lê Văn Cường", points=PASS, answered=4),
        "D": add_citizen(runtime, "9001", "Phạm Thị Dung"),
        "E": add_citizen(runtime, "9001-1", "Hoàng Văn Em <b>&</b>", points=PASS, birth_year=1970),
        "F": add_citizen(runtime, "9001-1", "Vũ Thị Phương", points=PASS),
        "G": add_citizen(runtime, "9001-1", "Đặng Văn Giang", points=FAIL_TOTAL),
        "H": add_citizen(runtime, "9002", "Bùi Thị Hoa", points=PASS, group="nguoi_lao_dong"),
        "I": add_citizen(runtime, "9002", "Đỗ Văn Inh"),
        "L": add_citizen(runtime, "9002", "Ngô Thị Lan", points=PASS, period=2025,
                         registered=NOW - timedelta(days=400)),
        "M": add_citizen(runtime, "9002", "Chưa Đăng Ký"),
        "K": add_citizen(runtime, "9101", "Người Tỉnh Khác", points=PASS),
    }
    completed = NOW - timedelta(days=9)   # add_citizen completes a day after registering
    decide(runtime, people["E"].assessment_id, "approved", completed + timedelta(hours=2))
    decide(runtime, people["F"].assessment_id, "approved", completed - timedelta(hours=2))
    decide(runtime, people["G"].assessment_id, "returned", completed + timedelta(hours=3))
    decide(runtime, people["K"].assessment_id, "approved", completed + timedelta(hours=2), "khac")
    decide(runtime, people["L"].assessment_id, "approved", NOW - timedelta(days=380))
    with runtime.db.transaction() as session:
        session.execute(update(Citizen).where(Citizen.id == people["M"].citizen_id)
                        .values(registered_at=None))
    return people


# registered, not started, in progress, completed, passed, recognised, awaiting, returned
COMMUNE = dict(registered=7, not_started=1, in_progress=1, completed=5, passed=3, recognised=1,
               awaiting=2, returned=1)
BRANCH = dict(registered=3, not_started=0, in_progress=0, completed=3, passed=2, recognised=1,
              awaiting=1, returned=1)
DIRECT = dict(registered=4, not_started=1, in_progress=1, completed=2, passed=1, recognised=0,
              awaiting=1, returned=0)
BINH_MINH = dict(registered=3, not_started=2, in_progress=0, completed=1, passed=1, recognised=0,
                 awaiting=1, returned=0)
PROVINCE = {key: COMMUNE[key] + BINH_MINH[key] for key in COMMUNE}
# points per competence over the commune's five completed assessments (A, B, E, F, G):
# PASS gives 40 / 34 / 20, FAIL_LOW 40 / 40 / 10, FAIL_TOTAL 28 / 28 / 20
COMMUNE_COMPETENCES = {"tu_hoc": (5, 188, 200), "cong_cu": (5, 170, 200), "quan_he": (5, 90, 100)}
