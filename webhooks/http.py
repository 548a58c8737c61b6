"""Small HTTP helpers every provider's blueprint uses."""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import requests
from flask import jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

MAX_BODY = 64 * 1024


class BodyTooLarge(ValueError):
    pass


def read_body(limit: int = MAX_BODY) -> bytes:
    """The raw request body, refusing more than `limit` bytes. Reads one byte past the
    limit: a chunked body has no Content-Length, and werkzeug would silently cut it."""
    request.max_content_length = limit + 1
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:   # a Content-Length over the limit
        raise BodyTooLarge(f"request body too large (at most {limit // 1024} KB)") from None
    if len(raw) > limit:
        raise BodyTooLarge(f"request body too large (at most {limit // 1024} KB)")
    return raw


def json_or_none(raw: bytes):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):   # bad UTF-8, or nesting deeper than Python's stack
        return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def storable(value: str) -> bool:
    """Encodable as UTF-8 (JSON may carry lone surrogates, "\\ud800", that are not)."""
    try:
        value.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def clean_id(value: str, max_len: int = 128) -> bool:
    """Fit to be a stored id or address: short, no control characters, valid Unicode."""
    return 0 < len(value) <= max_len and not _CONTROL.search(value) and storable(value)


def short_text(value: str, limit: int = 200) -> str:
    """A provider's free text kept as a reason: valid Unicode, control characters (NUL,
    which PostgreSQL refuses, among them) as spaces, at most `limit` characters."""
    return _CONTROL.sub(" ", value).encode("utf-8", errors="replace").decode("utf-8")[:limit]


def whole_number(value, limit: int = 2**63) -> int | None:
    """A whole number in [0, limit) written in ASCII digits, or a JSON integer; else None.
    "²" is a digit to str.isdigit, and int() of 5,000 digits raises: neither gets that far."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        digits = value.lstrip("0") or "0"   # int() refuses 5,000 digits, leading zeros too
        value = int(digits) if len(digits) <= len(str(limit)) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < limit:
        return value
    return None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LAST_SECOND = 253_402_300_799   # 9999-12-31 23:59:59 UTC: datetime goes no further


def since_epoch(value, per_second: int = 1) -> datetime | None:
    """A provider's unix time (seconds, or milliseconds with per_second=1000) as an aware
    UTC datetime; None for anything else, or a time past what datetime holds (year 9999)."""
    count = whole_number(value, (_LAST_SECOND + 1) * per_second)
    if count is None:
        return None
    return _EPOCH + timedelta(microseconds=count * (1_000_000 // per_second))   # exact, no float


def mask(address: str) -> str:
    """A phone number or user id as logs may show it: its last three characters
    ("+84912345678" → "…678"). Logs never carry a whole number."""
    return "…" + address[-3:]


_NUMBERS = re.compile(r"\+?\d[\d .-]{6,}\d")
_SECRETS = re.compile(r"(?i)\b(password|secret|access_token|refresh_token|code_verifier|key)=[^&\s'\"]*")


def redact(text: str) -> str:
    """Free text bound for a log (an error, a provider's answer): phone numbers and ids
    masked, `password=…` and the like emptied."""
    text = _SECRETS.sub(lambda m: m.group(1) + "=…", text)
    return _NUMBERS.sub(lambda m: mask(re.sub(r"\D", "", m.group(0))), text)


class BadEvent(ValueError):
    """A provider's event lacks a field we need: 400 naming it, nothing stored."""


@dataclass(frozen=True)
class Ignored:
    reason: str   # counted as "<provider>.ignored.<reason>"


def hand_over(host, provider: str, read, body):
    """Read a provider's event with `read(body)` and hand it to the host: 400 for a bad
    event, 200 for one we ignore (counted), else the host's inbound or status answer."""
    from .contract import InboundMessage, StatusReport   # contract has no Flask; keep it so
    try:
        item = read(body)
    except BadEvent as exc:
        host.count(f"{provider}.refused.bad_event")
        return jsonify(error=str(exc)), 400
    if isinstance(item, Ignored):
        host.count(f"{provider}.ignored.{item.reason}")
        return jsonify(ok=True, ignored=item.reason)
    if isinstance(item, StatusReport):
        if item.status == "failed":
            host.count(f"{provider}.failed")
        return jsonify(ok=True, updated=host.status(item))
    assert isinstance(item, InboundMessage)
    return jsonify(ok=True, duplicate=host.inbound(item).duplicate)


def reached(exc) -> bool:
    """Whether a failed request (a requests exception) may have reached the provider: a
    read timeout or a connection dropped mid-answer may have; a refused or timed-out
    connection cannot have."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not type(reason).__name__.endswith(("NewConnectionError", "NameResolutionError"))
    return True
