"""The console provider: its parser as a table, then its HTTP surface through the app."""

import json
import unicodedata

import pytest
from sqlalchemy import select

from storage.models import Answer, Citizen, InboundEvent, Outbox
from webhooks.console import BadRequest, parse
from webhooks.http import MAX_BODY
from webhooks.contract import InboundMessage
from tests.helpers import count

# GSM 03.38, written out here rather than imported, so the check does not trust the code it checks.
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
           "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€\f")


def has_vietnamese_marks(text: str) -> bool:
    return any(c in "đĐ" or unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))


# --- parse() ---------------------------------------------------------------------------------

GOOD = [
    ("zalo with id",
     {"from": "zalo-user-1", "text": "Xin chào", "channel": "zalo", "id": "m-1"},
     InboundMessage("console", "m-1", "zalo", "zalo-user-1", "Xin chào")),
    ("sms with id",
     {"from": "0912345678", "text": "DK 12364", "channel": "sms", "id": "m-2"},
     InboundMessage("console", "m-2", "sms", "0912345678", "DK 12364")),
    ("channel defaults to zalo",
     {"from": "zalo-user-1", "text": "1", "id": "m-3"},
     InboundMessage("console", "m-3", "zalo", "zalo-user-1", "1")),
    ("sender is trimmed, text is not",
     {"from": "  0912345678 ", "text": " co ", "channel": "sms", "id": "m-4"},
     InboundMessage("console", "m-4", "sms", "0912345678", " co ")),
    ("empty text is still a message",
     {"from": "zalo-user-1", "text": "", "id": "m-5"},
     InboundMessage("console", "m-5", "zalo", "zalo-user-1", "")),
    ("longest sender, text and id",
     {"from": "z" * 128, "text": "a" * 2000, "id": "i" * 128},
     InboundMessage("console", "i" * 128, "zalo", "z" * 128, "a" * 2000)),
    ("NUL left out of the text",
     {"from": "zalo-user-1", "text": "1\x002", "id": "m-6"},
     InboundMessage("console", "m-6", "zalo", "zalo-user-1", "12")),
]


@pytest.mark.parametrize("body, expected", [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_parse_good(body, expected):
    assert parse(body) == expected


@pytest.mark.parametrize("channel", ["zalo", "sms"])
def test_parse_without_id_makes_a_fresh_one(channel):
    body = {"from": "0912345678", "text": "co", "channel": channel}
    first, second = parse(body), parse(body)
    assert (first.provider, first.channel, first.address, first.text) == (
        "console", channel, "0912345678", "co")
    assert first.external_id and second.external_id and first.external_id != second.external_id


OK = {"from": "0912345678", "text": "co"}
BAD = [
    ("body is a list", ["from", "text"], "object"),
    ("body is a string", "DK 12364", "object"),
    ("body is null (not JSON)", None, "object"),
    ("from missing", {"text": "co"}, "'from'"),
    ("from empty", {**OK, "from": ""}, "'from'"),
    ("from only spaces", {**OK, "from": "   "}, "'from'"),
    ("from a number", {**OK, "from": 912345678}, "'from'"),
    ("from too long", {**OK, "from": "z" * 129}, "'from'"),
    ("text missing", {"from": "0912345678"}, "'text'"),
    ("text null", {**OK, "text": None}, "'text'"),
    ("text a number", {**OK, "text": 1}, "'text'"),
    ("text a list", {**OK, "text": ["co"]}, "'text'"),
    ("text too long", {**OK, "text": "a" * 2001}, "'text'"),
    ("channel unknown", {**OK, "channel": "telegram"}, "'channel'"),
    ("channel null", {**OK, "channel": None}, "'channel'"),
    ("channel a list", {**OK, "channel": ["sms"]}, "'channel'"),
    ("id a number", {**OK, "id": 123}, "'id'"),
    ("id a list", {**OK, "id": ["m-1"]}, "'id'"),
    ("id too long", {**OK, "id": "i" * 129}, "'id'"),
    ("id zero", {**OK, "id": 0}, "'id'"),
    ("id false", {**OK, "id": False}, "'id'"),
    ("id empty", {**OK, "id": ""}, "'id'"),
    # A control character would be stripped somewhere and make two ids, or two senders, one.
    ("id with a control character", {**OK, "id": "m\x01"}, "'id'"),
    ("from with NUL", {**OK, "from": "09123\x00"}, "'from'"),
    ("from a lone surrogate", {**OK, "from": "\ud800"}, "'from'"),
    ("text a lone surrogate", {**OK, "text": "co \udfff"}, "'text'"),
]


@pytest.mark.parametrize("body, field", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_parse_bad(body, field):
    with pytest.raises(BadRequest, match=field):
        parse(body)


# --- HTTP ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b'{"from": "\\ud800", "text": "co"}', b"[" * 60000, b"\xff\xfe{}"],
                         ids=["escaped lone surrogate", "nested past the recursion limit", "not UTF-8"])
def test_odd_bodies_get_a_400_not_a_500(app, raw):
    response = app.test_client().post("/webhooks/console", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.is_json

def post(client, body, **kwargs):
    return client.post("/webhooks/console", json=body, **kwargs)



@pytest.mark.parametrize("channel, sender", [("zalo", "zalo-user-1"), ("sms", "0912345678")],
                         ids=["zalo", "sms"])
def test_post_answers_replies_and_segments(app, runtime, channel, sender):
    response = post(app.test_client(), {"from": sender, "channel": channel, "text": "DK 12364"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["duplicate"] is False
    assert body["replies"] and all(isinstance(r, str) and r for r in body["replies"])
    assert len(body["segments"]) == len(body["replies"])
    for segment in body["segments"]:
        assert set(segment) == {"count", "encoding"}
        assert isinstance(segment["count"], int) and segment["count"] >= 1
        assert segment["encoding"] in ("GSM-7", "UCS-2")
    # The replies were queued as well: the outbox is the truth about sending.
    assert count(runtime, Outbox, Outbox.provider == "console") == len(body["replies"])


def test_sms_replies_are_gsm7_without_diacritics(app):
    client = app.test_client()
    bodies = [post(client, {"from": "0912345678", "channel": "sms", "text": text}).get_json()
              for text in ("DK 12364", "co", "TRAN THI LAN", "1958", "1", "1")]
    replies = [r for b in bodies for r in b["replies"]]
    segments = [s for b in bodies for s in b["segments"]]
    assert len(replies) >= 6
    for reply, segment in zip(replies, segments):
        assert set(reply) <= GSM7, reply
        assert not has_vietnamese_marks(reply), reply
        assert segment["encoding"] == "GSM-7"


REJECTED = [
    ("plain text body", {"data": "DK 12364", "content_type": "text/plain"}, "object"),
    ("malformed JSON", {"data": '{"from": ', "content_type": "application/json"}, "object"),
    ("JSON list", {"json": ["DK 12364"]}, "object"),
    ("no sender", {"json": {"text": "co"}}, "'from'"),
    ("text too long", {"json": {"from": "z", "text": "a" * 2001}}, "'text'"),
]


@pytest.mark.parametrize("request_kwargs, field", [c[1:] for c in REJECTED],
                         ids=[c[0] for c in REJECTED])
def test_bad_requests_get_400_with_a_short_reason(app, runtime, request_kwargs, field):
    response = app.test_client().post("/webhooks/console", **request_kwargs)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert field in error and len(error) < 100
    assert count(runtime, InboundEvent) == 0


def _padded(size: int) -> bytes:
    """A valid message padded with JSON whitespace to exactly `size` bytes."""
    body = json.dumps({"from": "zalo-user-1", "text": "DK 12364"}).encode()
    return body + b" " * (size - len(body))


@pytest.mark.parametrize("size, status", [(MAX_BODY, 200), (MAX_BODY + 1, 413),
                                          (2 * 1024 * 1024, 413)],
                         ids=["exactly 64 KB", "one byte over", "over the app's 1 MB limit"])
def test_body_size_limit(app, size, status):
    data = _padded(size)
    assert len(data) == size
    response = app.test_client().post("/webhooks/console", data=data,
                                      content_type="application/json")
    assert response.status_code == status
    if status == 413:
        assert "too large" in response.get_json()["error"]


def test_body_size_limit_holds_for_chunked_bodies(app):
    response = app.test_client().post(
        "/webhooks/console", data=_padded(200_000), content_type="application/json",
        headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_same_id_twice_is_answered_once(app, runtime):
    client = app.test_client()
    body = {"from": "0912345678", "channel": "sms", "text": "DK 12364", "id": "sms-42"}
    first, second = post(client, body), post(client, body)
    assert first.status_code == second.status_code == 200
    assert first.get_json()["duplicate"] is False and first.get_json()["replies"]
    assert second.get_json() == {"duplicate": True, "replies": [], "segments": []}
    assert count(runtime, InboundEvent) == 1
    assert count(runtime, Outbox) == len(first.get_json()["replies"])


def test_nul_characters_never_reach_the_database(app, runtime):
    client = app.test_client()
    texts = ["DK 12364", "co", "TRAN\u0000 THI LAN", "1958", "1", "1\u0000"]
    statuses = [post(client, {"from": "0912345678", "channel": "sms", "text": t}).status_code
                for t in texts]
    assert statuses == [200] * len(texts)
    with runtime.db.transaction() as session:
        stored = session.scalars(select(Citizen.name)).all() + session.scalars(
            select(Answer.raw_text)).all()
    assert stored and not any("\x00" in (value or "") for value in stored)


def test_get_on_the_webhook_is_405_json(app):
    response = app.test_client().get("/webhooks/console")
    assert response.status_code == 405
    assert response.is_json and response.get_json()["error"] == "GET is not allowed here"


def test_405_says_which_methods_are_allowed(app):
    response = app.test_client().get("/webhooks/console")
    assert response.headers.get("Allow", "").split(", ").count("POST") == 1


def test_simulator_page(app):
    response = app.test_client().get("/simulator")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b"/webhooks/console" in response.data   # the page talks to the same endpoint


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/webhooks/console", {"from": "zalo-user-1", "text": "DK 12364"}),
    ("GET", "/simulator", None),
], ids=["webhook", "simulator"])
def test_console_off_means_404(make_app, method, path, body):
    client = make_app(console=False).test_client()
    response = client.open(path, method=method, json=body)
    assert response.status_code == 404
    assert response.get_json() == {"error": f"no such page: {path}"}


def test_healthz(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
