"""Everything a running bot holds once: settings, database, catalog, flows, criteria,
channels. Built by create_app; nothing here connects or starts at import time."""

import re
import threading
from datetime import timedelta
from pathlib import Path

from flows.engine import Script
from flows.loading import FLOWS_DIR, load_all_criteria, load_flow
from messages_vi.render import Catalog
from sqlalchemy import select
from sqlalchemy.engine import make_url

from storage.db import Database
from storage.inbox import Inbox
from storage.models import Assessment
from webhooks.registry import PROVIDERS

from .config import ConfigError, Settings
from .delivery.dispatch import Sender
from .doorbell import Doorbell
from .units.directory import load_directory


def _version_key(criteria) -> tuple:
    """Official sets before drafts, then by version with numbers compared as numbers."""
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                  for p in re.split(r"(\d+)", criteria.version) if p)
    return (criteria.status == "official", parts)


def pick_criteria(sets, set_id: str, version: str | None):
    """The set new assessments use: the pinned version, else the newest official one,
    else the newest draft."""
    candidates = [cs for (i, v), cs in sets.items() if i == set_id and version in (None, v)]
    if not candidates:
        known = ", ".join(f"{i} {v}" for i, v in sorted(sets))
        raise ConfigError(f"criteria set {set_id} {version or ''} not found (known: {known})")
    return max(candidates, key=_version_key)


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.db = Database(settings.database_url)
        self.catalog = Catalog.load()
        self.criteria_sets = load_all_criteria()
        if settings.criteria_dir:
            extra = load_all_criteria(Path(settings.criteria_dir))
            clash = set(extra) & set(self.criteria_sets)
            if clash:
                raise ConfigError(f"CDHT_CRITERIA_DIR redefines {sorted(clash)}")
            self.criteria_sets.update(extra)
        self.criteria = pick_criteria(self.criteria_sets, settings.criteria_set,
                                      settings.criteria_version)
        self.registration = load_flow(FLOWS_DIR / "registration.toml")
        from .host import BotHost   # the host needs the runtime it belongs to
        self.host = BotHost(self)
        try:   # only the providers this deployment uses; rows for others fail clearly
            self.channels = {name: provider.make_channel(self.host, settings)
                             for name, provider in PROVIDERS.items() if provider.configured(settings)}
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        for name in ("sms_reply_gateway", "sms_bulk_gateway"):
            chosen = getattr(settings, name)
            if chosen and chosen not in self.channels:
                raise ConfigError(f"CDHT_{name.upper()}={chosen} but that gateway is not configured")
        self.outbox_waiting = threading.Event()   # set after a commit that queued messages
        self.sender = Sender(settings.send_concurrency)   # the dispatcher's thread pool
        self.doorbell = Doorbell(settings.database_url)   # rung after a commit that stored an event
        database = make_url(settings.database_url).database
        # SQLite: webhooks write to a file of their own (storage/inbox.py)
        self.inbox = Inbox(database) if self.db.is_sqlite and database not in (None, "", ":memory:") \
            else None
        self._script: Script | None = None
        self._lock = threading.Lock()

    def script(self) -> Script:
        """The engine's view of the world; the unit directory is read from the database once."""
        with self._lock:
            if self._script is None:
                with self.db.read() as session:
                    directory = load_directory(session, self.default_help())
                    self.check_stored_criteria(session)
                self._script = Script(
                    registration=self.registration, criteria=self.criteria, directory=directory,
                    criteria_sets=self.criteria_sets,
                    expiry=timedelta(days=self.settings.session_expiry_days))
            return self._script

    def check_stored_criteria(self, session) -> None:
        """Every stored assessment is scored by the set it was started with: refuse to run
        without that set's file rather than score it against another."""
        stored = session.execute(select(Assessment.criteria_set, Assessment.criteria_version)
                                 .distinct()).all()
        missing = sorted({(i, v) for i, v in stored} - set(self.criteria_sets))
        if missing:
            raise ConfigError("assessments in the database use criteria sets that are not "
                              f"loaded: {missing}; keep their files in flows/criteria/")

    def dispose(self) -> None:
        """Close the database files and sockets (tests build many runtimes)."""
        self.sender.close()
        self.db.dispose()
        if self.inbox is not None:
            self.inbox.dispose()
        self.doorbell.close()

    def units_changed(self) -> None:
        with self._lock:
            self._script = None

    def default_help(self):
        s = self.settings
        return (s.help_name or "Hội Khuyến học", s.help_phone) if s.help_phone else None

    def pupil_groups(self) -> set[str]:
        return {g.id for cs in self.criteria_sets.values() for g in cs.groups if g.pupils}
