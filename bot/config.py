"""Settings: defaults, then the environment (CDHT_ prefix, plus DATABASE_URL), then
explicit overrides (tests). Every setting is documented in docs/configuration.md."""

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from webhooks.registry import SMS_GATEWAYS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'instance' / 'cdht.sqlite3'}"
TRUE = {"1", "true", "yes", "on"}
DEV_SECRET_KEY = "dev-only-change-me"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    console: bool = False                  # CDHT_CONSOLE: /webhooks/console and /simulator
    embedded_workers: bool | None = None   # CDHT_EMBEDDED_WORKERS; None → on for SQLite
    criteria_set: str = "cdht-2023"        # CDHT_CRITERIA_SET: the set new assessments use
    criteria_version: str | None = None    # CDHT_CRITERIA_VERSION; None → the newest of that id
    criteria_dir: str | None = None        # CDHT_CRITERIA_DIR: more criteria files, beside flows/criteria
    session_expiry_days: int = 14          # CDHT_SESSION_EXPIRY_DAYS
    help_name: str | None = None           # CDHT_HELP_NAME / CDHT_HELP_PHONE: who to call when
    help_phone: str | None = None          #   the citizen's unit has no phone of its own
    dispatch_interval: float = 1.0         # CDHT_DISPATCH_INTERVAL: seconds between outbox polls
    inbound_poll: float = 5.0              # CDHT_INBOUND_POLL: seconds between queue polls (the
                                           #   safety net: workers are woken at once otherwise)
    inbound_attempts: int = 3              # CDHT_INBOUND_ATTEMPTS: tries before an event is parked
    worker_nice: int = 10                  # CDHT_WORKER_NICE: the worker process's CPU niceness
                                           #   (acknowledging first when the CPU is short)
    max_attempts: int = 5                  # CDHT_MAX_ATTEMPTS: sends tried before "failed"
    # Delivery (docs/operations.md)
    send_window: str = "07:00-21:00"       # CDHT_SEND_WINDOW: when reminders and announcements
                                           #   go out, Vietnam time; "always": at any hour
    send_batch: int = 64                   # CDHT_SEND_BATCH: outbox rows claimed at a time
    send_concurrency: int = 8              # CDHT_SEND_CONCURRENCY: sends in flight per worker
    send_lease: float = 120.0              # CDHT_SEND_LEASE: seconds a claim lasts; a row still
                                           #   "sending" after it is checked and sent again
    provider_timeout: float = 10.0         # CDHT_PROVIDER_TIMEOUT: seconds to wait for a provider
    rate_zalo: float = 60.0                # CDHT_RATE_ZALO: messages/s per OA (0: no limit)
    rate_zns: float = 10.0                 # CDHT_RATE_ZNS
    rate_kannel: float = 10.0              # CDHT_RATE_KANNEL
    rate_smsgate: float = 1.0              # CDHT_RATE_SMSGATE: one Android phone's pace
    price_sms: float | None = None        # CDHT_PRICE_SMS: VND per SMS segment, for the
                                           #   console's cost estimate (None: not set)
    price_zns: float | None = None         # CDHT_PRICE_ZNS: VND per ZNS message
    figures_snapshot_from: int = 50_000    # CDHT_FIGURES_SNAPSHOT_FROM: a subtree with this many
                                           #   citizens reads its figures from a snapshot
                                           #   computed every 5 minutes (0: always live)
    reminder_days: str = "1,3,7"           # CDHT_REMINDER_DAYS: days of silence before each
                                           #   reminder of an unfinished assessment ("off": none)
    public_url: str = "http://127.0.0.1:5000"  # CDHT_PUBLIC_URL: how providers reach us
    # Zalo Official Account (docs/zalo.md)
    zalo_app_id: str | None = None         # CDHT_ZALO_APP_ID
    zalo_oa_id: str | None = None          # CDHT_ZALO_OA_ID
    zalo_oa_link: str | None = None        # CDHT_ZALO_OA_LINK: what the posters' QR code opens;
                                           #   None → https://zalo.me/<CDHT_ZALO_OA_ID>
    zalo_oa_secret: str | None = None      # CDHT_ZALO_OA_SECRET: the Webhook page's secret key
    zalo_app_secret: str | None = None     # CDHT_ZALO_APP_SECRET: the token endpoint's secret_key
    zalo_openapi_url: str = "https://openapi.zalo.me"            # CDHT_ZALO_OPENAPI_URL
    zalo_oauth_url: str = "https://oauth.zaloapp.com"            # CDHT_ZALO_OAUTH_URL
    zalo_business_url: str = "https://business.openapi.zalo.me"  # CDHT_ZALO_BUSINESS_URL
    zalo_signature: str = "enforce"        # CDHT_ZALO_SIGNATURE: enforce | log
    zalo_paid_window: str = "replies"      # CDHT_ZALO_PAID_WINDOW: allow | deny | replies
    zalo_redirect_uri: str | None = None   # CDHT_ZALO_REDIRECT_URI; None → PUBLIC_URL/zalo/callback
    zalo_pkce_verifier: str | None = None  # CDHT_ZALO_PKCE_VERIFIER: the one matching the challenge
                                           #   saved in Zalo's console; None → a new one per auth-url
    zns_templates: str | None = None       # CDHT_ZNS_TEMPLATES: {"kind": "template id"} JSON
    # SMS gateways (docs/sms.md)
    kannel_sendsms_url: str | None = None  # CDHT_KANNEL_SENDSMS_URL: smsbox's /cgi-bin/sendsms
    kannel_user: str | None = None         # CDHT_KANNEL_USER / CDHT_KANNEL_PASSWORD: sendsms-user
    kannel_password: str | None = None
    kannel_mo_secret: str | None = None    # CDHT_KANNEL_MO_SECRET: in kannel.conf's get-url
    kannel_sender: str | None = None       # CDHT_KANNEL_SENDER: the from= of our SMS
    smsgate_url: str | None = None         # CDHT_SMSGATE_URL: the phone's local server or the cloud API
    smsgate_user: str | None = None        # CDHT_SMSGATE_USER / CDHT_SMSGATE_PASSWORD: Basic auth
    smsgate_password: str | None = None
    smsgate_signing_key: str | None = None  # CDHT_SMSGATE_SIGNING_KEY: webhook X-Signature
    sms_reply_gateway: str | None = None   # CDHT_SMS_REPLY_GATEWAY: kannel | smsgate
    sms_bulk_gateway: str | None = None    # CDHT_SMS_BULK_GATEWAY: kannel | smsgate
    sms_number: str | None = None          # CDHT_SMS_NUMBER: the number citizens text, printed
                                           #   on the posters; None → no SMS line on them
    secret_key: str = DEV_SECRET_KEY       # CDHT_SECRET_KEY: signs the console's session cookies
    demo_password: str = "khuyenhoc-demo"   # CDHT_DEMO_PASSWORD: the seed-demo officer's

    @property
    def workers_embedded(self) -> bool:
        if self.embedded_workers is not None:
            return self.embedded_workers
        return self.database_url.startswith("sqlite")

    @property
    def oa_link(self) -> str | None:
        """The Zalo link the posters' QR code opens: CDHT_ZALO_OA_LINK, else the OA's page."""
        if self.zalo_oa_link:
            return self.zalo_oa_link.strip()
        return f"https://zalo.me/{self.zalo_oa_id.strip()}" if self.zalo_oa_id else None

    @property
    def reminder_ladder(self) -> tuple[int, ...]:
        """"1,3,7" → (1, 3, 7); "off" (or "") → no reminders."""
        spec = self.reminder_days.replace(" ", "").lower()
        if spec in ("", "off", "none"):
            return ()
        return tuple(int(day) for day in spec.split(",") if day)

    def check(self) -> "Settings":
        choices = {"zalo_signature": ("enforce", "log"),
                   "zalo_paid_window": ("allow", "deny", "replies"),
                   "sms_reply_gateway": (None, *SMS_GATEWAYS),
                   "sms_bulk_gateway": (None, *SMS_GATEWAYS)}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                names = ", ".join(a for a in allowed if a)
                raise ConfigError(f"CDHT_{name.upper()} must be one of {names}")
        from .delivery.window import SendWindow
        try:
            SendWindow.parse(self.send_window)
        except ValueError as exc:
            raise ConfigError(f"CDHT_SEND_WINDOW: {exc}") from None
        try:
            ladder = self.reminder_ladder
        except ValueError:
            ladder = ()
        if list(ladder) != sorted(set(ladder)) or any(day <= 0 for day in ladder) or (
                not ladder and self.reminder_days.strip().lower() not in ("", "off", "none")):
            raise ConfigError("CDHT_REMINDER_DAYS must be increasing whole days, e.g. 1,3,7, or off")
        if self.zalo_oa_link and not self.zalo_oa_link.strip().startswith(("https://", "http://")):
            raise ConfigError("CDHT_ZALO_OA_LINK must be a web address, "
                              "e.g. https://zalo.me/<OA id>")
        if self.public_url.startswith("https://") and self.secret_key == DEV_SECRET_KEY:
            # the key signs the officers' session cookies: the public default would let
            # anyone forge an admin's session
            raise ConfigError("CDHT_SECRET_KEY must be set (a long random string) when "
                              "CDHT_PUBLIC_URL is https, i.e. in production")
        if min(self.send_batch, self.send_concurrency, self.send_lease, self.provider_timeout) <= 0:
            raise ConfigError("CDHT_SEND_BATCH, CDHT_SEND_CONCURRENCY, CDHT_SEND_LEASE and "
                              "CDHT_PROVIDER_TIMEOUT must be positive")
        if self.figures_snapshot_from < 0:
            raise ConfigError("CDHT_FIGURES_SNAPSHOT_FROM cannot be negative (0: always live)")
        if any(p is not None and p < 0 for p in (self.price_sms, self.price_zns)):
            raise ConfigError("CDHT_PRICE_SMS and CDHT_PRICE_ZNS cannot be negative")
        return self

    @classmethod
    def load(cls, overrides: dict | None = None, environ=os.environ) -> "Settings":
        values = {}
        for f in fields(cls):
            name = "DATABASE_URL" if f.name == "database_url" else f"CDHT_{f.name.upper()}"
            if name in environ and environ[name] != "":
                values[f.name] = _convert(name, environ[name], f.type)
        settings = replace(cls(), **values)
        return replace(settings, **(overrides or {})).check()


def _convert(name: str, raw: str, kind) -> object:
    kind = kind.__name__ if isinstance(kind, type) else str(kind)
    try:
        if "bool" in kind:
            return raw.strip().lower() in TRUE
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a valid {kind}") from None
    return raw
