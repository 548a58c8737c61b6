"""The Zalo Official Account provider.

`POST /webhooks/zalo`: verify `X-ZEvent-Signature`, read the event, hand it to the
host, answer 200 within Zalo's 2 seconds (the host does one short transaction;
sending happens later from the outbox). Mounted when CDHT_ZALO_OA_SECRET and an
app or OA id are set. CDHT_ZALO_SIGNATURE: "enforce" (default: a bad or missing
signature is 401 and touches nothing) or "log" (processed, but counted and logged:
for a new OA's first days, when a wrong secret would make Zalo drop real events).
"""

import logging
import re

from flask import Blueprint, jsonify, request

from ..contract import Host
from ..http import BodyTooLarge, hand_over, json_or_none, read_body, whole_number
from .channel import ZaloChannel
from .events import NAME, read
from .signature import timestamp_of, verify

log = logging.getLogger(__name__)
SIGNATURE_MODES = ("enforce", "log")
EVENT_NAME = re.compile(r"[a-z_]{1,64}")   # the shape of Zalo's names: "user_send_text"


def configured(settings) -> bool:
    return bool(settings.zalo_oa_secret and (settings.zalo_app_id or settings.zalo_oa_id))


def make_blueprint(host: Host, settings) -> Blueprint:
    bp = Blueprint(NAME, __name__)
    logged_variants: set[str] = set()
    if settings.zalo_signature not in SIGNATURE_MODES:
        raise ValueError(f"CDHT_ZALO_SIGNATURE must be one of {SIGNATURE_MODES}")

    @bp.get("/webhooks/zalo")
    def alive():
        return jsonify(ok=True)   # some checks of the URL are a GET

    @bp.post("/webhooks/zalo")
    def receive():
        try:
            raw = read_body()
        except BodyTooLarge as exc:
            host.count("zalo.refused.too_large")
            return jsonify(error=str(exc)), 413
        if raw.strip() in (b"", b"{}"):
            host.count("zalo.probe")   # Zalo's check when the webhook URL is saved
            return jsonify(ok=True)
        body = json_or_none(raw)
        if not isinstance(body, dict):
            host.count("zalo.refused.not_json")
            return jsonify(error="body must be a JSON object"), 400
        event = body.get("event_name")
        if not (isinstance(event, str) and EVENT_NAME.fullmatch(event)):
            event = "?"   # logged below, before the signature is known: never a number or text
        stamp = timestamp_of(body, request.headers.get("X-ZEvent-Timestamp"))
        matched = verify(raw, request.headers.get("X-ZEvent-Signature"), stamp,
                         settings.zalo_app_id, settings.zalo_oa_id, settings.zalo_oa_secret)
        if matched is None:
            host.count("zalo.signature.bad")
            log.warning("Zalo %s event with a bad or missing signature (%s mode)", event,
                        settings.zalo_signature)
            if settings.zalo_signature == "enforce":
                return jsonify(error="bad or missing X-ZEvent-Signature"), 401
        else:
            host.count(f"zalo.signature.{matched}")
            if matched not in logged_variants:   # Zalo's sources disagree: say which it is
                logged_variants.add(matched)
                log.info("Zalo signatures match with the %s as first term", matched)
        # num_retry is often dropped by proxies (an underscore); logged only as a number
        retry = whole_number(request.headers.get("num_retry"))
        if retry:
            log.info("Zalo %s event, retry %s", event, retry)
        return hand_over(host, NAME, read, body)

    return bp


def make_channel(host: Host, settings) -> ZaloChannel:
    return ZaloChannel(settings, host.tokens(NAME))
