"""The conversation state the engine reads and returns.

`Position` is the engine's own memory (where the citizen is); the host keeps it
as JSON on the session row. `Profile` and `AssessmentView` are read by the host
from the citizen's rows; the engine changes them only through effects, and
`apply` is the one place that says what an effect does to them. `CourseOffer` is
the course announcement a bare "1"/"0" may answer, as the host found it.
"""

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from . import effects as fx


@dataclass(frozen=True)
class Position:
    flow: str | None = None        # "registration" | "assessment" | None (idle)
    step: str | None = None
    fails: int = 0                 # replies not understood for this step
    pending: str | None = None     # a yes/no asked outside the flow: "delete" | "restart" | "resume"
    return_to: str | None = None   # after "SUA n": the step to go back to, or "@result"
    candidates: tuple[str, ...] = ()   # unit codes offered for a numbered pick, or the
                                       # option number a choice reply is confirmed for
    query: str | None = None       # the reply that produced the unit list, to show it again
    course: int | None = None      # the course the last reply spoke of (thanks, how to answer)
                                   # with nothing asked after: a bare "0" still answers it
    touched_at: datetime | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["candidates"] = list(self.candidates)
        data["touched_at"] = self.touched_at.isoformat() if self.touched_at else None
        return data

    @classmethod
    def from_json(cls, data: dict | None) -> "Position":
        if not data:
            return cls()
        data = dict(data)
        data["candidates"] = tuple(data.get("candidates") or ())
        if data.get("touched_at"):
            data["touched_at"] = datetime.fromisoformat(data["touched_at"])
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Profile:
    name: str | None = None
    birth_year: int | None = None
    unit_code: str | None = None
    target_group: str | None = None
    phone: str | None = None        # E.164
    phone_verified: bool = False    # proven by the channel: an SMS from it, or Zalo's confirmation
    consent: bool | None = None     # Decree 13/2023 consent to processing
    opted_out: bool = False         # no announcements or reminders
    registered: bool = False


@dataclass(frozen=True)
class AssessmentView:
    criteria_set: str
    version: str
    group: str
    period: int
    answers: dict[str, int] = field(default_factory=dict)   # indicator id → option number
    completed: bool = False


@dataclass(frozen=True)
class CourseOffer:
    """The newest course announcement sent to the citizen in the last days, its course
    not started yet (the host decides which count)."""
    course_id: int
    title: str
    sent_at: datetime


@dataclass(frozen=True)
class State:
    position: Position = Position()
    profile: Profile = Profile()
    assessment: AssessmentView | None = None
    offer: CourseOffer | None = None


def apply(state: State, effect) -> State:
    """What one effect does to the profile and assessment the engine sees."""
    match effect:
        case fx.SaveProfile(changes):
            return replace(state, profile=replace(state.profile, **changes))
        case fx.RecordConsent("data", granted):
            return replace(state, profile=replace(state.profile, consent=granted))
        case fx.RecordConsent("announcements", granted):
            return replace(state, profile=replace(state.profile, opted_out=not granted))
        case fx.StartAssessment(cs, version, group, period):
            return replace(state, assessment=AssessmentView(cs, version, group, period))
        case fx.StoreAnswer(indicator, option, _, _):
            answers = {**state.assessment.answers, indicator: option}
            return replace(state, assessment=replace(state.assessment, answers=answers))
        case fx.ClearAnswers():
            return replace(state, assessment=replace(state.assessment, answers={},
                                                     completed=False))
        case fx.CompleteAssessment():
            return replace(state, assessment=replace(state.assessment, completed=True))
        case fx.DeleteCitizen():
            return State(position=Position(touched_at=state.position.touched_at))
    return state
