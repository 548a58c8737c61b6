"""Score a citizen's answers against one target group of a criteria set, and say why.

The rule is data (`PassRule`): the title needs a total of at least `min_total`
and no indicator under `min_each`. An unanswered indicator counts as 0 and
keeps the result incomplete.
"""

from dataclasses import dataclass
from typing import Mapping

from .model import Indicator, PassRule, TargetGroup


@dataclass(frozen=True)
class IndicatorScore:
    indicator: Indicator
    option: int | None     # 1-based, None when not answered yet
    points: int            # 0 when not answered


@dataclass(frozen=True)
class Score:
    indicators: tuple[IndicatorScore, ...]
    by_competence: dict[str, int]            # competence id → points
    competence_max: dict[str, int]           # competence id → points possible
    total: int
    maximum: int
    answered: int
    complete: bool
    passed: bool
    total_short: int                         # points missing to reach min_total (0 if none)
    below_minimum: tuple[IndicatorScore, ...]  # answered indicators under min_each
    weakest: tuple[IndicatorScore, ...]      # the two lowest, for advice


def score(group: TargetGroup, rule: PassRule, answers: Mapping[str, int]) -> Score:
    rows = []
    for ind in group.indicators:
        option = answers.get(ind.id)
        points = ind.options[option - 1].points if option else 0
        rows.append(IndicatorScore(ind, option, points))
    by_competence: dict[str, int] = {}
    competence_max: dict[str, int] = {}
    for row in rows:
        cid = row.indicator.competence
        by_competence[cid] = by_competence.get(cid, 0) + row.points
        competence_max[cid] = competence_max.get(cid, 0) + row.indicator.max_points
    total = sum(r.points for r in rows)
    answered = sum(1 for r in rows if r.option)
    complete = answered == len(rows)
    below = tuple(r for r in rows if r.option and r.points < rule.min_each)
    # Stable: the lowest points first, earlier indicators first among equals.
    weakest = tuple(sorted((r for r in rows if r.option and r.points < r.indicator.max_points),
                           key=lambda r: r.points)[:2])
    return Score(
        indicators=tuple(rows), by_competence=by_competence, competence_max=competence_max,
        total=total,
        maximum=sum(r.indicator.max_points for r in rows), answered=answered,
        complete=complete, passed=complete and total >= rule.min_total and not below,
        total_short=max(0, rule.min_total - total), below_minimum=below, weakest=weakest)
