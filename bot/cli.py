"""Command-line operations: `flask --app wsgi <command>`."""

import json
import sys
import time
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
from .inbound import receive
from .outbox import dispatch_due
from .seed import seed_demo
from .tokens import TokenError, keep_fresh
from .workers import TOKEN_CHECK_SECONDS


def _runtime():
    return current_app.extensions["cdht"]


db_group = AppGroup("db", help="Database schema (Alembic migrations).")
units_group = AppGroup("units", help="The unit tree.")
assessments_group = AppGroup("assessments", help="Citizens' assessments.")
zalo_group = AppGroup("zalo", help="The Zalo OA's OAuth tokens (docs/zalo.md).")
outbox_group = AppGroup("outbox", help="Sending what is queued.")


@outbox_group.command("dispatch")
@click.option("--loop", is_flag=True, help="Keep sending until stopped (one worker process).")
def outbox_dispatch(loop):
    """Send the due outbox rows: once, or in a loop (for PostgreSQL deployments, where the
    web processes do not send; several workers, rate limits and fallback come later)."""
    rt = _runtime()
    next_token_check = 0.0
    while True:
        if loop and time.monotonic() >= next_token_check:
            keep_fresh(rt)   # refreshes only when under 3 h of the Zalo token remain
            next_token_check = time.monotonic() + TOKEN_CHECK_SECONDS
        sent = dispatch_due(rt)
        if not loop:
            click.echo(f"{sent} message(s) tried")
            return
        if not sent:
            rt.outbox_waiting.wait(rt.settings.dispatch_interval)


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Apply migrations up to REVISION (default: head)."""
    migrate.upgrade(_runtime().settings.database_url, revision)
    click.echo(f"database at {revision}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo unit tree (Hưng Yên) and the demo officer; safe to run twice."""
    rt = _runtime()
    with rt.db.transaction() as session:
        summary = seed_demo(session, rt.settings.demo_password, datetime.now(timezone.utc))
    rt.units_changed()
    click.echo(f"demo data: {summary['province']}, {summary['units']} units")
    click.echo(f"demo officer login: {summary['officer']} / {summary['password']}")


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
    """Refresh the access token ahead of expiry (the scheduler will run this)."""
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
    for command in (db_group, units_group, assessments_group, zalo_group, outbox_group,
                    seed_demo_command, chat):
        app.cli.add_command(command)
