"""SMS Gateway for Android ("SMSGate"): an Android phone with an ordinary SIM as a two-way
SMS gateway, reached on the office LAN (the app's local server, `http://<phone IP>:8080`)
or through its cloud (`https://api.sms-gate.app/3rdparty/v1`, or a private server).

Inbound: register `{CDHT_PUBLIC_URL}/webhooks/smsgate` on the phone (local mode:
`POST http://<phone IP>:8080/webhooks`; cloud: `…/3rdparty/v1/webhooks`), once per event,
since one registration carries one event: `{"url": "…/webhooks/smsgate", "event": "sms:received"}`,
then the same for `sms:delivered`, `sms:failed` and, if wanted, `sms:sent`. Local and cloud
keep separate webhook lists. The app delivers only to HTTPS (plain HTTP only to 127.0.0.1),
private-LAN addresses included: use a certificate (the project's CA issues them for
private IPs) or the `app-insecure.apk` build on a trusted LAN.
Every request is signed: `X-Signature` = hex HMAC-SHA256(CDHT_SMSGATE_SIGNING_KEY,
raw body + `X-Timestamp`), the key from the app's Settings → Webhooks → Signing Key. A bad
signature, or a timestamp more than 5 minutes from our clock, is 401 and stores nothing.
Incoming SMS are deduplicated on the event `id` (`payload.messageId` comes from the text
and is not unique).

Outbound: `POST {CDHT_SMSGATE_URL}/message` (local) or `…/3rdparty/v1/messages` (cloud),
Basic auth with CDHT_SMSGATE_USER / CDHT_SMSGATE_PASSWORD. The message `id` is ours,
`cdht-<outbox id>`: the delivery webhooks carry it back as `payload.messageId`.
"""

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import requests
from flask import Blueprint, jsonify, request

from ..contract import (Host, InboundMessage, OutboundMessage, Rejected, RetryLater, SendResult,
                        StatusReport)
from ..http import (BadEvent, BodyTooLarge, Ignored, clean_id, hand_over, json_or_none, read_body,
                    reached, short_text, storable, whole_number)

NAME = "smsgate"
SMS_GATEWAY = True   # replies and bulk SMS may be routed here (CDHT_SMS_*_GATEWAY)
TIMEOUT = 10
WINDOW = 300   # seconds either side of our clock: a replayed request is refused after that
STATUS = {"sms:delivered": ("delivered", "deliveredAt"), "sms:failed": ("failed", "failedAt")}
IGNORED = {"sms:sent": "sent", "system:ping": "ping"}   # counted as smsgate.ignored.<reason>
log = logging.getLogger(__name__)


def configured(settings) -> bool:
    return bool(settings.smsgate_url and settings.smsgate_signing_key)


# --- the signature ----------------------------------------------------------------------------

def sign(raw: bytes, timestamp: str, key: str) -> str:
    """The `X-Signature` the app sends with `X-Timestamp: timestamp`."""
    return hmac.new(key.encode(), raw + timestamp.encode(), hashlib.sha256).hexdigest()


def check_signature(raw: bytes, signature: str | None, timestamp: str | None, key: str,
                    now: float) -> str | None:
    """None when the request is the app's and fresh; else what is wrong with it."""
    if not signature or not timestamp or not key:
        return "missing X-Signature or X-Timestamp"
    timestamp = timestamp.strip()
    seconds = whole_number(timestamp)   # bounded: 400 digits would overflow a float below
    if seconds is None:
        return "X-Timestamp is not unix seconds"
    got = signature.strip().lower().encode("utf-8", "replace")   # any header, even non-ASCII
    # constant-time compare: the signature must not leak through timing
    if not hmac.compare_digest(sign(raw, timestamp, key).encode(), got):
        return "X-Signature does not match"
    if abs(seconds - now) > WINDOW:
        return "X-Timestamp is more than 5 minutes from our clock (check the phone's clock)"
    return None


# --- reading events ---------------------------------------------------------------------------

def _text(value, field: str) -> str:
    if not isinstance(value, str):
        raise BadEvent(f"'{field}' is missing or not a string")
    if not storable(value):
        raise BadEvent(f"'{field}' is not valid Unicode")
    return value


def _id(value, field: str, max_len: int = 128) -> str:
    if not clean_id(_text(value, field), max_len):
        raise BadEvent(f"'{field}' is not a usable id")
    return value


def _at(value) -> datetime | None:
    """The device's local time with its offset ("2024-06-22T15:46:11.000+07:00"), in UTC."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
        # year 1 or 9999 with an offset overflows in astimezone
        return at.astimezone(timezone.utc) if at and at.tzinfo else None
    except (ValueError, OverflowError):
        return None


def read(body: dict) -> InboundMessage | StatusReport | Ignored:
    """One webhook body as the contract's value; `BadEvent` names the field at fault."""
    if not isinstance(body, dict):
        raise BadEvent("body must be a JSON object")
    event = _text(body.get("event"), "event")
    if event != "sms:received" and event not in STATUS:
        # before any check: a 4xx makes the app retry for two days
        return Ignored(IGNORED.get(event, "unused_event"))
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise BadEvent("'payload' is missing or not an object")
    if event in STATUS:
        status, stamp = STATUS[event]
        message_id = _id(payload.get("messageId"), "payload.messageId")
        ours = message_id.removeprefix("cdht-")   # the id we gave it: our outbox id
        outbox_id = whole_number(ours) if ours != message_id else None
        return StatusReport(NAME, (message_id,), status, _at(payload.get(stamp)),
                            reason=failure_reason(body) if status == "failed" else None,
                            outbox_ids=() if outbox_id is None else (outbox_id,))
    sender = payload.get("sender") or payload.get("phoneNumber")   # phoneNumber: deprecated
    sender = sender.strip() if isinstance(sender, str) else sender
    return InboundMessage(NAME, _id(body.get("id"), "id"), "sms", _id(sender, "payload.sender", 32),
                          _text(payload.get("message"), "payload.message").replace("\x00", ""),
                          sent_at=_at(payload.get("receivedAt")))


def failure_reason(body: dict) -> str | None:
    payload = body.get("payload") if isinstance(body.get("payload"), dict) else {}
    reason = payload.get("reason")
    return short_text(reason) if isinstance(reason, str) else None


def make_blueprint(host: Host, settings) -> Blueprint:
    bp = Blueprint(NAME, __name__)

    @bp.post("/webhooks/smsgate")
    def receive():
        try:
            raw = read_body()
        except BodyTooLarge as exc:
            host.count("smsgate.refused.too_large")
            return jsonify(error=str(exc)), 413
        problem = check_signature(raw, request.headers.get("X-Signature"),
                                  request.headers.get("X-Timestamp"), settings.smsgate_signing_key,
                                  time.time())
        if problem:
            host.count("smsgate.signature.bad")
            log.warning("SMSGate webhook refused: %s", problem)
            return jsonify(error=problem), 401
        body = json_or_none(raw)
        if not isinstance(body, dict):
            host.count("smsgate.refused.not_json")
            return jsonify(error="body must be a JSON object"), 400
        return hand_over(host, NAME, read, body)

    return bp


# --- sending ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    json: dict
    auth: tuple[str, str]


def provider_id(outbox_id: int) -> str:
    return f"cdht-{outbox_id}"


def message_request(settings, message: OutboundMessage) -> HttpRequest:
    """The send request for one outbox row (pure)."""
    base = settings.smsgate_url.rstrip("/")
    path = "/messages" if "/3rdparty/v1" in base else "/message"   # cloud/private, else local
    return HttpRequest("POST", base + path,
                       {"textMessage": {"text": message.text}, "phoneNumbers": [message.address],
                        "id": provider_id(message.outbox_id), "withDeliveryReport": True},
                       (settings.smsgate_user or "", settings.smsgate_password or ""))


def accepted(status: int, body: str) -> None:
    """2xx, or 409: the gateway already has a message with our id (a retry after a
    timeout whose first try got through). Else the ChannelError that says what to do."""
    if status in (200, 201, 202, 409):
        return
    excerpt = body.strip()[:200]
    if status in (401, 403):
        raise RetryLater(f"SMSGate refused our credentials (HTTP {status}): check "
                         "CDHT_SMSGATE_USER / CDHT_SMSGATE_PASSWORD", hold=True)
    if status == 429 or status >= 500:
        raise RetryLater(f"SMSGate HTTP {status}: {excerpt}")
    raise Rejected(f"SMSGate HTTP {status}: {excerpt}")


class SmsGateChannel:
    name = NAME
    idempotent = True   # the gateway keys messages by our id: a repeat answers 409

    def __init__(self, settings, http=None):
        self.settings = settings
        self.http = http or requests.Session()

    def parts(self, text: str) -> list[str]:
        return [text]   # the app splits a long SMS itself

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.text:
            raise Rejected("empty SMS")
        req = message_request(self.settings, message)
        try:
            response = self.http.request(req.method, req.url, json=req.json, auth=req.auth,
                                         timeout=getattr(self.settings, "provider_timeout", TIMEOUT))
        except requests.RequestException as exc:
            raise RetryLater(f"SMSGate unreachable: {type(exc).__name__}",
                             in_doubt=reached(exc)) from exc
        accepted(response.status_code, response.text)
        return SendResult(provider_message_id=provider_id(message.outbox_id))   # webhooks name it


def make_channel(host: Host, settings) -> SmsGateChannel:
    return SmsGateChannel(settings)
