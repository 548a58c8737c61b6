"""The conversation engine: one inbound reply in, the new state and effects out.

    new_state, effects = step(script, state, inbound, now)

Pure: no database, no network, no clock (`now` is an aware datetime passed in).
The order of reading a reply: an answer to a course announcement that is the
last thing said ("1" I will come, "0" not this time, yes / no in words;
flows/courses.py: recorded, thanked for, the open question asked again), then a
pending yes/no outside the flow (delete? restart? continue?), then global
commands, then session expiry, then the running flow's current question. A
reply that cannot be read is never guessed: the question is asked again with a
hint, and from the third failed try on the hint says whom to call.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Mapping
from zoneinfo import ZoneInfo

from . import commands
from . import effects as fx
from .courses import answer_offer
from .units.directory import Directory
from .events import handle_event
from .handlers import answer_pending, run_command
from .model import COMPLETE, END, HELP_AFTER_FAILS, RESULT, CriteriaSet, Flow, Option, Step
from .readers.normalize import fold
from .results import result_params
from .scoring import score
from .state import Position, State, apply
from .answering import answer_step, take_carried


@dataclass(frozen=True)
class Inbound:
    text: str
    channel: str              # "zalo" | "sms"
    phone: str | None = None  # the sender's own number (E.164) when the channel proves it (SMS)
    kind: str = "text"        # "text", or an event: "follow", "evidence", "media", "profile",
                              # "linked" (the host joined this contact to a known citizen)
    shared: Mapping[str, str] = field(default_factory=dict)   # "profile": name, phone shared


@dataclass(frozen=True)
class Script:
    """Everything the engine may consult besides the conversation itself."""
    registration: Flow
    criteria: CriteriaSet                     # the set new assessments use
    directory: Directory
    criteria_sets: Mapping[tuple[str, str], CriteriaSet] = field(default_factory=dict)
    expiry: timedelta = timedelta(days=14)
    timezone: str = "Asia/Ho_Chi_Minh"

    def criteria_of(self, criteria_set: str, version: str) -> CriteriaSet:
        """The set an assessment was started with (the host checks at start-up that every
        stored assessment's set is loaded)."""
        if (criteria_set, version) == (self.criteria.id, self.criteria.version):
            return self.criteria
        return self.criteria_sets[(criteria_set, version)]

    @property
    def registration_group_step(self) -> str:
        return next(s.id for s in self.registration.steps if s.options_from == "groups")


def step(script: Script, state: State, inbound: Inbound, now: datetime) -> tuple[State, list]:
    turn = Turn(script, state, inbound, now)
    turn.run()
    return replace(turn.state, position=replace(turn.state.position, touched_at=now)), turn.effects


class Turn:
    """One reply being handled: the state so far and the effects emitted so far."""

    def __init__(self, script: Script, state: State, inbound: Inbound, now: datetime):
        self.script, self.state, self.now = script, state, now
        self.inbound = inbound
        self.raw = inbound.text or ""
        self.folded = fold(self.raw)
        self.effects: list = []
        self.carried: dict = {}   # said with an answer, for a question further on ("1950")

    # -- small verbs -------------------------------------------------------
    @property
    def pos(self) -> Position:
        return self.state.position

    def emit(self, effect) -> None:
        self.effects.append(effect)
        self.state = apply(self.state, effect)

    def say(self, key: str, **params) -> None:
        self.emit(fx.Send(key, params))

    def move(self, **changes) -> None:
        if changes.get("candidates") == () and "query" not in changes:
            changes["query"] = None       # the reply that made a list goes with the list
        self.state = replace(self.state, position=replace(self.pos, **changes))

    def local_year(self) -> int:
        return self.now.astimezone(ZoneInfo(self.script.timezone)).year

    def help_params(self, fails: int | None = None) -> dict:
        """The "whom to call" line; with `fails`, only from the third failed try on."""
        contact = self.script.directory.help_contact(self.state.profile.unit_code)
        if not contact or (fails is not None and fails < HELP_AFTER_FAILS):
            return {"help": ""}
        return {"help": {"msg": "help.call", "params": {"help_name": contact[0],
                                                         "help_phone": contact[1]}}}

    # -- the order of reading ---------------------------------------------
    def run(self) -> None:
        topic = self.pos.course
        if topic is not None:
            self.move(course=None)    # a course stays the topic for one reply
        if self.pos.flow and not self.position_exists():
            # The flow file changed under a waiting citizen: start from their situation.
            self.move(flow=None, step=None, fails=0, return_to=None, candidates=())
        if self.pos.pending and self.expired():
            self.move(pending=None)   # a confirmation asked weeks ago is not answered by this
        if self.inbound.kind != "text":
            handle_event(self)
            return
        if answer_offer(self, topic):
            return
        if self.pos.pending:
            answer_pending(self)
            return
        command = commands.match(self.raw, self.folded, self.at_step_type() == "name")
        if command:
            run_command(self, command)
            return
        if self.pos.flow and self.expired():
            self.ask_to_resume()
            return
        if self.pos.flow is None:
            self.idle()
            return
        if self.poster_line_mid_registration():
            return
        self.answer_step()

    def poster_line_mid_registration(self) -> bool:
        """"DK <mã>" sent after registration began (a follow on Zalo starts it): the unit
        is taken, so its question is skipped later, and the open question is asked again."""
        if self.pos.flow != "registration" or self.state.profile.unit_code \
                or self.at_step_type() == "unit":
            return False
        code = self.poster_unit()
        if code is None:
            return False
        self.emit(fx.SaveProfile({"unit_code": code}))
        self.ask(self.flow().get(self.pos.step))
        return True

    def ask_to_resume(self) -> None:
        """A flow left weeks ago: continue it or start again?"""
        self.move(pending="resume", fails=0)
        self.say("session.expired", since=self.pos.touched_at, **self.progress())

    def position_exists(self) -> bool:
        try:
            self.flow().get(self.pos.step)
            return True
        except (StopIteration, KeyError, AttributeError):
            return False

    def expired(self) -> bool:
        touched = self.pos.touched_at
        return touched is not None and self.now - touched > self.script.expiry

    def at_step_type(self) -> str | None:
        if not self.pos.flow or self.pos.pending:
            return None
        return self.flow().get(self.pos.step).type

    def progress(self) -> dict:
        if self.pos.flow == "assessment":
            flow = self.flow()
            return {"where": {"msg": "where.question",
                              "params": {"n": flow.index(self.pos.step) + 1,
                                         "total": len(flow.steps)}}}
        return {"where": {"msg": "where.registration"}}

    # -- no flow running ---------------------------------------------------
    def idle(self) -> None:
        profile = self.state.profile
        if not profile.registered:
            self.start_registration(first_contact=profile.consent is None)
            return
        view = self.ensure_assessment()
        if view is None:
            return
        if view.completed:
            result = self.current_score()
            self.say("idle.completed", period=view.period, total=result.total,
                     standing={"msg": "standing.passed" if result.passed else "standing.failed"})
            return
        self.resume_assessment()

    def poster_unit(self) -> str | None:
        """The unit of a poster's "DK <mã>" when it names exactly one, else None."""
        if not self.folded.startswith(("dk ", "dang ky ")):
            return None
        found = self.script.directory.find(self.raw)
        if found and len(found.matches) == 1 and not found.partial:
            return found.matches[0].entry.code
        return None

    def start_registration(self, first_contact: bool = False) -> None:
        if code := self.poster_unit():
            self.emit(fx.SaveProfile({"unit_code": code}))
        if first_contact:
            self.say("welcome")
        self.move(flow="registration", step=None, fails=0, return_to=None, candidates=())
        self.goto(self.script.registration.steps[0].id)

    def ensure_assessment(self):
        """This year's assessment, started if needed. None when the citizen's group is not
        in the criteria set in force (a new set renamed its groups): the group question
        has then been asked again."""
        view = self.state.assessment
        if view is None or view.period != self.local_year():
            cs = self.script.criteria
            group = self.state.profile.target_group
            if group not in {g.id for g in cs.groups}:
                self.move(flow="registration", fails=0, return_to=None, candidates=())
                self.goto(self.script.registration_group_step)
                return None
            self.emit(fx.StartAssessment(cs.id, cs.version, group, self.local_year()))
        return self.state.assessment

    def resume_assessment(self) -> None:
        flow = self.flow("assessment")
        answers = self.state.assessment.answers
        first_open = next((s.id for s in flow.steps if s.id not in answers), None)
        self.move(flow="assessment", fails=0, return_to=None, candidates=())
        if first_open is None:
            self.finish_assessment()
        else:
            self.goto(first_open)

    # -- the running flow --------------------------------------------------
    def criteria(self) -> CriteriaSet:
        """The criteria set of the citizen's current assessment."""
        view = self.state.assessment
        return self.script.criteria_of(view.criteria_set, view.version)

    def flow(self, flow_id: str | None = None) -> Flow:
        flow_id = flow_id or self.pos.flow
        if flow_id == "assessment":
            return self.criteria().group(self.state.assessment.group).flow
        return self.script.registration

    def options(self, step: Step) -> tuple[Option, ...]:
        if step.options_from == "groups":
            return tuple(Option(g.name, g.sms, g.id) for g in self.script.criteria.groups)
        return step.options

    def ask_params(self, step: Step) -> dict:
        params: dict = {}
        options = self.options(step)
        if options:
            params["options"] = [{"zalo": o.label, "sms": o.sms} for o in options]
        if self.pos.flow == "assessment":
            flow = self.flow()
            indicator = self.criteria().group(self.state.assessment.group) \
                .indicators[flow.index(step.id)]
            params.update(n=flow.index(step.id) + 1, total=len(flow.steps),
                          question={"zalo": indicator.question, "sms": indicator.question_sms})
        return params

    def ask(self, step: Step) -> None:
        if self.pos.candidates:      # a list or a proposal shown earlier no longer stands
            self.move(candidates=())
        self.say(step.ask, **self.ask_params(step))

    def reask(self, step: Step, problem: str) -> None:
        fails = self.pos.fails + 1
        self.move(fails=fails)
        params = self.ask_params(step)
        expect = {"msg": f"expect.{step.type}", "params": {"count": len(self.options(step))}}
        if "n" in params:
            expect["params"].update(n=params["n"], total=params["total"])
        self.say("reask", hint={"msg": f"hint.{problem}"}, expect=expect,
                 ask={"msg": step.ask, "params": params},
                 **(self.help_params() if fails >= HELP_AFTER_FAILS else {"help": ""}))

    def goto(self, target: str | None) -> None:
        flow = self.flow()
        while True:
            if target == END:
                self.move(flow=None, step=None, fails=0, return_to=None, candidates=())
                return
            if target == COMPLETE:
                self.complete_flow()
                return
            step = flow.get(target)
            if not self.skipped(step):
                break
            target = self.next_of(flow, step, None)
        if self.carried and take_carried(self, flow, step):
            return
        self.move(step=target, fails=0, candidates=())
        self.ask(step)

    def skipped(self, step: Step) -> bool:
        """A step whose answer is already known is not asked, forwards or backwards."""
        return bool(step.skip_if_known and getattr(self.state.profile, step.skip_if_known))

    def next_of(self, flow: Flow, step: Step, value) -> str:
        rule = step.next
        if isinstance(rule, Mapping):
            rule = rule.get(str(value))
        if rule:
            return rule
        i = flow.index(step.id)
        return flow.steps[i + 1].id if i + 1 < len(flow.steps) else COMPLETE

    def answer_step(self) -> None:
        answer_step(self)

    def accept(self, flow: Flow, step: Step, value) -> None:
        if flow.id == "assessment":
            option = step.options[value - 1]
            self.emit(fx.StoreAnswer(step.id, value, option.points, self.raw.strip()))
        elif step.store == "consent":
            self.consent(value == "yes")
        elif step.store:
            options = self.options(step)
            stored = options[value - 1].value if options and step.type == "choice" else value
            changes = {step.store: stored}
            if step.type == "phone":
                changes["phone_verified"] = False   # typed, not proven: never used to link
            self.emit(fx.SaveProfile(changes))
        self.advance(flow, step, value)

    def consent(self, granted: bool) -> None:
        """Nothing about the citizen is kept before a yes: a no erases what the first
        message brought (a poster's unit code); a yes keeps the number they write from."""
        self.emit(fx.RecordConsent("data", granted))
        if not granted:
            self.emit(fx.SaveProfile({"unit_code": None, "phone": None, "phone_verified": False}))
        elif self.inbound.phone and not self.state.profile.phone:
            self.emit(fx.SaveProfile({"phone": self.inbound.phone, "phone_verified": True}))

    def advance(self, flow: Flow, step: Step, value) -> None:
        if extra := step.say.get(str(value)):
            self.say(extra)
        self.move(fails=0, candidates=())
        back_to = self.pos.return_to
        if flow.id == "assessment" and back_to:
            self.move(return_to=None)
            answers = self.state.assessment.answers
            if back_to == RESULT or back_to in answers:
                self.resume_assessment()
            else:
                self.goto(back_to)
            return
        self.goto(self.next_of(flow, step, value))

    def complete_flow(self) -> None:
        if self.pos.flow == "registration":
            self.emit(fx.SaveProfile({"registered": True}))
            profile = self.state.profile
            unit = self.script.directory.get(profile.unit_code)
            group = self.script.criteria.group(profile.target_group)
            self.say("registration.done", name=profile.name, birth_year=profile.birth_year,
                     unit={"zalo": unit.name if unit else "", "sms": unit.name if unit else ""},
                     group={"zalo": group.name, "sms": group.sms})
            if self.ensure_assessment():
                self.resume_assessment()
        else:
            self.finish_assessment()

    # -- results -------------------------------------------------------------
    def current_score(self):
        view, criteria = self.state.assessment, self.criteria()
        return score(criteria.group(view.group), criteria.pass_rule, view.answers)

    def finish_assessment(self) -> None:
        result = self.current_score()
        self.emit(fx.CompleteAssessment(result.total, result.passed,
                                        tuple(result.by_competence.items())))
        self.move(flow=None, step=None, fails=0, return_to=None)
        self.say("assessment.result", **self.result_params(result))

    def result_params(self, result) -> dict:
        criteria = self.criteria()
        names = {c.id: {"zalo": c.name, "sms": c.sms} for c in criteria.competences}
        return result_params(result, criteria.pass_rule, names)
