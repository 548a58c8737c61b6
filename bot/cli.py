"""Command-line operations: `flask --app wsgi <command>`."""

import json
import sys
import uuid
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from storage import migrate
from storage.models import Unit
from webhooks.contract import InboundMessage

from .export import assessment_rows
from webhooks.http import mask

from . import cli_delivery
from .console import commands as console_commands
from .console.audit import record
from .console.backfill import fill_competence_points
from .inbound import drain, receive
from .inbound.queue import parked, retry
from .seed import seed_demo
from .demo_citizens import add_demo_citizens
from .tokens import TokenError
from .units.admin_import import find_province, import_province


def _runtime():
    return current_app.extensions["cdht"]


db_group = AppGroup("db", help="Database schema (Alembic migrations).")
units_group = AppGroup("units", help="The unit tree.")
assessments_group = AppGroup("assessments", help="Citizens' assessments.")
zalo_group = AppGroup("zalo", help="The Zalo OA's OAuth tokens (docs/zalo.md).")
inbound_group = AppGroup("inbound", help="The queue of received messages.")


@inbound_group.command("process")
def inbound_process():
    """Process what is pending now, then stop."""
    done = drain(_runtime())
    click.echo(f"{done.processed} event(s) processed, {done.failed} failed try(s)")


@inbound_group.command("failed")
def inbound_failed():
    """Events parked after failing every try: id, when, who (masked), error."""
    with _runtime().db.read() as session:
        events = parked(session)
        for event in events:
            click.echo(f"{event.id}\t{event.received_at.isoformat(timespec='seconds')}\t"
                       f"{event.provider}\t{mask(event.address or '')}\t{event.attempts} tries\t"
                       f"{event.error}")
    if not events:
        click.echo("no failed inbound events")


@inbound_group.command("retry")
@click.argument("event_id", type=int, required=False)
@click.option("--all", "everything", is_flag=True, help="Every parked event.")
def inbound_retry(event_id, everything):
    """Put a parked event (or --all) back in the queue."""
    if (event_id is None) == (not everything):
        raise click.UsageError("give an event ID or --all")
    count = retry(_runtime(), None if everything else [event_id])
    if event_id is not None and not count:
        raise click.ClickException(f"no failed inbound event {event_id}")
    click.echo(f"{count} event(s) queued again")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(_runtime().settings.database_url, revision)
    if revision == "head":
        filled = fill_competence_points(_runtime())
        if filled:
            click.echo(f"{filled} completed assessment(s) given their points per competence")
    click.echo(f"database at {revision}")


@click.command("seed-demo")
@click.option("--citizens", default=0, show_default=True,
              help="Also add this many demo citizens at every stage (once).")
@with_appcontext
def seed_demo_command(citizens):
    """Load the demo unit tree (Hưng Yên) and the demo officer; safe to run twice."""
    rt = _runtime()
    now = datetime.now(timezone.utc)
    with rt.db.transaction() as session:
        summary = seed_demo(session, rt.settings.demo_password, now)
    rt.units_changed()
    click.echo(f"demo data: {summary['province']}, {summary['units']} units")
    if citizens:
        with rt.db.transaction() as session:
            added = add_demo_citizens(session, rt, citizens, now)
        click.echo(f"demo citizens: {added} added" if added else "demo citizens: already there")
    click.echo(f"demo officer login: {summary['officer']} / {summary['password']} "
               f"(console: {rt.settings.public_url}/admin/)")


@units_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl")
def units_list(fmt):
    """One JSON object per unit: code, name, kind, parent_code."""
    with _runtime().db.read() as session:
        units = session.scalars(select(Unit).order_by(Unit.path)).all()
        for unit in units:
            click.echo(json.dumps({"code": unit.code, "name": unit.name, "kind": unit.kind,
                                   "parent_code": unit.parent.code if unit.parent else None},
                                  ensure_ascii=False))


@units_group.command("import-admin")
@click.option("--province", "wanted", required=True, help='Official code (33) or name ("hung yen").')
def units_import_admin(wanted):
    """Create or complete a province's tree from the official 2025 divisions; safe to rerun."""
    province = find_province(wanted)
    if province is None:
        raise click.ClickException(f"no province {wanted!r} in the 2025 divisions")
    rt = _runtime()
    with rt.db.transaction() as session:
        plan = import_province(session, province)
        record(session, "cli", "unit.import_admin", f"unit {plan.province}",
               datetime.now(timezone.utc), province=province.name, **plan.counts())
    rt.units_changed()
    counts = plan.counts()
    click.echo(f"{province.name}: {counts['created']} created, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged")
    for conflict in plan.conflicts:
        click.echo(f"not placed: {conflict}", err=True)


@assessments_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl")
@click.option("--unit", "unit_code", default=None, help="Only citizens of this unit's subtree.")
def assessments_export(fmt, unit_code):
    """One JSON object per assessment, unfinished ones included (docs/export.md)."""
    rt = _runtime()
    with rt.db.read() as session:
        try:
            for row in assessment_rows(session, rt.criteria_sets, unit_code):
                click.echo(json.dumps(row, ensure_ascii=False))
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None


@click.command("chat")
@click.option("--channel", type=click.Choice(["zalo", "sms"]), default="zalo")
@click.option("--from", "sender", required=True, help="Zalo user id or phone number.")
@with_appcontext
def chat(channel, sender):
    """Talk to the bot in the terminal, as a citizen on CHANNEL."""
    rt = _runtime()
    click.echo(f"Chatting as {sender} on {channel}. Ctrl-D to stop.")
    for line in sys.stdin:
        message = InboundMessage("console", uuid.uuid4().hex, channel, sender, line.rstrip("\n"))
        for reply in receive(rt, message).replies:
            note = f"   [{reply.segments} SMS, {reply.encoding}]" if channel == "sms" else ""
            click.echo(f"< {reply.text}{note}")


def _zalo_tokens():
    return _runtime().host.tokens("zalo")


@zalo_group.command("auth-url")
def zalo_auth_url():
    """Print the OA permission URL (PKCE); an OA admin opens it, then run `zalo exchange CODE`."""
    click.echo(_zalo_tokens().permission_url(state=uuid.uuid4().hex[:16]))


@zalo_group.command("exchange")
@click.argument("code")
def zalo_exchange(code):
    """Trade the CODE from the permission callback for the first token pair."""
    try:
        expires = _zalo_tokens().exchange(code)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tokens stored; access valid until {expires.isoformat()}")


@zalo_group.command("set-tokens")
@click.argument("access")
@click.argument("refresh")
def zalo_set_tokens(access, refresh):
    """Store a token pair obtained elsewhere (e.g. Zalo's API Explorer)."""
    _zalo_tokens().set_tokens(access, refresh)
    click.echo("tokens stored (access assumed valid for 25 h)")


@zalo_group.command("refresh")
@click.option("--force", is_flag=True, help="Refresh even if more than 3 h remain.")
def zalo_refresh(force):
    """Refresh the access token now (the scheduler's zalo-token job does it ahead of expiry)."""
    try:
        _zalo_tokens().refresh(reason="forced" if force else "ahead")
    except TokenError as exc:
        raise click.ClickException(f"refresh failed, old tokens kept: {exc}") from None
    click.echo(json.dumps(_zalo_tokens().status(), ensure_ascii=False))


@zalo_group.command("status")
def zalo_status():
    """Token expiry, last refresh and last error; never the tokens."""
    click.echo(json.dumps(_zalo_tokens().status(), ensure_ascii=False, indent=2))


def register(app) -> None:
    for command in (db_group, units_group, assessments_group, zalo_group, inbound_group,
                    seed_demo_command, chat, *cli_delivery.COMMANDS, *console_commands.COMMANDS):
        app.cli.add_command(command)
