"""Kannel, the open-source SMS gateway that GSM modems and operators' SMPP accounts sit behind.

Inbound: smsbox calls `GET /webhooks/kannel/mo` through an sms-service get-url of exactly
this form (docs/kannel.conf):
    http://HOST/webhooks/kannel/mo?secret=SECRET&from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I&ts=%T
(`%b` keeps newlines; `mo-recode = true` makes Vietnamese arrive as UTF-8). The answer is
always empty: replies go through the outbox and sendsms, like every other message.
Delivery reports come to `GET /webhooks/kannel/dlr?secret=…&outbox=<id>&status=%d&answer=%A`.
A wrong `secret` is 403 and nothing is stored.
"""

import hashlib
import hmac
import logging
import uuid
from urllib.parse import parse_qsl, quote

import requests
from flask import Blueprint, Response, request

from ..contract import (Host, InboundMessage, OutboundMessage, Rejected, RetryLater, SendResult,
                        StatusReport)
from ..http import Ignored, clean_id, mask, reached, short_text, since_epoch, whole_number

NAME = "kannel"
SMS_GATEWAY = True
TIMEOUT = 10
log = logging.getLogger(__name__)
# Kannel's DLR types (bits of dlr-mask): what each means for our outbox row.
DLR_STATUS = {1: "delivered", 2: "failed", 16: "failed"}   # 4 queued, 8 accepted: no news
DLR_MASK = 1 | 2 | 8 | 16
DLR_TYPES = (1, 2, 4, 8, 16)


def configured(settings) -> bool:
    return bool(settings.kannel_sendsms_url and settings.kannel_mo_secret)


def _args() -> dict[str, str]:
    """The query as Kannel wrote it, decoded by hand: with mo-recode off the text is
    UTF-16BE bytes, which a UTF-8 decoder would mangle."""
    return {k: v for k, v in parse_qsl(request.query_string.decode("latin-1"),
                                       keep_blank_values=True, encoding="latin-1")}


def _utf8(raw: str) -> str:
    """A query value (latin-1 code points = the URL's bytes) read as UTF-8."""
    return raw.encode("latin-1", errors="replace").decode("utf-8", errors="replace")


def mo_text(raw: str, charset: str) -> str:
    """The SMS text from `text=%b` (given to us as latin-1 code points = bytes), without
    NUL (PostgreSQL refuses it) and valid Unicode: charset=unicode_escape or utf-7 can
    make lone surrogates, which nothing can store."""
    data = raw.encode("latin-1", errors="replace")
    charset = (charset or "UTF-8").upper()
    if charset in ("UTF-16BE", "UTF-16", "UCS-2"):
        text = data.decode("utf-16-be", errors="replace")
    else:
        try:
            text = data.decode(charset, errors="replace")
        except (LookupError, ValueError):   # unknown ("X-FOO") or unusable ("UTF-8\0"): UTF-8
            text = data.decode("utf-8", errors="replace")
    return text.replace("\x00", "").encode("utf-8", errors="replace").decode("utf-8")


def read_mo(args: dict[str, str]) -> InboundMessage:
    sender = _utf8(args.get("from", "")).strip()
    text = mo_text(args.get("text", ""), args.get("charset", ""))
    if not clean_id(sender, 32):
        raise ValueError("'from' is missing or not a usable sender")
    message_id, stamp = args.get("id", "").strip(), args.get("ts", "").strip()
    if not clean_id(message_id):
        if not stamp:   # nothing to tell a retry from a new SMS: take it as new, never drop it
            message_id = f"no-id:{uuid.uuid4().hex}"
            log.warning("Kannel MO from %s without id or ts: a retry of it would count twice",
                        mask(sender))
        else:           # the same sender, time and text is the same SMS
            # hashed, sender included: the key is logged and stored, a phone number must not be
            same = "\n".join((sender, stamp, text)).encode("utf-8", errors="replace")
            message_id = f"no-id:{hashlib.sha256(same).hexdigest()[:32]}"
    return InboundMessage(NAME, message_id, "sms", sender, text, sent_at=since_epoch(stamp))


def read_dlr(args: dict[str, str]) -> StatusReport | Ignored:
    """A delivery report (the dlr-url we gave Kannel) as news on our outbox row; for the
    types that carry none (4 queued, 8 accepted) Ignored(type), counted as kannel.dlr.<type>;
    ValueError when `outbox` or `status` is not a number."""
    outbox, status = whole_number(args.get("outbox")), whole_number(args.get("status"))
    if outbox is None or status is None:
        raise ValueError("'outbox' and 'status' must be numbers")
    news = DLR_STATUS.get(status)
    if news is None:   # a counter per number would grow without end
        return Ignored(str(status) if status in DLR_TYPES else "other")
    answer = _utf8(args.get("answer", ""))
    reason = short_text(f"Kannel DLR {status}: {answer}") if news == "failed" else None
    return StatusReport(NAME, (provider_id(outbox),), news, reason=reason, outbox_ids=(outbox,))


def make_blueprint(host: Host, settings) -> Blueprint:
    bp = Blueprint(NAME, __name__)
    secret = settings.kannel_mo_secret.encode()

    @bp.before_request
    def only_our_kannel():
        # constant-time compare: the secret must not leak through timing
        if not hmac.compare_digest(_args().get("secret", "").encode("latin-1"), secret):
            host.count("kannel.refused.secret")
            return Response("forbidden", status=403, mimetype="text/plain")

    @bp.get("/webhooks/kannel/mo")
    def mo():
        args = _args()
        try:
            message = read_mo(args)
        except ValueError as exc:
            host.count("kannel.refused.bad_mo")
            return Response(str(exc), status=400, mimetype="text/plain")
        host.inbound(message)
        return Response("", status=200, mimetype="text/plain")   # no reply through Kannel

    @bp.get("/webhooks/kannel/dlr")
    def dlr():
        try:
            report = read_dlr(_args())
        except ValueError as exc:
            return Response(str(exc), status=400, mimetype="text/plain")
        if isinstance(report, Ignored):
            host.count(f"kannel.dlr.{report.reason}")
        else:
            host.status(report)
        return Response("ok", mimetype="text/plain")

    return bp


def provider_id(outbox_id: int) -> str:
    return f"kannel-{outbox_id}"


def sendsms_params(settings, message: OutboundMessage) -> dict[str, str]:
    """The sendsms query for one outbox row (pure)."""
    dlr_url = (f"{settings.public_url.rstrip('/')}/webhooks/kannel/dlr?"
               f"secret={quote(settings.kannel_mo_secret, safe='')}"
               f"&outbox={message.outbox_id}&status=%d&answer=%A")
    params = {"username": settings.kannel_user or "", "password": settings.kannel_password or "",
              "to": message.address, "text": message.text,
              "dlr-mask": str(DLR_MASK), "dlr-url": dlr_url}
    if settings.kannel_sender:
        params["from"] = settings.kannel_sender
    if message.encoding != "GSM-7":
        params.update(coding="2", charset="UTF-8")   # else Kannel would send "?" for diacritics
    return params


class KannelChannel:
    name = NAME

    def __init__(self, settings, http=None):
        self.settings = settings
        self.http = http or requests.Session()

    def parts(self, text: str) -> list[str]:
        return [text]   # Kannel concatenates long SMS itself (our texts are 1-2 segments)

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.text:
            raise Rejected("empty SMS")   # Kannel would send an empty message
        try:
            response = self.http.get(self.settings.kannel_sendsms_url, timeout=getattr(self.settings, "provider_timeout", TIMEOUT),
                                     params=sendsms_params(self.settings, message))
        except requests.RequestException as exc:
            raise RetryLater(f"Kannel unreachable: {type(exc).__name__}",
                             in_doubt=reached(exc)) from exc
        accepted(response.status_code, response.text)
        return SendResult(provider_message_id=provider_id(message.outbox_id))   # DLRs name it


def accepted(status: int, body: str) -> None:
    """202 "0: Accepted for delivery" or "3: Queued for later delivery"; else the error."""
    if status == 202 or (status == 200 and body.strip()[:1] in ("0", "3")):
        return
    if status >= 500:
        raise RetryLater(f"Kannel HTTP {status}: {body.strip()[:200]}")
    if status in (401, 403):   # our user, password or allowed IP: wait for the fix
        raise RetryLater(f"Kannel refused our sendsms login (HTTP {status})", hold=True)
    raise Rejected(f"Kannel HTTP {status}: {body.strip()[:200]}")


def make_channel(host: Host, settings) -> KannelChannel:
    return KannelChannel(settings)
