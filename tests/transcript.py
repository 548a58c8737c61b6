"""Run a chat transcript against the whole bot: pipeline, engine, storage, rendering.

    # comment
    channel: sms            (header; also `from: 0912345678`, `start: 2026-11-22 09:00`)
    > co                    the citizen sends "co"
    < Cam on ong/ba. ...    the next reply, exactly
    <~ Cau 3/10             the next reply contains this
      1. Thường xuyên       (indented lines continue the reply above, after a line break)
    @ +15d                  time passes (d, h, m)
    % profile phone=849…    the citizen shares data through Zalo (user_submit_info)
    ! restart               a new app on the same database (a process restart)
    ! dispatch              run the outbox dispatcher once
    = {"total": 79}         the citizen's latest exported assessment contains these fields

Each `>` must be followed by exactly the replies it produced, in order.
"""

import json
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.export import assessment_rows
from bot.inbound import receive
from bot.inbound.accept import normalise_address
from bot.delivery.dispatch import dispatch_due
from webhooks.contract import InboundMessage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DELTA = re.compile(r"^\+(\d+)([dhm])$")


class TranscriptError(AssertionError):
    pass


def _logical_lines(text: str):
    """(line number, line) with indented continuation lines joined by a newline."""
    lines: list[list] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("  ") and lines and lines[-1][1].startswith("<"):
            lines[-1][1] += "\n" + line[2:]
        else:
            lines.append([number, line])
    return [(n, l) for n, l in lines]


def run_transcript(text: str, make_app, name: str = "transcript") -> None:
    app = make_app()
    channel, sender = "zalo", "zalo-user-1"
    now = datetime(2026, 11, 22, 9, 0, tzinfo=TZ)
    pending: list[str] = []
    sent_line = None

    def check_done():
        if pending:
            raise TranscriptError(f"{name}: after {sent_line!r} there were more replies:\n"
                                  + "\n".join(f"  < {p}" for p in pending))

    for number, line in _logical_lines(text):
        where = f"{name}:{number}"
        if not line.strip() or line.startswith("#"):
            continue
        tag, _, rest = line.partition(" ")
        if tag == "channel:":
            channel = rest.strip()
        elif tag == "from:":
            sender = rest.strip()
        elif tag == "start:":
            now = datetime.fromisoformat(rest.strip()).replace(tzinfo=TZ)
        elif tag == ">":
            check_done()
            sent_line = line
            message = InboundMessage("console", uuid.uuid4().hex, channel, sender, rest)
            result = receive(app.extensions["cdht"], message, now)
            pending = [r.text for r in result.replies]
            now += timedelta(seconds=20)
        elif tag in ("<", "<~"):
            if not pending:
                raise TranscriptError(f"{where}: expected a reply {rest!r} after {sent_line!r}, got none")
            got = pending.pop(0)
            ok = got == rest if tag == "<" else rest in got
            if not ok:
                raise TranscriptError(f"{where}: after {sent_line!r}\n  expected {tag} {rest}\n  got        {got}")
        elif tag == "%":
            check_done()   # "% profile phone=84912345678 name=…": Zalo's user_submit_info
            kind, *pairs = rest.split()
            shared = dict(pair.split("=", 1) for pair in pairs)
            message = InboundMessage("console", uuid.uuid4().hex, channel, sender, "", kind=kind,
                                     profile=shared)
            sent_line = line
            pending = [r.text for r in receive(app.extensions["cdht"], message, now).replies]
            now += timedelta(seconds=20)
        elif tag == "@":
            match = _DELTA.match(rest.strip())
            amount, unit = int(match.group(1)), match.group(2)
            now += timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})
        elif tag == "!" and rest.strip() == "restart":
            check_done()
            app = make_app()
        elif tag == "!" and rest.strip() == "dispatch":
            dispatch_due(app.extensions["cdht"], now)
        elif tag == "=":
            check_done()
            expected = json.loads(rest)
            runtime = app.extensions["cdht"]
            with runtime.db.read() as session:
                address = normalise_address(InboundMessage("console", "", channel, sender, ""))
                rows = [r for r in assessment_rows(session, runtime.criteria_sets)
                        if {"channel": channel, "address": address} in r["citizen"]["contacts"]]
            if not rows:
                raise TranscriptError(f"{where}: no assessment for {sender}")
            row = rows[-1]
            for key, value in expected.items():
                if row.get(key) != value:
                    raise TranscriptError(f"{where}: {key} is {row.get(key)!r}, expected {value!r}")
        else:
            raise TranscriptError(f"{where}: cannot read line {line!r}")
    check_done()
