"""Scoring as a table: answers in, total / pass / why out."""

from pathlib import Path

import pytest

from flows.loading import load_criteria
from flows.model import Indicator, Option, PassRule, TargetGroup
from flows.scoring import score

SET = load_criteria(Path(__file__).parent.parent / "fixtures" / "criteria-test.toml")
GROUP = SET.group("dan")          # 10 indicators, options worth 10 / 7 / 4 / 0
RULE = SET.pass_rule
TEN_EIGHT_FIVE = (Option("A", "A", points=10), Option("B", "B", points=8),
                  Option("C", "C", points=5), Option("D", "D", points=0))
GROUP_8 = TargetGroup("g8", "G", "G", tuple(
    Indicator(f"i{n}", "tu_hoc", f"I{n}", f"I{n}", "?", "?", TEN_EIGHT_FIVE) for n in range(1, 11)))


def answers(*options: int) -> dict:
    return {f"i{n}": option for n, option in enumerate(options, 1) if option}


CASES = [
    # label, group, answers, total, passed, below-minimum indicators, points short
    ("all best", GROUP, answers(*[1] * 10), 100, True, [], 0),
    ("79: every indicator fine, total short by 1", GROUP, answers(1, 1, 1, 2, 2, 2, 2, 2, 2, 2), 79, False, [], 1),
    ("85 with one indicator at 4", GROUP, answers(1, 1, 1, 1, 1, 1, 2, 2, 2, 3), 85, False, ["i10"], 0),
    ("88, none under 5", GROUP, answers(1, 1, 1, 1, 1, 1, 2, 2, 2, 2), 88, True, [], 0),
    ("80 with two at 0 fails twice", GROUP, answers(1, 1, 1, 1, 1, 1, 1, 1, 4, 4), 80, False, ["i9", "i10"], 0),
    ("exactly 80 passes", GROUP_8, answers(*[2] * 10), 80, True, [], 0),
    ("exactly 5 on one indicator passes", GROUP_8, answers(*[1] * 9, 3), 95, True, [], 0),
    ("nothing answered", GROUP, {}, 0, False, [], 80),
    ("nine answered is not a pass yet", GROUP, answers(*[1] * 9), 90, False, [], 0),
]


@pytest.mark.parametrize("group,given,total,passed,below,short", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_score(group, given, total, passed, below, short):
    result = score(group, RULE, given)
    assert result.total == total
    assert result.passed is passed
    assert [r.indicator.id for r in result.below_minimum] == below
    assert result.total_short == short
    assert result.complete is (len(given) == 10)


def test_subtotals_and_weakest():
    result = score(GROUP, RULE, answers(1, 2, 3, 4, 1, 1, 2, 1, 3, 1))
    assert result.by_competence == {"tu_hoc": 21, "cong_cu": 37, "quan_he": 14}
    assert result.competence_max == {"tu_hoc": 40, "cong_cu": 40, "quan_he": 20}
    assert [r.indicator.id for r in result.weakest] == ["i4", "i3"]
    assert result.maximum == 100


def test_a_stricter_rule_is_data():
    strict = PassRule(min_total=90, min_each=7)
    assert not score(GROUP, strict, answers(1, 1, 1, 1, 1, 1, 2, 2, 2, 2)).passed
    assert score(GROUP, strict, answers(1, 1, 1, 1, 1, 1, 1, 2, 2, 2)).passed
