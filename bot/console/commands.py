"""`flask --app wsgi officers …`: console accounts from the command line."""

from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from storage.models import Officer, Unit

from .audit import record
from .auth import check_password_rules, hash_password

officers_group = AppGroup("officers", help="Console accounts (docs/officer-guide.md).")


def _runtime():
    return current_app.extensions["cdht"]


@officers_group.command("create")
@click.argument("username")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--unit", "unit_code", default=None, help="The unit whose subtree the officer sees.")
@click.option("--admin", is_flag=True, help="A system admin: every unit, accounts, the audit log.")
@click.option("--name", default=None, help="The name shown in the console (default: USERNAME).")
def officers_create(username, password, unit_code, admin, name):
    """Create an account: an officer of --unit, or --admin."""
    if admin == bool(unit_code):
        raise click.UsageError("give either --unit CODE or --admin")
    if (reason := check_password_rules(password)) is not None:
        raise click.ClickException(reason)
    now = datetime.now(timezone.utc)
    with _runtime().db.transaction() as session:
        if session.scalars(select(Officer).where(Officer.username == username)).first():
            raise click.ClickException(f"an account {username!r} exists already")
        unit = None
        if unit_code:
            unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
            if unit is None:
                raise click.ClickException(f"no unit with code {unit_code!r} (see `units list`)")
        session.add(Officer(username=username, password_hash=hash_password(password),
                            name=name or username, unit_id=unit.id if unit else None,
                            role="admin" if admin else "officer", created_at=now))
        record(session, "cli", "officer.create", f"officer {username}", now,
               role="admin" if admin else "officer", unit=unit_code)
    click.echo(f"account {username} created: " + ("system admin" if admin else f"officer of {unit.name}"))


@officers_group.command("list")
def officers_list():
    """username, role, unit, active, last login."""
    with _runtime().db.read() as session:
        for officer in session.scalars(select(Officer).order_by(Officer.username)):
            unit = officer.unit.code if officer.unit else "-"
            last = officer.last_login_at.isoformat(timespec="minutes") if officer.last_login_at else "-"
            click.echo(f"{officer.username}\t{officer.role}\t{unit}\t"
                       f"{'active' if officer.active else 'inactive'}\t{last}")


COMMANDS = (officers_group,)
