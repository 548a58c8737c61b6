"""The host as providers see it (webhooks.contract.Host): the inbound queue (and the
console's inline path), delivery news, counters for /healthz, and token storage."""

import threading
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import select

from storage.models import Outbox
from webhooks.contract import InboundMessage, InboundResult, StatusReport

from .inbound import accept, receive
from .tokens import ZaloTokens


class BotHost:
    def __init__(self, runtime):
        self.runtime = runtime
        self.counters: Counter = Counter()
        self._lock = threading.Lock()
        self._tokens = {"zalo": ZaloTokens(runtime)}

    def inbound(self, message: InboundMessage) -> InboundResult:
        return accept(self.runtime, message, datetime.now(timezone.utc))

    def answer(self, message: InboundMessage) -> InboundResult:
        return receive(self.runtime, message, datetime.now(timezone.utc))

    def status(self, report: StatusReport) -> int:
        return record_status(self.runtime, report, datetime.now(timezone.utc))

    def count(self, name: str) -> None:
        with self._lock:
            self.counters[name] += 1

    def tokens(self, provider: str):
        return self._tokens[provider]


def record_status(runtime, report: StatusReport, now: datetime) -> int:
    """Delivered / seen / failed news on our rows (idempotent: reports come again)."""
    at = report.at or now
    with runtime.db.transaction() as session:
        ours = (Outbox.provider_message_id.in_(report.provider_message_ids)
                | Outbox.id.in_(report.outbox_ids))
        rows = session.scalars(select(Outbox).where(
            Outbox.provider == report.provider, ours,
            # "sending": a fast gateway reports before the dispatcher records the send
            Outbox.status.in_(("sending", "sent", "delivered", "failed")))
            .with_for_update()).all()
        for row in rows:
            if report.status in ("delivered", "seen") and row.status != "failed":
                row.status = "delivered"
                row.delivered_at = row.delivered_at or at
                if report.status == "seen":
                    row.seen_at = row.seen_at or at
            elif report.status == "failed" and row.status != "delivered":
                row.status = "failed"
                row.error = report.reason or row.error
            row.updated_at = now
        return len(rows)
