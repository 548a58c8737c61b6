"""What each global command does, and how a pending yes/no is settled.

Each handler gets the `Turn` (flows.engine) and works through its verbs:
`say`, `emit`, `move`, `ask`. They never touch anything outside the turn.
"""

from . import commands
from . import effects as fx
from .commands import Command
from .model import RESULT, Option
from .readers.understanding import Reading, read_choice, read_yes_no


def continue_where_left(turn) -> None:
    """Ask the open question again, or pick up from the citizen's situation."""
    if turn.pos.flow:
        turn.ask(turn.flow().get(turn.pos.step))
    else:
        turn.idle()


def _help(turn, command: Command) -> None:
    turn.say("help", **turn.help_params())
    if turn.pos.flow:
        continue_where_left(turn)


def _restart(turn, command: Command) -> None:
    view = turn.state.assessment
    if turn.pos.flow == "registration" or not turn.state.profile.registered:
        turn.start_registration()
    elif view and view.answers and view.period == turn.local_year():
        turn.move(pending="restart", fails=0)
        turn.say("pending.restart")
    elif turn.ensure_assessment():
        turn.resume_assessment()


def _back(turn, command: Command) -> None:
    if not turn.pos.flow:
        turn.say("back.none")
        return
    flow = turn.flow()
    i = flow.index(turn.pos.step)
    earlier = [s for s in flow.steps[:i] if not turn.skipped(s)]
    if not earlier:
        turn.say("back.first")
        turn.ask(flow.steps[i])
        return
    previous = earlier[-1]
    turn.move(step=previous.id, fails=0, candidates=())
    turn.ask(previous)


def _edit(turn, command: Command) -> None:
    view = turn.state.assessment
    if not turn.state.profile.registered or view is None:
        turn.say("edit.not_now")
        continue_where_left(turn)
        return
    if view.period != turn.local_year():   # last year's result is settled: go to this year's
        turn.idle()
        return
    flow = turn.flow("assessment")
    if command.number is None or not 1 <= command.number <= len(flow.steps):
        turn.say("edit.which", total=len(flow.steps))
        return
    if view.completed:
        back_to = RESULT
    elif turn.pos.flow == "assessment":
        back_to = turn.pos.return_to or turn.pos.step
    else:
        back_to = None
    target = flow.steps[command.number - 1]
    turn.move(flow="assessment", step=target.id, return_to=back_to, fails=0, candidates=())
    turn.ask(target)


def _score(turn, command: Command) -> None:
    view = turn.state.assessment
    if not turn.state.profile.registered or view is None or not view.answers:
        turn.say("score.none")
        return
    result = turn.current_score()
    if view.completed:
        turn.say("assessment.result", **turn.result_params(result))
    else:
        turn.say("score.partial", answered=result.answered, count=len(result.indicators),
                 total=result.total)


def _optout(turn, command: Command) -> None:
    turn.emit(fx.RecordConsent("announcements", False))
    turn.say("optout.done")


def _optin(turn, command: Command) -> None:
    turn.emit(fx.RecordConsent("announcements", True))
    turn.say("optin.done")


def _delete(turn, command: Command) -> None:
    turn.move(pending="delete", fails=0)
    turn.say("pending.delete")


HANDLERS = {
    "help": _help, "restart": _restart, "back": _back, "edit": _edit, "score": _score,
    "optout": _optout, "optin": _optin, "resume": lambda turn, _: continue_where_left(turn),
    "delete": _delete,
}


def run_command(turn, command: Command) -> None:
    HANDLERS[command.name](turn, command)


def settle_pending(turn, kind: str, yes: bool) -> None:
    if kind == "delete":
        if yes:
            turn.emit(fx.DeleteCitizen())
            turn.say("delete.done")
        else:
            turn.say("delete.kept")
            continue_where_left(turn)
    elif kind == "restart":
        view = turn.state.assessment
        if yes and view and view.period == turn.local_year():
            turn.emit(fx.ClearAnswers())
            turn.resume_assessment()
        else:   # a no, or a yes that arrives in a new year: last year's answers stay
            continue_where_left(turn)
    elif kind == "resume":
        if yes:
            continue_where_left(turn)
        else:
            _restart(turn, Command("restart"))   # asks to confirm when answers would be lost


# Pending questions that are a choice rather than a yes/no.
PENDING_OPTIONS = {
    "resume": (Option("Tiếp tục", "Tiep tuc", "yes", means="yes",
                      aliases=("tiep", "tiep tuc", "lam tiep")),
               # No "means": a bare "không" must not wipe answers.
               Option("Làm lại từ đầu", "Lam lai tu dau", "no",
                      aliases=("lai", "lam lai", "bat dau lai"))),
}


def answer_pending(turn) -> None:
    """The reply to a yes/no asked outside the flow (delete? restart? continue?).
    Not understood: a command runs instead, or the question is asked again."""
    kind = turn.pos.pending
    options = PENDING_OPTIONS.get(kind)
    if options:
        reading = read_choice(turn.folded, options, turn.raw)
        if reading.ok and not reading.sure:
            reading = Reading(problem="unknown")      # "làm lại à?": never on a guess
        reading = Reading(options[reading.value - 1].value) if reading.ok else reading
    else:
        reading = read_yes_no(turn.folded, turn.raw)
    if not reading.ok:
        command = commands.match(turn.raw, turn.folded)
        if command:
            turn.move(pending=None, fails=0)
            run_command(turn, command)
            return
        fails = turn.pos.fails + 1
        turn.move(fails=fails)
        turn.say("pending.reask", hint={"msg": f"hint.{reading.problem}"},
                 ask={"msg": f"pending.{kind}"},
                 **turn.help_params(fails))
        return
    turn.move(pending=None, fails=0)
    settle_pending(turn, kind, reading.value == "yes")
