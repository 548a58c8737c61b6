"""What the engine asks the host to do. Plain values; the host performs them after
deciding nothing else can fail, all in the transaction of the inbound message.

The closed family:
- `Send(key, params)`: a message from the catalog (messages_vi) to the citizen, on
  the channel the inbound message came from. `params` values are plain: str, int,
  a {"zalo": …, "sms": …} pair, a list of such pairs (numbered options), or
  {"msg": key, "params": {…}} for a nested catalog message.
- `SaveProfile(changes)`: set fields on the citizen (name, birth_year, unit_code,
  target_group, phone, registered).
- `RecordConsent(kind, granted)`: "data" (Decree 13/2023 consent to processing) or
  "announcements" (opt-out / opt-in); kept as a dated record.
- `StartAssessment(...)`, `StoreAnswer(...)`, `ClearAnswers()`, `CompleteAssessment(...)`:
  the citizen's assessment for the period.
- `AttachEvidence(indicator)`: keep the message's image/file as proof for that
  indicator of the current assessment (None: not tied to one yet).
- `RecordSignup(course_id, coming, raw_text)`: the citizen's answer to a course
  announcement (I'll come / not this time), as typed; a later answer replaces it.
- `DeleteCitizen()`: the citizen asked to delete their data and confirmed.
"""

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Send:
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveProfile:
    changes: Mapping[str, Any]


@dataclass(frozen=True)
class RecordConsent:
    kind: str       # "data" | "announcements"
    granted: bool


@dataclass(frozen=True)
class StartAssessment:
    criteria_set: str
    version: str
    group: str
    period: int


@dataclass(frozen=True)
class StoreAnswer:
    indicator: str
    option: int      # 1-based number of the chosen option
    points: int
    raw_text: str


@dataclass(frozen=True)
class ClearAnswers:
    pass


@dataclass(frozen=True)
class CompleteAssessment:
    total: int
    passed: bool
    by_competence: tuple[tuple[str, int], ...] = ()   # (competence id, points), in order


@dataclass(frozen=True)
class AttachEvidence:
    indicator: str | None


@dataclass(frozen=True)
class RecordSignup:
    course_id: int
    coming: bool
    raw_text: str


@dataclass(frozen=True)
class DeleteCitizen:
    pass


Effect = (Send | SaveProfile | RecordConsent | StartAssessment | StoreAnswer | ClearAnswers
          | CompleteAssessment | AttachEvidence | RecordSignup | DeleteCitizen)
