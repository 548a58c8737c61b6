"""What each global command does, and how a pending yes/no is settled.

Each handler gets the `Turn` (flows.engine) and works through its verbs:
`say`, `emit`, `move`, `ask`. They never touch anything outside the turn.
"""

from . import effects as fx
from .commands import Command
from .model import RESULT


def continue_where_left(turn) -> None:
    """Ask the open question again, or pick up from the citizen's situation."""
    if turn.pos.flow:
        turn.ask(turn.flow().get(turn.pos.step))
    else:
        turn.idle()


def _help(turn, command: Command) -> None:
    turn.say("help", **turn.help_params())
    if turn.pos.flow:
        turn.ask(turn.flow().get(turn.pos.step))


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


def _resume(turn, command: Command) -> None:
    continue_where_left(turn)


def _delete(turn, command: Command) -> None:
    turn.move(pending="delete", fails=0)
    turn.say("pending.delete")


HANDLERS = {
    "help": _help, "restart": _restart, "back": _back, "edit": _edit, "score": _score,
    "optout": _optout, "optin": _optin, "resume": _resume, "delete": _delete,
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
        if yes:
            turn.emit(fx.ClearAnswers())
            turn.resume_assessment()
        else:
            continue_where_left(turn)
    elif kind == "resume":
        if yes:
            continue_where_left(turn)
        else:
            _restart(turn, Command("restart"))   # asks to confirm when answers would be lost
