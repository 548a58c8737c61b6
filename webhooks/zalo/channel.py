"""Sending to a Zalo user: the customer-service message, inside Zalo's windows, with
one token refresh when Zalo says the token is no longer good."""

import logging
from datetime import datetime, timezone

import requests

from ..contract import NeedsFallback, OutboundMessage, Rejected, RetryLater, SendResult
from . import zns
from ..http import reached
from .messages import (BLOCKED, NOT_FOLLOWER, OUTSIDE_WINDOW, RATE_LIMITED, RETRY_LATER,
                       TOKEN_ERRORS, Answer, HttpRequest, conversation_request, cs_text_request,
                       may_send, read_answer, sent_in, split_text, window)

log = logging.getLogger(__name__)
TIMEOUT = 10


def send_request(http, req: HttpRequest, timeout: float = TIMEOUT) -> tuple[int, object]:
    """(HTTP status, JSON body or None); network trouble is a RetryLater, in doubt when
    the request may have got through (a read timeout)."""
    try:
        response = http.request(req.method, req.url, headers=req.headers, json=req.json,
                                data=req.data, timeout=timeout)
    except requests.RequestException as exc:
        raise RetryLater(f"network: {type(exc).__name__}", in_doubt=reached(exc)) from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(f"HTTP {response.status_code} from Zalo",
                         slow_down=response.status_code == 429)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


class ZaloChannel:
    name = "zalo"

    def __init__(self, settings, tokens, http=None, clock=None):
        self.base_url = settings.zalo_openapi_url
        self.business_url = settings.zalo_business_url
        self.paid_window = settings.zalo_paid_window
        self.templates = zns.templates(settings.zns_templates)   # refuses bad JSON at start
        self.tokens = tokens
        self.http = http or requests.Session()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.timeout = getattr(settings, "provider_timeout", TIMEOUT)

    def parts(self, text: str) -> list[str]:
        return split_text(text)

    def send(self, message: OutboundMessage) -> SendResult:
        if message.channel == "zns":
            return self.send_template(message.address, message.kind, dict(message.template or {}),
                                      tracking_id=f"cdht-{message.outbox_id}")
        where = window(message.last_inbound_at, self.clock())
        if not may_send(message.kind, where, self.paid_window):
            raise NeedsFallback(f"outside the CS window ({where})")
        token = self.tokens.current()
        if not token:
            raise RetryLater("no Zalo access token yet (flask --app wsgi zalo set-tokens …)",
                             hold=True)
        answer = self._post(token, message)
        if answer.error in TOKEN_ERRORS:
            log.warning("Zalo refused the access token (%s); refreshing once", answer.error)
            token = self.tokens.replace_refused(token)
            if not token:
                raise RetryLater(f"{answer.error} {answer.message}; the token refresh failed",
                                 hold=True)
            answer = self._post(token, message)
        return outcome(answer)

    def _post(self, token: str, message: OutboundMessage) -> Answer:
        return read_answer(*send_request(self.http, cs_text_request(
            self.base_url, token, message.address, message.text), self.timeout))

    def reconcile(self, message: OutboundMessage, since: datetime) -> SendResult | None:
        """Whether a CS message whose send is in doubt is in the conversation with the
        user (sent at or after `since`). ZNS cannot be looked up by our id: Rejected."""
        if message.channel != "zalo":
            raise Rejected("a ZNS message cannot be looked up by our id")
        token = self.tokens.current()
        if not token:
            raise RetryLater("no Zalo access token to look the message up", hold=True)
        status, body = send_request(self.http, conversation_request(
            self.base_url, token, message.address), self.timeout)
        if not isinstance(body, dict) or body.get("error") != 0:
            error = body.get("error") if isinstance(body, dict) else f"HTTP {status}"
            raise RetryLater(f"cannot read the conversation with the user: {error}")
        found = sent_in(body, message.text, since)
        return None if found is None else SendResult(provider_message_id=found)

    def send_template(self, phone_e164: str, kind: str, data: dict[str, str],
                      tracking_id: str) -> SendResult:
        """A ZNS template message by phone, for a message kind that has a template
        (CDHT_ZNS_TEMPLATES): the fallback chain's second step."""
        template_id = self.templates.get(kind)
        if not template_id:
            raise NeedsFallback(f"no ZNS template for {kind!r} messages")
        token = self.tokens.current()
        if not token:
            raise RetryLater("no Zalo access token yet", hold=True)

        def post(token: str) -> Answer:
            return read_answer(*send_request(self.http, zns.template_request(
                self.business_url, token, phone_e164, template_id, data, tracking_id),
                self.timeout))

        answer = post(token)
        if answer.error in TOKEN_ERRORS:
            token = self.tokens.replace_refused(token)
            if not token:
                raise RetryLater(f"{answer.error} {answer.message}; the token refresh failed",
                                 hold=True)
            answer = post(token)
        if answer.error == 0:
            return SendResult(provider_message_id=str(answer.data.get("msg_id") or "") or None)
        return outcome(answer)


def outcome(answer: Answer) -> SendResult:
    """Zalo's answer as a result, or the ChannelError that says what to do next."""
    code, text = answer.error, f"{answer.error} {answer.message}"
    if code == 0:
        return SendResult(provider_message_id=str(answer.data.get("message_id") or "") or None)
    if code in RATE_LIMITED:
        raise RetryLater(text, slow_down=True)
    if code in RETRY_LATER:
        raise RetryLater(text, hold=True)   # keep the message however long the quota lasts
    if code in TOKEN_ERRORS:
        raise RetryLater(text)
    if code in NOT_FOLLOWER:
        raise NeedsFallback(text, contact="not_follower")
    if code in OUTSIDE_WINDOW:
        raise NeedsFallback(text)
    raise Rejected(text, contact="blocked" if code in BLOCKED else None)
