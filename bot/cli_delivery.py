"""Commands for sending: `worker`, `scheduler`, `jobs`, `broadcast`, `outbox`.

Times given with --now / --at are ISO 8601; without an offset they are Vietnam's time
(what an operator in Hà Nội means by "2026-10-01T08:00")."""

import signal
import threading
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from messages_vi.gsm import segments
from messages_vi.render import TIMEZONE

from .delivery.dispatch import dispatch_pass
from .delivery.recovery import sweep
from .inbound import drain
from .jobs.schedule import JOBS, run_job
from .jobs.scheduler import run_scheduler
from .outreach.broadcasts import STATUS_ORDER, BroadcastError, cancel, create, progress
from .outreach.recipients import STATUSES
from .workers import run_worker


def _runtime():
    return current_app.extensions["cdht"]


class IsoTime(click.ParamType):
    name = "ISO-TIME"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO time such as 2026-10-01T08:00", param, ctx)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=TIMEZONE)


def _until_signal() -> threading.Event:
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    return stopped


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
@click.option("--now", type=IsoTime(), help="With --once: as of this time (tests, catching up).")
@with_appcontext
def worker(once, now):
    """Process inbound messages and send the outbox until stopped (SIGTERM or Ctrl-C).
    Several may run on PostgreSQL; on SQLite one is active and the others wait, and the
    web process usually runs it itself (CDHT_EMBEDDED_WORKERS, docs/operations.md)."""
    runtime = _runtime()
    if now and not once:
        raise click.UsageError("--now needs --once")
    if not once:
        run_worker(runtime, _until_signal(), say=click.echo)
        return
    at = now or datetime.now(timezone.utc)
    swept = sweep(runtime, at)
    inbound = drain(runtime, now)
    sent = 0
    while True:
        passed = dispatch_pass(runtime, now)
        sent += passed.tried
        if not passed.tried:
            break
    click.echo(f"{inbound.processed} inbound event(s) processed; {sent} message(s) sent or tried; "
               f"sends in doubt: {swept}")


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the timed jobs (`jobs list`) until stopped. Start it on every machine you like:
    exactly one runs them, the others wait to take over (docs/operations.md)."""
    run_scheduler(_runtime(), _until_signal(), say=click.echo)


jobs_group = AppGroup("jobs", help="The scheduler's timed jobs.")


@jobs_group.command("list")
def jobs_list():
    """Each job, when it runs and what it does."""
    for name, job in JOBS.items():
        click.echo(f"{name:<12} {job.trigger}  {job.about}")


@jobs_group.command("run")
@click.argument("name", type=click.Choice(list(JOBS)))
@click.option("--now", type=IsoTime(), help="Run as of this time (e.g. three days from now).")
def jobs_run(name, now):
    """Run one job once, now or as of --now (catching up after an outage)."""
    click.echo(f"{name}: {run_job(_runtime(), name, now)}")


broadcast_group = AppGroup("broadcast", help="Announcements to the citizens of a unit.")


@broadcast_group.command("create")
@click.option("--unit", "unit_code", required=True, help="The unit whose subtree is targeted.")
@click.option("--text", required=True, help="The message, in Vietnamese (Zalo).")
@click.option("--sms-text", help="The SMS form; default: the text without diacritics.")
@click.option("--group", help="Only this target group (e.g. nguoi_dan).")
@click.option("--status", type=click.Choice(tuple(STATUSES)), default="all",
              help="This year's assessment: not_started, in_progress, unfinished (either), "
                   "completed, passed, recognised, all.")
@click.option("--channel", type=click.Choice(("zalo", "sms")),
              help="Only citizens with a contact on this channel.")
@click.option("--at", type=IsoTime(), help="Send at this time (default: now).")
@click.option("--key", help="Your name for this request: the same key twice makes one broadcast.")
def broadcast_create(unit_code, text, sms_text, group, status, channel, at, key):
    """Plan a broadcast; prints its id and the number of recipients."""
    runtime, now = _runtime(), datetime.now(timezone.utc)
    try:
        with runtime.db.transaction() as session:
            made = create(session, unit_code, text, now, sms_text=sms_text, group=group,
                          status=status, at=at, created_by="cli", key=key, runtime=runtime,
                          channel=channel)
            broadcast = made.broadcast
            summary = (broadcast.id, broadcast.state, broadcast.send_at, broadcast.sms_text)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from None
    runtime.outbox_waiting.set()
    broadcast_id, state, send_at, sms = summary
    if made.existing:
        click.echo(f"broadcast {broadcast_id} already exists for key {key!r}: nothing new made")
    when = "now" if state == "planned" else send_at.astimezone(TIMEZONE).isoformat(timespec="minutes")
    click.echo(f"broadcast {broadcast_id}: {made.recipients} recipient(s), {state}, sending {when}")
    seg = segments(sms)
    if seg.count > 1:
        click.echo(f"note: the SMS form is {seg.units} characters, {seg.count} segments "
                   f"({seg.encoding}) per recipient")


@broadcast_group.command("status")
@click.argument("broadcast_id", type=int)
def broadcast_status(broadcast_id):
    """Queued / sent / delivered / failed counts, by channel ("auto": not yet routed)."""
    try:
        with _runtime().db.read() as session:
            counts = progress(session, broadcast_id)
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("channel  " + " ".join(f"{s:>9}" for s in STATUS_ORDER))
    totals = dict.fromkeys(STATUS_ORDER, 0)
    for channel in sorted(counts):
        row = counts[channel]
        for s in STATUS_ORDER:
            totals[s] += row.get(s, 0)
        click.echo(f"{channel:<8} " + " ".join(f"{row.get(s, 0):>9}" for s in STATUS_ORDER))
    click.echo("total    " + " ".join(f"{totals[s]:>9}" for s in STATUS_ORDER))


@broadcast_group.command("cancel")
@click.argument("broadcast_id", type=int)
def broadcast_cancel(broadcast_id):
    """Stop what has not gone yet."""
    try:
        with _runtime().db.transaction() as session:
            stopped = cancel(session, broadcast_id, datetime.now(timezone.utc))
    except BroadcastError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"broadcast {broadcast_id} cancelled: {stopped} message(s) will not be sent")


outbox_group = AppGroup("outbox", help="Sending what is queued.")


@outbox_group.command("dispatch")
def outbox_dispatch():
    """Send the due outbox rows once (`worker` keeps sending)."""
    click.echo(f"{dispatch_pass(_runtime()).tried} message(s) tried")


COMMANDS = (worker, scheduler, jobs_group, broadcast_group, outbox_group)
