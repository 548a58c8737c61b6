"""The dashboard's arithmetic, without a database."""

from datetime import datetime, timezone

import pytest

from storage.standing import status_of
from bot.console.tally import (Cell, Counts, UnitInfo, competence_maxima, counts_of, month_bounds,
                               stage_of, summarise)
from flows.loading import load_all_criteria
from storage.models import Assessment

PROVINCE = UnitInfo(1, "90", "Tỉnh", "/90/")
A = UnitInfo(2, "9001", "Xã A", "/90/9001/")
A1 = UnitInfo(3, "9001-1", "Chi hội A1", "/90/9001/9001-1/")
B = UnitInfo(4, "9002", "Xã B", "/90/9002/")
UNITS = {u.id: u for u in (PROVINCE, A, A1, B)}
SET = ("cdht-2023", "2023.1-draft")
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


def test_stage_of_is_status_of_on_the_grouped_columns():
    done = datetime(2026, 11, 11, tzinfo=timezone.utc)
    seen = set()
    for status in ("in_progress", "completed"):
        for passed in (None, False, True):
            for decision in (None, "approved", "returned"):
                for decided in (None, done.replace(hour=1), done.replace(hour=2)):   # before, after
                    assessment = Assessment(status=status, passed=passed, decision=decision,
                                            decided_at=decided, completed_at=done.replace(hour=1, minute=30))
                    current = decided is not None and decided >= assessment.completed_at
                    assert stage_of(status, passed, decision, current) == status_of(assessment)
                    seen.add(status_of(assessment))
    assert stage_of(None, None, None, None) == status_of(None) == "not_started"
    assert seen == {"in_progress", "not_passed", "awaiting", "returned", "recognised"}


@pytest.mark.parametrize("stage, passed, expected", [
    ("not_started", None, Counts(registered=2, not_started=2)),
    ("in_progress", None, Counts(registered=2, in_progress=2)),
    ("not_passed", False, Counts(registered=2, completed=2)),
    ("awaiting", True, Counts(registered=2, completed=2, passed=2, awaiting=2)),
    ("returned", False, Counts(registered=2, completed=2, returned=2)),
    ("returned", True, Counts(registered=2, completed=2, passed=2, returned=2)),
    ("recognised", True, Counts(registered=2, completed=2, passed=2, recognised=2)),
], ids=["not-started", "in-progress", "not-passed", "awaiting", "returned-failed",
        "returned-passed", "recognised"])
def test_a_cell_counts_in_its_stage(stage, passed, expected):
    assert counts_of(Cell(2, "nguoi_dan", SET, stage, passed, 2)) == expected


@pytest.mark.parametrize("counts, rate", [
    (Counts(), None), (Counts(completed=4, passed=3), 0.75), (Counts(completed=3, passed=0), 0.0),
], ids=["nobody-completed", "three-of-four", "none-passed"])
def test_pass_rate_is_passed_over_completed(counts, rate):
    assert counts.pass_rate == rate


def test_month_bounds_are_midnight_in_vietnam():
    bounds = month_bounds(2026)
    assert len(bounds) == 13
    assert bounds[0] == datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc)
    assert bounds[2] == datetime(2026, 2, 28, 17, 0, tzinfo=timezone.utc)
    assert bounds[12] == datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)


def summary(cells, chosen=PROVINCE, children=(A, B), now=NOW):
    return summarise(cells, period=2026, chosen=chosen, units=UNITS, children=list(children),
                     groups={"nguoi_dan": "Người dân", "hoc_sinh": "Học sinh"},
                     competences={"tu_hoc": "Tự học", "cong_cu": "Công cụ", "quan_he": "Quan hệ"},
                     maxima=competence_maxima(load_all_criteria()), now=now)


def test_children_take_their_whole_subtree_and_the_rest_is_direct():
    figures = summary([Cell(2, "nguoi_dan", None, "not_started", None, 3),
                       Cell(3, "nguoi_dan", SET, "recognised", True, 2),
                       Cell(1, "hoc_sinh", None, "not_started", None, 1),
                       Cell(99, "nguoi_dan", None, "not_started", None, 5)])   # not in the map
    rows = {row.key: (row.counts.registered, row.direct) for row in figures.by_unit}
    assert rows == {"9001": (5, False), "9002": (0, False), "90": (6, True)}
    assert figures.totals.registered == 11 and figures.totals.recognised == 2
    assert [r.name for r in figures.by_unit] == ["Xã A", "Xã B", "Trực thuộc Tỉnh"]


def test_groups_in_the_criteria_order_then_unknown_ones():
    figures = summary([Cell(2, "la", None, "not_started", None, 1),
                       Cell(2, "hoc_sinh", None, "not_started", None, 1),
                       Cell(2, "nguoi_dan", None, "not_started", None, 1),
                       Cell(2, None, None, "not_started", None, 1)])
    assert [(r.key, r.name) for r in figures.by_group] == [
        ("nguoi_dan", "Người dân"), ("hoc_sinh", "Học sinh"), ("", "Chưa chọn đối tượng"), ("la", "la")]


def test_competences_average_over_completed_assessments_only():
    figures = summary([Cell(2, "nguoi_dan", SET, "recognised", True, 2,
                            {"tu_hoc": 80, "cong_cu": 68, "quan_he": 40}),
                       Cell(2, "nguoi_dan", SET, "not_passed", False, 1,
                            {"tu_hoc": 28, "cong_cu": 28, "quan_he": 20}),
                       Cell(2, "nguoi_dan", SET, "in_progress", None, 4, {})])
    found = {c.id: (c.assessments, c.points, c.maximum) for c in figures.by_competence}
    assert found == {"tu_hoc": (3, 108, 120), "cong_cu": (3, 96, 120), "quan_he": (3, 60, 60)}
    tu_hoc = figures.by_competence[0]
    assert tu_hoc.average == 36 and tu_hoc.average_maximum == 40 and tu_hoc.share == 0.9


def test_months_from_cumulative_counts_up_to_the_current_month():
    registered = (1,) + (1,) * 9 + (4, 6, 6)     # 3 in October, 2 in November
    completed = (0,) * 10 + (1, 3, 3)
    figures = summary([Cell(2, "nguoi_dan", None, "not_started", None, 6, {}, registered, completed)])
    months = {m.month: m for m in figures.by_month}
    assert sorted(months) == list(range(1, 12))   # 20 November: the year so far
    assert (months[10].registered, months[10].completed, months[10].registered_total) == (3, 1, 4)
    assert (months[11].registered, months[11].completed, months[11].completed_total) == (2, 2, 3)
    assert months[1].registered == 0 and months[1].registered_total == 1


@pytest.mark.parametrize("now, months", [
    (datetime(2027, 3, 1, tzinfo=timezone.utc), 12),
    (datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc), 1),   # already 2027 in Vietnam
    (datetime(2025, 6, 1, tzinfo=timezone.utc), 0),
], ids=["past-year", "new-year-in-vietnam", "future-year"])
def test_how_many_months_are_shown(now, months):
    figures = summarise([], period=2026 if months != 1 else 2027, chosen=None, units={}, children=[],
                        groups={}, competences={}, maxima={}, now=now)
    assert len(figures.by_month) == months


def test_the_criteria_give_forty_forty_twenty():
    maxima = competence_maxima(load_all_criteria())
    assert maxima[(*SET, "nguoi_dan")] == {"tu_hoc": 40, "cong_cu": 40, "quan_he": 20}
