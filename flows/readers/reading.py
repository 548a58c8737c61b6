"""What a reader makes of a reply: a value, or the problem to tell the citizen."""

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Reading:
    value: Any = None
    problem: str | None = None   # None when understood; else the hint to give
    sure: bool = True            # False: one plausible reading, confirmed before it is taken
    also: Mapping[str, Any] | None = None   # said besides the answer: {"year": 1950}

    @property
    def ok(self) -> bool:
        return self.problem is None


UNKNOWN = Reading(problem="unknown")
UNSURE = Reading(problem="unsure")
AMBIGUOUS = Reading(problem="ambiguous")
OUT_OF_RANGE = Reading(problem="out_of_range")
