"""Zalo OA tokens in the database: one row per OA, refreshed by one process at a time.

A refresh token works once. So a refresh first takes a lease on the row, in a short
transaction under a lock (PostgreSQL: the row, FOR UPDATE; SQLite: the immediate
transaction): whoever finds no live lease sets one and refreshes; the others wait
for the lease to end and then use the new pair without calling Zalo. The call itself
runs outside any transaction, so webhooks never wait on the database for Zalo. The
new pair is saved, and the lease ended, before anyone uses it. An answer that is not
a full pair is never stored: the old pair stays, the error is kept on the row and
shown on /healthz.
"""

import logging
import time
from datetime import datetime, timedelta, timezone

import requests
from sqlalchemy import select

from storage.models import ProviderToken
from webhooks.zalo import oauth
from webhooks.zalo.channel import send_request
from webhooks.contract import RetryLater

log = logging.getLogger(__name__)
REFRESH_AHEAD = timedelta(hours=3)   # of the 25 h an access token lives
CACHE_SECONDS = 30                   # how long `current` trusts the token it read
REFRESH_TIMEOUT = 30                 # a slow answer must not lose a rotated (single-use) pair
LEASE = timedelta(seconds=REFRESH_TIMEOUT * 2 + 10)   # longer than one refresh can take
WAIT_STEP = 0.1


class TokenError(Exception):
    pass


class ZaloTokens:
    """The contract's TokenProvider for Zalo, plus the operations the CLI runs."""

    def __init__(self, runtime, http=None, clock=None):
        self.runtime = runtime
        self.settings = runtime.settings
        self.http = http or requests.Session()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._cached: tuple[str, float] | None = None   # (access token, monotonic read time)

    @property
    def account(self) -> str:
        return self.settings.zalo_oa_id or self.settings.zalo_app_id or "default"

    def _row(self, session, lock: bool = False) -> ProviderToken | None:
        query = select(ProviderToken).where(ProviderToken.provider == "zalo",
                                            ProviderToken.account == self.account)
        return session.scalars(query.with_for_update() if lock else query).first()

    def _row_or_new(self, session) -> ProviderToken:
        row = self._row(session, lock=True)
        if row is None:
            row = ProviderToken(provider="zalo", account=self.account, updated_at=self.clock())
            session.add(row)
            session.flush()
        return row

    # -- TokenProvider ------------------------------------------------------------
    def current(self) -> str | None:
        """The stored access token, kept in memory for CACHE_SECONDS: every send asks, and
        a database read per message cost more than the send itself (docs/performance.md).
        A token another process replaced meanwhile is refused by Zalo once, and
        `replace_refused` then finds the new one without refreshing again."""
        cached = self._cached
        if cached and time.monotonic() - cached[1] < CACHE_SECONDS:
            return cached[0]
        with self.runtime.db.read() as session:
            row = self._row(session)
            token = row.access_token if row else None
        self._cached = (token, time.monotonic()) if token else None
        return token

    def replace_refused(self, refused: str) -> str | None:
        self._cached = None
        try:
            token = self.refresh(reason="refused", refused=refused)
        except TokenError:
            return None
        return token

    # -- operations ---------------------------------------------------------------
    def refresh(self, reason: str = "ahead", refused: str | None = None) -> str | None:
        self._cached = None
        return self._refresh(reason, refused)

    def _refresh(self, reason: str, refused: str | None) -> str | None:
        """Refresh once across all processes. "ahead": only when less than 3 h remain.
        "refused": only if `refused` is still the stored token (else another process
        already did). Returns the access token to use; raises TokenError when Zalo's
        answer is not a new pair (the old pair is kept, the error recorded)."""
        deadline = self.clock() + LEASE + timedelta(seconds=5)
        while True:
            decision, value = self._take_lease(reason, refused)
            if decision == "use":
                return value
            if decision == "refresh":
                return self._refresh_with(value, reason)
            if self.clock() > deadline:           # the holder died mid-refresh
                raise TokenError("another process's token refresh did not finish")
            time.sleep(WAIT_STEP)

    def _take_lease(self, reason: str, refused: str | None) -> tuple[str, str | None]:
        """("use", token), ("refresh", refresh token under our lease) or ("wait", None).
        The lease is a short transaction, so nobody waits on the database while Zalo
        answers (a refresh can take seconds; webhooks must answer in two)."""
        with self.runtime.db.transaction() as session:
            row = self._row(session, lock=True)
            now = self.clock()
            if row is None or not row.refresh_token:
                raise TokenError("no Zalo refresh token stored: run `flask --app wsgi zalo set-tokens`")
            if row.refreshing_until and row.refreshing_until > now:
                return "wait", None
            if refused is not None and row.access_token != refused:
                return "use", row.access_token        # rotated by someone else meanwhile
            if reason == "ahead" and row.access_expires_at and row.access_expires_at - now > REFRESH_AHEAD:
                return "use", row.access_token        # still fresh
            row.refreshing_until = now + LEASE
            return "refresh", row.refresh_token

    def _refresh_with(self, refresh_token: str, reason: str) -> str:
        request = oauth.refresh_request(self.settings.zalo_oauth_url, self.settings.zalo_app_id or "",
                                        self.settings.zalo_app_secret or "", refresh_token)
        try:
            pair = oauth.read_tokens(*send_request(self.http, request, timeout=REFRESH_TIMEOUT),
                                     self.clock())
            failure = None
        except (oauth.OAuthError, RetryLater) as exc:
            pair, failure = None, str(exc)
        with self.runtime.db.transaction() as session:
            row = self._row(session, lock=True)
            now = self.clock()
            row.refreshing_until, row.updated_at = None, now
            if pair is not None:
                self._store(row, pair, now)   # durable before anyone uses it
                log.info("Zalo tokens rotated (%s); access valid until %s", reason, pair.expires_at)
                return pair.access_token
            row.last_error, row.last_error_at = failure, now
        log.error("ZALO TOKEN REFRESH FAILED (%s): %s; keeping the old pair", reason, failure)
        raise TokenError(failure)

    def _store(self, row: ProviderToken, pair: oauth.TokenPair, now: datetime) -> None:
        row.access_token, row.refresh_token = pair.access_token, pair.refresh_token
        row.access_expires_at, row.refreshed_at, row.updated_at = pair.expires_at, now, now
        row.last_error = row.last_error_at = None

    def set_tokens(self, access: str, refresh: str, expires_at: datetime | None = None) -> None:
        self._cached = None
        now = self.clock()
        with self.runtime.db.transaction() as session:
            self._store(self._row_or_new(session),
                        oauth.TokenPair(access, refresh, expires_at or now + oauth.ACCESS_LIFETIME), now)

    def permission_url(self, state: str) -> str:
        """The PKCE verifier (CDHT_ZALO_PKCE_VERIFIER, else a new one) is kept on the row
        for `exchange`."""
        verifier = self.settings.zalo_pkce_verifier or oauth.new_verifier()
        with self.runtime.db.transaction() as session:
            row = self._row_or_new(session)
            row.pkce_verifier, row.updated_at = verifier, self.clock()
        redirect = self.settings.zalo_redirect_uri or f"{self.settings.public_url.rstrip('/')}/zalo/callback"
        return oauth.permission_url(self.settings.zalo_oauth_url, self.settings.zalo_app_id or "",
                                    redirect, verifier, state)

    def exchange(self, code: str) -> datetime:
        self._cached = None
        with self.runtime.db.transaction() as session:
            row = self._row_or_new(session)
            verifier = row.pkce_verifier
        if not verifier:
            raise TokenError("no PKCE verifier stored: run `flask --app wsgi zalo auth-url` first")
        request = oauth.exchange_request(self.settings.zalo_oauth_url, self.settings.zalo_app_id or "",
                                         self.settings.zalo_app_secret or "", code, verifier)
        try:
            pair = oauth.read_tokens(*send_request(self.http, request, timeout=REFRESH_TIMEOUT),
                                     self.clock())
        except (oauth.OAuthError, RetryLater) as exc:
            raise TokenError(str(exc)) from exc
        with self.runtime.db.transaction() as session:
            self._store(self._row_or_new(session), pair, self.clock())
        return pair.expires_at

    def status(self) -> dict:
        """For /healthz and `zalo status`: never the tokens themselves."""
        with self.runtime.db.read() as session:
            row = self._row(session)
        if row is None or not row.access_token:
            return {"token": "missing"}
        now = self.clock()
        state = "ok" if row.access_expires_at and row.access_expires_at > now else "expired"
        return {"token": state, "account": row.account,
                "access_expires_at": row.access_expires_at.isoformat() if row.access_expires_at else None,
                "refreshed_at": row.refreshed_at.isoformat() if row.refreshed_at else None,
                "last_refresh_error": row.last_error,
                "last_refresh_error_at": row.last_error_at.isoformat() if row.last_error_at else None}


def keep_fresh(runtime) -> None:
    """Refresh the Zalo token ahead of expiry if it is configured (the scheduler's
    zalo-token job). Failures are logged and kept on the row by `refresh`; they never
    stop the scheduler."""
    settings = runtime.settings
    if not (settings.zalo_app_secret and (settings.zalo_oa_id or settings.zalo_app_id)):
        return
    tokens = runtime.host.tokens("zalo")
    expires = tokens.status().get("access_expires_at")
    if not expires or datetime.fromisoformat(expires) - tokens.clock() > REFRESH_AHEAD:
        return   # missing (nothing to refresh) or still fresh: a read, no lock
    try:
        tokens.refresh(reason="ahead")
    except TokenError:
        pass
