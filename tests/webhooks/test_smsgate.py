"""The SMS Gateway for Android provider: signature, events, the send request and the channel
as tables, then the webhook through the app. Payload shapes follow
/work/shared/reference/sms.md §1 and the app's docs/features/webhooks.md."""

import hashlib
import hmac
import itertools
import json
import time
import types
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from sqlalchemy import select

from bot.inbound import drain
from bot.delivery.dispatch import dispatch_due
from storage.models import Contact, InboundEvent, Outbox
from webhooks.contract import InboundMessage, OutboundMessage, Rejected, RetryLater, SendResult, StatusReport
from webhooks.http import MAX_BODY
from webhooks.registry import SMS_GATEWAYS
from webhooks.smsgate import (BadEvent, HttpRequest, Ignored, SmsGateChannel, check_signature,
                              configured, message_request, read, sign)
from tests.helpers import EMPTY, counters, outbox, table_counts

KEY = "k"
NOW = 1_719_046_000
RAW = json.dumps({"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": "sms:received",
                  "id": "Ey6ECgOkVVFjz3CL48B8C", "webhookId": "wh-1",
                  "payload": {"messageId": "abc123", "message": "DK 12364", "sender": "+84389123456",
                              "recipient": None, "phoneNumber": "+84389123456", "simNumber": None,
                              "receivedAt": "2024-06-22T15:46:11.000+07:00"}},
                 ensure_ascii=False).encode()


# --- check_signature ----------------------------------------------------------------------------

def mac(raw: bytes = RAW, stamp: str = str(NOW), key: str = KEY) -> str:
    """The app's formula written out here: hex HMAC-SHA256(key, raw body + X-Timestamp)."""
    return hmac.new(key.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()


def at(offset: int) -> str:
    return str(NOW + offset)


# label, X-Signature, raw body, X-Timestamp, what is wrong (None: accepted)
SIGNATURES = [
    ("good", mac(), RAW, str(NOW), None),
    ("upper-case hex", mac().upper(), RAW, str(NOW), None),
    ("surrounding spaces", f" {mac()} ", RAW, f" {NOW} ", None),
    ("300 s old: the edge of the window", mac(stamp=at(-300)), RAW, at(-300), None),
    ("300 s ahead: the edge of the window", mac(stamp=at(300)), RAW, at(300), None),
    ("301 s old", mac(stamp=at(-301)), RAW, at(-301), "5 minutes"),
    ("301 s ahead", mac(stamp=at(301)), RAW, at(301), "5 minutes"),
    ("a day old (a replay)", mac(stamp=at(-86400)), RAW, at(-86400), "5 minutes"),
    ("wrong key", mac(key="other-key"), RAW, str(NOW), "does not match"),
    ("body changed", mac(), RAW.replace(b"12364", b"12365"), str(NOW), "does not match"),
    ("re-serialised body", mac(), json.dumps(json.loads(RAW), separators=(",", ":")).encode(), str(NOW),
     "does not match"),
    ("timestamp changed", mac(), RAW, at(1), "does not match"),
    ("signed without the timestamp", hmac.new(KEY.encode(), RAW, hashlib.sha256).hexdigest(), RAW,
     str(NOW), "does not match"),
    ("plain SHA-256, no key", hashlib.sha256(RAW + str(NOW).encode()).hexdigest(), RAW, str(NOW),
     "does not match"),
    ("non-ASCII signature", "chữ ký", RAW, str(NOW), "does not match"),
    ("milliseconds, not seconds", mac(stamp=str(NOW * 1000)), RAW, str(NOW * 1000), "5 minutes"),
    ("timestamp not a number", mac(stamp="2024-06-22T15:46:11Z"), RAW, "2024-06-22T15:46:11Z", "unix"),
    ("negative timestamp", mac(stamp="-1"), RAW, "-1", "unix"),
    ("400 digits (a float would overflow)", mac(stamp="9" * 400), RAW, "9" * 400, "unix"),
    ("superscript digits", mac(stamp="¹⁷¹⁹"), RAW, "¹⁷¹⁹", "unix"),
    ("Arabic-Indic digits", mac(stamp="١٧١٩٠٤٦٠٠٠"), RAW, "١٧١٩٠٤٦٠٠٠", "unix"),
    ("missing X-Signature", None, RAW, str(NOW), "missing"),
    ("empty X-Signature", "", RAW, str(NOW), "missing"),
    ("missing X-Timestamp", mac(), RAW, None, "missing"),
]


@pytest.mark.parametrize("header, raw, stamp, problem", [c[1:] for c in SIGNATURES],
                         ids=[c[0] for c in SIGNATURES])
def test_check_signature(header, raw, stamp, problem):
    got = check_signature(raw, header, stamp, KEY, NOW)
    assert got is None if problem is None else problem in got


def test_check_signature_needs_a_key():
    assert "missing" in check_signature(RAW, mac(key=""), str(NOW), "", NOW)


def test_sign_is_what_check_signature_accepts():
    assert sign(RAW, str(NOW), KEY) == mac()


# --- read -----------------------------------------------------------------------------------------

def envelope(event: str, payload: dict, event_id: str = "Ey6ECgOkVVFjz3CL48B8C") -> dict:
    return {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": event, "id": event_id,
            "webhookId": "LreFUt-Z3sSq0JufY9uWB", "payload": payload}


def received(message: str = "1", sender: str | None = "+84389123456", **extra) -> dict:
    """The newest sms:received payload: sender and recipient, phoneNumber kept for old readers."""
    payload = {"messageId": "abc123", "message": message, "sender": sender,
               "recipient": "+84912000111", "phoneNumber": sender, "simNumber": 1,
               "receivedAt": "2024-06-22T15:46:11.000+07:00", **extra}
    return envelope("sms:received", payload)


def status_payload(stamp_field: str | None, **extra) -> dict:
    payload = {"messageId": "cdht-41", "phoneNumber": "+84389123456", "simNumber": None, **extra}
    return {**payload, stamp_field: "2024-06-22T15:46:11.000+07:00"} if stamp_field else payload


def sms(text: str, sender: str = "+84389123456", event_id: str = "Ey6ECgOkVVFjz3CL48B8C") -> InboundMessage:
    """Received at 15:46:11+07:00 on the phone, as every payload here says (`AT`)."""
    return InboundMessage("smsgate", event_id, "sms", sender, text, sent_at=AT)


DIACRITICS = "Trần Thị Lan, dạ có ạ"
NFD = unicodedata.normalize("NFD", DIACRITICS)
AT = datetime(2024, 6, 22, 8, 46, 11, tzinfo=timezone.utc)   # 15:46:11+07:00
OLD_SHAPE = {"messageId": "abc123", "message": "DK 12364", "phoneNumber": "01689123456",
             "simNumber": 1, "receivedAt": "2024-06-22T15:46:11.000+07:00"}

EVENTS = [
    ("sms:received, sender (newest shape)", received("DK 12364"), sms("DK 12364")),
    ("sms:received, only the deprecated phoneNumber", envelope("sms:received", OLD_SHAPE),
     sms("DK 12364", "01689123456")),
    ("sms:received, sender null: phoneNumber", received("1", sender=None, phoneNumber="0389123456"),
     sms("1", "0389123456")),
    ("sms:received, sender wins over phoneNumber", received("1", phoneNumber="+84000000000"), sms("1")),
    ("sms:received, null recipient and simNumber", received("2", recipient=None, simNumber=None), sms("2")),
    ("sms:received, the docs' example", envelope("sms:received", {
        "messageId": "abc123", "message": "Android is always a sweet treat!", "phoneNumber": "6505551212",
        "simNumber": 1, "receivedAt": "2024-06-22T15:46:11.000+07:00"}),
     sms("Android is always a sweet treat!", "6505551212")),
    ("sms:received, Vietnamese with diacritics", received(DIACRITICS), sms(DIACRITICS)),
    ("sms:received, NFD text kept as sent", received(NFD), sms(NFD)),
    ("sms:received, an empty SMS", received(""), sms("")),
    ("sms:received, sender with spaces around", received("1", sender=" +84389123456 "), sms("1")),
    ("sms:received, NUL left out of the text", received("1\x002"), sms("12")),
    ("sms:received, receivedAt year 1 with an offset: no time",
     received("1", receivedAt="0001-01-01T00:00:00+07:00"),
     InboundMessage("smsgate", "Ey6ECgOkVVFjz3CL48B8C", "sms", "+84389123456", "1")),
    ("sms:delivered", envelope("sms:delivered", status_payload("deliveredAt")),
     StatusReport("smsgate", ("cdht-41",), "delivered", AT, outbox_ids=(41,))),
    ("sms:delivered without deliveredAt", envelope("sms:delivered", status_payload(None)),
     StatusReport("smsgate", ("cdht-41",), "delivered", None, outbox_ids=(41,))),
    ("sms:delivered, deliveredAt without an offset",
     envelope("sms:delivered", status_payload(None, deliveredAt="2024-06-22T15:46:11")),
     StatusReport("smsgate", ("cdht-41",), "delivered", None, outbox_ids=(41,))),
    ("sms:failed", envelope("sms:failed", status_payload("failedAt", reason="RESULT_ERROR_GENERIC_FAILURE")),
     StatusReport("smsgate", ("cdht-41",), "failed", AT, reason="RESULT_ERROR_GENERIC_FAILURE", outbox_ids=(41,))),
    ("sms:failed, a garbled failedAt", envelope("sms:failed", status_payload(None, failedAt="hôm qua")),
     StatusReport("smsgate", ("cdht-41",), "failed", None, outbox_ids=(41,))),
    ("sms:failed, control characters in the reason as spaces",
     envelope("sms:failed", status_payload(None, reason="no\x00route\n")),
     StatusReport("smsgate", ("cdht-41",), "failed", None, reason="no route ", outbox_ids=(41,))),
    ("sms:delivered, cdht- and superscript digits: not our row",
     envelope("sms:delivered", status_payload(None, messageId="cdht-⁴¹")),
     StatusReport("smsgate", ("cdht-⁴¹",), "delivered", None)),
    ("sms:sent", envelope("sms:sent", status_payload("sentAt", partsCount=1)), Ignored("sent")),
    ("system:ping", envelope("system:ping", {"health": {"status": "pass", "checks": {}}}), Ignored("ping")),
    ("sms:data-received (newer app)", envelope("sms:data-received", {"data": "SGVsbG8="}),
     Ignored("unused_event")),
    ("mms:received (newer app)", envelope("mms:received", {}), Ignored("unused_event")),
    ("unknown event without a payload", {"event": "sms:unknown", "id": "x"}, Ignored("unused_event")),
]


@pytest.mark.parametrize("body, expected", [c[1:] for c in EVENTS], ids=[c[0] for c in EVENTS])
def test_read(body, expected):
    assert read(body) == expected


RECEIVED = received("1")
BAD_EVENTS = [
    ("body a list", [RECEIVED], "object"),
    ("no event", {k: v for k, v in RECEIVED.items() if k != "event"}, "'event'"),
    ("event not a string", {**RECEIVED, "event": ["sms:received"]}, "'event'"),
    ("no id", {k: v for k, v in RECEIVED.items() if k != "id"}, "'id'"),
    ("empty id", {**RECEIVED, "id": ""}, "'id'"),
    ("id with a newline", {**RECEIVED, "id": "a\nb"}, "'id'"),
    ("id a number", {**RECEIVED, "id": 42}, "'id'"),
    ("no payload", {k: v for k, v in RECEIVED.items() if k != "payload"}, "'payload'"),
    ("payload a list", {**RECEIVED, "payload": []}, "'payload'"),
    ("neither sender nor phoneNumber", received("1", sender=None), "payload.sender"),
    ("sender only spaces", received("1", sender="   ", phoneNumber=None), "payload.sender"),
    ("sender too long", received("1", sender="+84" + "9" * 40), "payload.sender"),
    ("sender with a control character", received("1", sender="+8438\x009123456"), "payload.sender"),
    ("no message", envelope("sms:received", {"sender": "+84389123456"}), "payload.message"),
    ("message null", received(None), "payload.message"),
    ("message a number", received(1), "payload.message"),
    ("message a lone surrogate", received("\ud800"), "payload.message"),
    ("sms:delivered without messageId", envelope("sms:delivered", {"phoneNumber": "+84389123456"}),
     "payload.messageId"),
    ("sms:failed, messageId empty", envelope("sms:failed", status_payload(None, messageId="")),
     "payload.messageId"),
    ("sms:delivered without payload", {"event": "sms:delivered", "id": "x"}, "'payload'"),
]


@pytest.mark.parametrize("body, field", [c[1:] for c in BAD_EVENTS], ids=[c[0] for c in BAD_EVENTS])
def test_read_bad(body, field):
    with pytest.raises(BadEvent, match=field):
        read(body)


# --- configured, message_request ---------------------------------------------------------------

def settings(url: str = "http://phone.test:8080", user: str | None = "u", password: str | None = "p",
             key: str | None = KEY) -> types.SimpleNamespace:
    return types.SimpleNamespace(smsgate_url=url, smsgate_user=user, smsgate_password=password,
                                 smsgate_signing_key=key)


CONFIGURED = [
    ("URL and signing key", settings(), True),
    ("no signing key", settings(key=None), False),
    ("no URL", settings(url=None), False),
    ("no user is still configured (the phone answers 401)", settings(user=None, password=None), True),
]


@pytest.mark.parametrize("given, expected", [c[1:] for c in CONFIGURED], ids=[c[0] for c in CONFIGURED])
def test_configured(given, expected):
    assert configured(given) is expected


def outbound(text: str = "Cau 1/10: Bac co...", outbox_id: int = 7) -> OutboundMessage:
    return OutboundMessage(outbox_id, "sms", "+84389123456", text, "reply")


REQUESTS = [
    ("local server", "http://phone.test:8080", "http://phone.test:8080/message"),
    ("local server, trailing slash", "http://192.168.1.10:8080/", "http://192.168.1.10:8080/message"),
    ("cloud", "https://api.sms-gate.app/3rdparty/v1", "https://api.sms-gate.app/3rdparty/v1/messages"),
    ("cloud, trailing slash", "https://api.sms-gate.app/3rdparty/v1/",
     "https://api.sms-gate.app/3rdparty/v1/messages"),
    ("private server under a path", "https://sms.xa.gov.vn/api/3rdparty/v1",
     "https://sms.xa.gov.vn/api/3rdparty/v1/messages"),
]


@pytest.mark.parametrize("base, url", [c[1:] for c in REQUESTS], ids=[c[0] for c in REQUESTS])
def test_message_request(base, url):
    got = message_request(settings(url=base), outbound("Chào bác Lan", outbox_id=41))
    assert got == HttpRequest("POST", url, {"textMessage": {"text": "Chào bác Lan"},
                                            "phoneNumbers": ["+84389123456"], "id": "cdht-41",
                                            "withDeliveryReport": True}, ("u", "p"))


def test_message_request_without_credentials_sends_empty_basic_auth():
    assert message_request(settings(user=None, password=None), outbound()).auth == ("", "")


# --- SmsGateChannel.send --------------------------------------------------------------------------

SEND_URL = "http://phone.test:8080/message"
ACCEPTED = {"id": "cdht-7", "state": "Pending",
            "recipients": [{"phoneNumber": "+84389123456", "state": "Pending"}]}

# label, the gateway's answer, expected: a SendResult or (error class, text, hold)
SENDS = [
    ("202 accepted", {"status": 202, "json": ACCEPTED}, SendResult("cdht-7")),
    ("200", {"status": 200, "json": ACCEPTED}, SendResult("cdht-7")),
    ("201", {"status": 201, "json": ACCEPTED}, SendResult("cdht-7")),
    ("202 with an empty body", {"status": 202, "body": ""}, SendResult("cdht-7")),
    ("409: a retry of a message the gateway already has",
     {"status": 409, "json": {"message": "message with the same ID already exists"}}, SendResult("cdht-7")),
    ("429 rate limit", {"status": 429, "body": "too many"}, (RetryLater, "429", False)),
    ("500", {"status": 500, "body": "internal"}, (RetryLater, "500", False)),
    ("503", {"status": 503, "body": ""}, (RetryLater, "503", False)),
    ("401: our credentials", {"status": 401, "body": "Unauthorized"}, (RetryLater, "credentials", True)),
    ("403: our credentials", {"status": 403, "body": "Forbidden"}, (RetryLater, "credentials", True)),
    ("400 with the reason", {"status": 400, "json": {"message": "invalid phone number"}},
     (Rejected, "400.*invalid phone number", False)),
    ("404", {"status": 404, "body": "Not Found"}, (Rejected, "404.*Not Found", False)),
    ("connection refused", {"body": requests.ConnectionError("refused")},
     (RetryLater, "unreachable: ConnectionError", False)),
    ("timeout", {"body": requests.ReadTimeout("slow")}, (RetryLater, "unreachable: ReadTimeout", False)),
]


def mock() -> responses.RequestsMock:
    return responses.RequestsMock(assert_all_requests_are_fired=True)


@pytest.mark.parametrize("answer, expected", [c[1:] for c in SENDS], ids=[c[0] for c in SENDS])
def test_send(answer, expected):
    channel = SmsGateChannel(settings())
    with mock() as rsps:
        rsps.add(responses.POST, SEND_URL, **answer)
        if isinstance(expected, SendResult):
            assert channel.send(outbound()) == expected
        else:
            with pytest.raises(expected[0], match=expected[1]) as caught:
                channel.send(outbound())
            assert caught.value.hold is expected[2]
        sent = rsps.calls[0].request
    assert json.loads(sent.body) == {"textMessage": {"text": "Cau 1/10: Bac co..."},
                                     "phoneNumbers": ["+84389123456"], "id": "cdht-7",
                                     "withDeliveryReport": True}
    assert sent.headers["Authorization"] == "Basic dTpw"   # u:p


def test_send_to_the_cloud_uses_its_path():
    channel = SmsGateChannel(settings(url="https://api.sms-gate.app/3rdparty/v1"))
    with mock() as rsps:
        rsps.add(responses.POST, "https://api.sms-gate.app/3rdparty/v1/messages", status=202, json=ACCEPTED)
        assert channel.send(outbound()) == SendResult("cdht-7")


def test_send_unicode_text_as_utf8_json():
    with mock() as rsps:
        rsps.add(responses.POST, SEND_URL, status=202, json=ACCEPTED)
        SmsGateChannel(settings()).send(outbound(DIACRITICS))
        assert json.loads(rsps.calls[0].request.body)["textMessage"]["text"] == DIACRITICS


def test_empty_text_is_rejected_without_a_call():
    with mock() as rsps:
        with pytest.raises(Rejected, match="empty"):
            SmsGateChannel(settings()).send(outbound(""))
        assert not rsps.calls


def test_parts_leave_splitting_to_the_app():
    text = "Hoc tap suot doi. " * 30
    assert SmsGateChannel(settings()).parts(text) == [text]


# --- the webhook through the app ------------------------------------------------------------------

PUBLIC = "https://cdht.xa.gov.vn"
SMSGATE = {"smsgate_url": "http://phone.test:8080", "smsgate_user": "u", "smsgate_password": "p",
           "smsgate_signing_key": KEY, "public_url": PUBLIC, "secret_key": "a-long-random-test-key"}
OLD_NUMBER, NEW_NUMBER = "01689123456", "+84389123456"   # Viettel 0168 became 038 in 2018
_serial = itertools.count(1)


@pytest.fixture
def smsgate_app(make_app):
    return make_app(**SMSGATE)


def text_event(text: str, sender: str = OLD_NUMBER, event_id: str | None = None) -> dict:
    """An sms:received as an older app sends it: the sender only as phoneNumber."""
    return envelope("sms:received", {"messageId": "abc123", "message": text, "phoneNumber": sender,
                                     "simNumber": None, "receivedAt": "2024-06-22T15:46:11.000+07:00"},
                    event_id or f"ev-{next(_serial)}")


def post(client, body, key: str = KEY, age: int = 0, sign_it: bool = True, escape: bool = False):
    """Post the bytes the app would, signed `age` seconds ago."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=escape).encode()
    stamp = str(int(time.time()) - age)
    headers = {"X-Signature": sign(raw, stamp, key), "X-Timestamp": stamp} if sign_it else {}
    response = client.post("/webhooks/smsgate", data=raw, content_type="application/json", headers=headers)
    drain(client.application.extensions["cdht"])   # what a worker does after the ack
    return response




def assert_welcome_and_consent(runtime) -> list[Outbox]:
    rows = outbox(runtime)
    assert [(r.provider, r.channel, r.address, r.status, r.kind) for r in rows] == \
        [("smsgate", "sms", NEW_NUMBER, "queued", "reply")] * 2
    assert rows[0].text.startswith("Chao ong/ba!") and "Dong y?" in rows[1].text
    return rows


def test_signed_sms_from_an_old_number_queues_welcome_and_consent(smsgate_app):
    runtime = smsgate_app.extensions["cdht"]
    response = post(smsgate_app.test_client(), text_event("DK 12364", event_id="Ey6ECgOkVVFjz3CL48B8C"))
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "duplicate": False}
    assert_welcome_and_consent(runtime)
    with runtime.db.read() as session:
        event = session.scalars(select(InboundEvent)).one()
        contact = session.scalars(select(Contact)).one()
    assert (event.provider, event.external_id) == ("smsgate", "Ey6ECgOkVVFjz3CL48B8C")
    assert (contact.channel, contact.address) == ("sms", NEW_NUMBER)


def test_the_same_event_id_again_is_processed_once(smsgate_app):
    runtime = smsgate_app.extensions["cdht"]
    client = smsgate_app.test_client()
    body = text_event("DK 12364")
    assert post(client, body).status_code == 200
    before = table_counts(runtime)
    again = post(client, body, age=40)   # the app's retry, signed anew
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert table_counts(runtime) == before == {**EMPTY, "inbound_events": 1, "contacts": 1,
                                               "citizens": 1, "outbox": 2}


def test_the_same_message_id_with_a_new_event_id_is_a_new_sms(smsgate_app):
    """`payload.messageId` comes from the text: two "1" replies share it."""
    client = smsgate_app.test_client()
    assert post(client, text_event("DK 12364")).status_code == 200
    assert post(client, text_event("DK 12364")).get_json()["duplicate"] is False
    assert table_counts(smsgate_app.extensions["cdht"])["inbound_events"] == 2


def test_an_nfd_reply_is_understood(smsgate_app):
    client = smsgate_app.test_client()
    assert post(client, text_event("DK 12364")).status_code == 200
    assert post(client, text_event(unicodedata.normalize("NFD", "Dạ có"))).status_code == 200
    asked = outbox(smsgate_app.extensions["cdht"])[-1].text
    assert asked.startswith("Cam on ong/ba. Xin cho biet ho va ten")


BAD_SIGNATURES = [
    ("wrong key", {"key": "other-key"}, "does not match"),
    ("unsigned", {"sign_it": False}, "missing"),
    ("signed 6 minutes ago", {"age": 360}, "5 minutes"),
    ("signed 6 minutes ahead", {"age": -360}, "5 minutes"),
]


@pytest.mark.parametrize("how, error", [c[1:] for c in BAD_SIGNATURES], ids=[c[0] for c in BAD_SIGNATURES])
def test_bad_signature_is_refused_and_writes_nothing(smsgate_app, how, error):
    response = post(smsgate_app.test_client(), text_event("DK 12364"), **how)
    assert response.status_code == 401 and error in response.get_json()["error"]
    assert table_counts(smsgate_app.extensions["cdht"]) == EMPTY
    assert counters(smsgate_app)["smsgate.signature.bad"] == 1


def test_tampered_body_is_refused(smsgate_app):
    raw = json.dumps(text_event("DK 12364")).encode()
    stamp = str(int(time.time()))
    response = smsgate_app.test_client().post(
        "/webhooks/smsgate", data=raw.replace(b"12364", b"99999"), content_type="application/json",
        headers={"X-Signature": sign(raw, stamp, KEY), "X-Timestamp": stamp})
    assert response.status_code == 401
    assert table_counts(smsgate_app.extensions["cdht"]) == EMPTY


REFUSED = [
    ("not JSON", b"event=sms:received", 400, "smsgate.refused.not_json"),
    ("not UTF-8", b"\xff\xfe{}", 400, "smsgate.refused.not_json"),
    ("a JSON list", json.dumps([text_event("1")]).encode(), 400, "smsgate.refused.not_json"),
    ("no sender", {**text_event("1"), "payload": {"message": "1"}}, 400, "smsgate.refused.bad_event"),
    ("a lone surrogate in the text", text_event("\ud800"), 400, "smsgate.refused.bad_event"),
    ("over 64 KB", json.dumps(text_event("a" * MAX_BODY)).encode(), 413, "smsgate.refused.too_large"),
]


@pytest.mark.parametrize("body, status, counter", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_bodies(smsgate_app, body, status, counter):
    response = post(smsgate_app.test_client(), body, escape=True)
    assert response.status_code == status and response.is_json
    assert table_counts(smsgate_app.extensions["cdht"]) == EMPTY
    assert counters(smsgate_app)[counter] == 1


def test_missing_field_is_named(smsgate_app):
    response = post(smsgate_app.test_client(), {**text_event("1"), "payload": {"phoneNumber": OLD_NUMBER}})
    assert response.status_code == 400 and "payload.message" in response.get_json()["error"]


IGNORED = [
    ("sms:sent", envelope("sms:sent", status_payload("sentAt")), "sent"),
    ("system:ping", envelope("system:ping", {"health": {"status": "pass"}}), "ping"),
    ("an event we do not use", envelope("mms:received", {}), "unused_event"),
]


@pytest.mark.parametrize("body, reason", [c[1:] for c in IGNORED], ids=[c[0] for c in IGNORED])
def test_ignored_events_are_200_and_counted(smsgate_app, body, reason):
    response = post(smsgate_app.test_client(), body)
    assert response.status_code == 200 and response.get_json() == {"ok": True, "ignored": reason}
    assert table_counts(smsgate_app.extensions["cdht"]) == EMPTY
    assert counters(smsgate_app)[f"smsgate.ignored.{reason}"] == 1


def sent_row(runtime, provider_message_id: str | None = None) -> int:
    now = datetime.now(timezone.utc)
    with runtime.db.transaction() as session:
        row = Outbox(channel="sms", provider="smsgate", address=NEW_NUMBER, text="Cau 1/10", kind="reply",
                     status="sent", attempts=1, next_attempt_at=now, sent_at=now,
                     dedup_key=f"test:{next(_serial)}", created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        row.provider_message_id = provider_message_id or f"cdht-{row.id}"
        return row.id


def row(runtime, outbox_id: int) -> Outbox:
    with runtime.db.read() as session:
        return session.get(Outbox, outbox_id)


def test_delivered_marks_the_outbox_row(smsgate_app):
    runtime = smsgate_app.extensions["cdht"]
    mine, other = sent_row(runtime), sent_row(runtime)
    body = envelope("sms:delivered", status_payload("deliveredAt", messageId=f"cdht-{mine}"), "ev-d1")
    response = post(smsgate_app.test_client(), body)
    assert response.status_code == 200 and response.get_json() == {"ok": True, "updated": 1}
    delivered = row(runtime, mine)
    assert delivered.status == "delivered"
    assert delivered.delivered_at.replace(tzinfo=timezone.utc) == AT   # the phone's deliveredAt
    assert row(runtime, other).status == "sent"


def test_each_part_of_a_long_sms_reports_delivered(smsgate_app):
    runtime = smsgate_app.extensions["cdht"]
    mine = sent_row(runtime)
    client = smsgate_app.test_client()
    for part in range(2):
        body = envelope("sms:delivered", status_payload("deliveredAt", messageId=f"cdht-{mine}"), f"p{part}")
        assert post(client, body).get_json()["updated"] == 1
    assert row(runtime, mine).status == "delivered"


def test_failed_marks_the_row_and_counts(smsgate_app):
    runtime = smsgate_app.extensions["cdht"]
    mine = sent_row(runtime)
    body = envelope("sms:failed", status_payload("failedAt", messageId=f"cdht-{mine}",
                                                 reason="RESULT_ERROR_NO_SERVICE"))
    assert post(smsgate_app.test_client(), body).get_json()["updated"] == 1
    assert row(runtime, mine).status == "failed"
    assert counters(smsgate_app)["smsgate.failed"] == 1


def test_news_about_a_message_we_do_not_know_changes_nothing(smsgate_app):
    body = envelope("sms:delivered", status_payload("deliveredAt", messageId="someone-elses"))
    response = post(smsgate_app.test_client(), body)
    assert response.status_code == 200 and response.get_json()["updated"] == 0


def test_replies_go_out_through_the_phone_and_come_back_delivered(smsgate_app):
    runtime = smsgate_app.extensions["cdht"]
    client = smsgate_app.test_client()
    assert post(client, text_event("DK 12364")).status_code == 200
    with mock() as rsps:
        rsps.add(responses.POST, "http://phone.test:8080/message", status=202, json=ACCEPTED)
        rsps.add(responses.POST, "http://phone.test:8080/message", status=202, json=ACCEPTED)
        dispatch_due(runtime, datetime.now(timezone.utc) + timedelta(seconds=1))
        bodies = [json.loads(c.request.body) for c in rsps.calls]
    rows = outbox(runtime)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert sorted(b["id"] for b in bodies) == sorted(f"cdht-{r.id}" for r in rows)
    assert {b["phoneNumbers"][0] for b in bodies} == {NEW_NUMBER}
    assert [r.provider_message_id for r in rows] == [f"cdht-{r.id}" for r in rows]
    for r in rows:
        news = envelope("sms:delivered", status_payload("deliveredAt", messageId=r.provider_message_id))
        assert post(client, news).get_json()["updated"] == 1
    assert {r.status for r in outbox(runtime)} == {"delivered"}


def test_without_smsgate_settings_there_is_no_webhook(app):
    assert post(app.test_client(), text_event("DK 12364")).status_code == 404


def test_smsgate_is_an_sms_gateway():
    assert "smsgate" in SMS_GATEWAYS
