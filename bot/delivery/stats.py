"""What /healthz says about sending: what waits, what is due and for how long, what is
out with a worker, what is in doubt, and whether the send window is open."""

from datetime import datetime

from sqlalchemy import func, select

from storage.models import JobRun, Outbox

from .window import SendWindow


def delivery_stats(session, settings, now: datetime) -> dict:
    queued, due, oldest = session.execute(select(
        func.count(), func.count().filter(Outbox.next_attempt_at <= now),
        func.min(Outbox.next_attempt_at)).where(Outbox.status == "queued")).one()
    sending, expired = session.execute(select(
        func.count(), func.count().filter(Outbox.lease_until < now))
        .where(Outbox.status == "sending")).one()
    window = SendWindow.parse(settings.send_window)
    opens = window.next_open(now)
    jobs = {run.name: {"finished_at": run.finished_at.isoformat(timespec="seconds")
                       if run.finished_at else None, "error": run.error}
            for run in session.scalars(select(JobRun).order_by(JobRun.name))}
    return {
        "outbox_queued": queued, "outbox_due": due,
        "outbox_oldest_due_s": round((now - oldest).total_seconds(), 1)
        if due and oldest is not None and oldest <= now else 0.0,
        "outbox_sending": sending, "outbox_lease_expired": expired,
        "send_window": "open" if opens == now else f"closed until {opens.isoformat(timespec='minutes')}",
        "jobs": jobs,
    }
