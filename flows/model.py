"""The shapes flows are made of, as loaded from the data files.

A flow is an ordered list of steps; each step asks one message, reads the
reply with the reader for its `type`, stores the value under `store`, and
moves on by its `next` rule. The assessment flow is not a file: it is built
from the citizen's group in a criteria set (see `assessment_flow`).
"""

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

ANSWER_TYPES = ("choice", "yes_no", "integer", "year", "name", "phone", "unit")
COMPLETE = "@complete"  # next-rule target: the flow is finished, run its completion
END = "@end"            # next-rule target: stop here without completing
RESULT = "@result"      # return target after an edit of a finished assessment
HELP_AFTER_FAILS = 3    # from this failed try on, a re-ask says whom to call


@dataclass(frozen=True)
class Option:
    label: str                      # Zalo form, with diacritics
    sms: str                        # SMS form, GSM-7
    value: str = ""                 # what is stored when chosen
    points: int | None = None
    means: str | None = None        # "yes" / "no": a yes or no reply picks this option
    aliases: tuple[str, ...] = ()   # more ways to say it (matched folded)


@dataclass(frozen=True)
class Step:
    id: str
    type: str
    ask: str                                   # message key of the question
    store: str | None = None                   # profile field, or "answer" in an assessment
    options: tuple[Option, ...] = ()
    options_from: str | None = None            # "groups": the criteria set's target groups
    low: int | None = None
    high: int | None = None                    # for "year": years before now (e.g. 5 → now.year - 5)
    next: str | Mapping[str, str] | None = None
    say: Mapping[str, str] = field(default_factory=dict)  # extra message per answer value
    skip_if_known: str | None = None           # skip when this profile field is set
    optional: bool = False                     # "bỏ qua" skips it
    question: str = ""                         # an indicator's question text: its words,
                                               # said back with an answer, are no answer


@dataclass(frozen=True)
class Flow:
    id: str
    steps: tuple[Step, ...]

    def index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)

    def get(self, step_id: str) -> Step:
        return self.steps[self.index(step_id)]


@dataclass(frozen=True)
class Indicator:
    id: str
    competence: str
    short: str          # a few words, for results: "Đọc, xem tin tức"
    short_sms: str
    question: str
    question_sms: str
    options: tuple[Option, ...]

    @property
    def max_points(self) -> int:
        return max(o.points for o in self.options)


@dataclass(frozen=True)
class Competence:
    id: str
    name: str
    sms: str


@dataclass(frozen=True)
class TargetGroup:
    id: str
    name: str
    sms: str
    indicators: tuple[Indicator, ...]
    pupils: bool = False   # addressed as "em"/"bạn"

    @cached_property
    def flow(self) -> "Flow":
        """The assessment for this group (built once; cached_property works on frozen
        dataclasses because it writes the instance __dict__ directly)."""
        return assessment_flow(self)


@dataclass(frozen=True)
class PassRule:
    min_total: int = 80
    min_each: int = 5


@dataclass(frozen=True)
class CriteriaSet:
    id: str
    version: str
    title: str
    status: str                   # "draft" | "official"
    source: str
    pass_rule: PassRule
    competences: tuple[Competence, ...]
    groups: tuple[TargetGroup, ...]

    def group(self, group_id: str) -> TargetGroup:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)


def assessment_flow(group: TargetGroup) -> Flow:
    """The assessment for one group: one choice step per indicator, in order."""
    steps = tuple(
        Step(id=ind.id, type="choice", ask="assessment.question", store="answer",
             options=ind.options, question=f"{ind.question} {ind.question_sms}")
        for ind in group.indicators
    )
    return Flow(id="assessment", steps=steps)
