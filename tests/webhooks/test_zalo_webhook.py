"""The Zalo webhook through the app: signed events in, rows and replies out, counters.
The tables for the pieces are in test_zalo.py. Payload shapes follow
/work/shared/reference/zalo-oa-api.md (§1.3–1.5, §2.2–2.6, §3, §4); ids stay strings."""

import itertools
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from storage.models import (Assessment, Citizen, Contact, ConversationSession, Evidence,
                            InboundEvent, Outbox)
from webhooks.http import MAX_BODY
from webhooks.zalo import messages, signature
from webhooks.zalo.events import Ignored, read
from bot.inbound import drain
from tests.webhooks.zalo_payloads import (APP_ID, IMG, OA_ID, OTHER, SECRET, THUMB, USER, ZALO,
                                          attached, follow_event, oa_event, user_event)
from tests.helpers import EMPTY, count, counters, outbox, table_counts

# --- the webhook through the app ------------------------------------------------------------------

_serial = itertools.count(1)


@pytest.fixture
def zalo_app(make_app):
    return make_app(**ZALO)


def stamp() -> str:
    """A fresh event timestamp (epoch ms as a string)."""
    return str(int(datetime.now(timezone.utc).timestamp() * 1000) + next(_serial))


def text_event(text: str, user: str = USER, msg_id: str | None = None) -> dict:
    return {**user_event("user_send_text", {"text": text, "msg_id": msg_id or f"m-{next(_serial)}"},
                         sender=user), "timestamp": stamp()}


def post(client, body, first: str = APP_ID, secret: str = SECRET, sign: bool = True,
         escape: bool = False, **headers):
    """Post the exact bytes Zalo would, signed the way Zalo signs them (`escape`: non-ASCII
    as \\u escapes, the only way JSON carries a lone surrogate)."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=escape).encode()
    if sign and isinstance(body, dict):
        headers["X-ZEvent-Signature"] = signature.sign(raw, str(body.get("timestamp", "")), first, secret)
    response = client.post("/webhooks/zalo", data=raw, content_type="application/json", headers=headers)
    drain(client.application.extensions["cdht"])   # what a worker does after the ack
    return response


WELCOME = "Xin chào! Đây là trợ lý Công dân học tập"
CONSENT = "Ông/bà có đồng ý không?"


def assert_welcome_and_consent(runtime, user: str = USER) -> None:
    rows = outbox(runtime, Outbox.address == user)
    assert [(r.provider, r.channel, r.address, r.status, r.kind) for r in rows] == \
        [("zalo", "zalo", user, "queued", "reply")] * 2
    assert rows[0].text.startswith(WELCOME) and CONSENT in rows[1].text


def test_signed_text_from_a_new_user_queues_welcome_and_consent(zalo_app):
    runtime = zalo_app.extensions["cdht"]
    body = text_event("Xin chào", msg_id="96d3cdf3af150460909")
    response = post(zalo_app.test_client(), body)
    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "duplicate": False}
    assert_welcome_and_consent(runtime)
    with runtime.db.read() as session:
        event = session.scalars(select(InboundEvent)).one()
        contact = session.scalars(select(Contact)).one()
    assert (event.provider, event.external_id) == ("zalo", "96d3cdf3af150460909")
    assert (contact.channel, contact.address, contact.status) == ("zalo", USER, "active")
    assert contact.last_inbound_at is not None
    assert counters(zalo_app)["zalo.signature.app_id"] == 1


def test_the_same_msg_id_again_changes_nothing(zalo_app):
    runtime = zalo_app.extensions["cdht"]
    client = zalo_app.test_client()
    body = text_event("Xin chào")
    assert post(client, body).status_code == 200
    before = table_counts(runtime)
    again = post(client, body, num_retry="1")
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert table_counts(runtime) == before == {**EMPTY, "inbound_events": 1, "contacts": 1,
                                               "citizens": 1, "outbox": 2}


BAD_SIGNATURES = [
    ("wrong secret", {"secret": "app-secret"}),
    ("unsigned", {"sign": False}),
    ("signed with another app id", {"first": "111"}),
]


@pytest.mark.parametrize("how", [c[1] for c in BAD_SIGNATURES], ids=[c[0] for c in BAD_SIGNATURES])
def test_bad_signature_is_refused_and_writes_nothing(zalo_app, how):
    response = post(zalo_app.test_client(), text_event("Xin chào"), **how)
    assert response.status_code == 401
    assert "X-ZEvent-Signature" in response.get_json()["error"]
    assert table_counts(zalo_app.extensions["cdht"]) == EMPTY
    assert counters(zalo_app)["zalo.signature.bad"] == 1


def test_tampered_body_is_refused(zalo_app):
    body = text_event("Xin chào")
    raw = json.dumps(body, ensure_ascii=False).encode()
    header = signature.sign(raw, body["timestamp"], APP_ID, SECRET)
    tampered = raw.replace(USER.encode(), OTHER.encode())
    response = zalo_app.test_client().post("/webhooks/zalo", data=tampered, content_type="application/json",
                                           headers={"X-ZEvent-Signature": header})
    assert response.status_code == 401
    assert table_counts(zalo_app.extensions["cdht"]) == EMPTY


def test_bad_signature_in_log_mode_is_processed_and_counted(make_app):
    app = make_app(**ZALO, zalo_signature="log")
    response = post(app.test_client(), text_event("Xin chào"), secret="app-secret")
    assert response.status_code == 200
    assert_welcome_and_consent(app.extensions["cdht"])
    assert counters(app)["zalo.signature.bad"] == 1


def test_signature_with_the_oa_id_is_accepted(zalo_app):
    assert post(zalo_app.test_client(), text_event("Xin chào"), first=OA_ID).status_code == 200
    assert_welcome_and_consent(zalo_app.extensions["cdht"])
    seen = counters(zalo_app)
    assert seen["zalo.signature.oa_id"] == 1 and "zalo.signature.bad" not in seen


@pytest.mark.parametrize("raw", [b"", b"{}", b"{}\n"], ids=["empty body", "{}", "{} and a newline"])
def test_registration_probe_is_answered_without_a_signature(zalo_app, raw):
    response = post(zalo_app.test_client(), raw)
    assert response.status_code == 200
    assert table_counts(zalo_app.extensions["cdht"]) == EMPTY
    assert counters(zalo_app)["zalo.probe"] == 1


REFUSED = [
    ("not JSON", b"event_name=user_send_text", 400, "zalo.refused.not_json"),
    ("not UTF-8", b"\xff\xfe{}", 400, "zalo.refused.not_json"),
    ("a JSON list", json.dumps([text_event("1")]).encode(), 400, "zalo.refused.not_json"),
    ("a JSON string", b'"user_send_text"', 400, "zalo.refused.not_json"),
    ("over 64 KB", json.dumps(text_event("a" * MAX_BODY)).encode(), 413, None),
]


@pytest.mark.parametrize("raw, status, counter", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_bodies(zalo_app, raw, status, counter):
    response = post(zalo_app.test_client(), raw)
    assert response.status_code == status and response.is_json
    assert table_counts(zalo_app.extensions["cdht"]) == EMPTY
    if counter:
        assert counters(zalo_app)[counter] == 1


def test_signed_event_without_sender_is_a_400_and_writes_nothing(zalo_app):
    body = {k: v for k, v in text_event("Xin chào").items() if k != "sender"}
    response = post(zalo_app.test_client(), body)
    assert response.status_code == 400 and "sender.id" in response.get_json()["error"]
    assert table_counts(zalo_app.extensions["cdht"]) == EMPTY
    assert counters(zalo_app)["zalo.refused.bad_event"] == 1


def test_signed_echo_is_ignored(zalo_app):
    body = {**oa_event("oa_send_text", {"text": "Câu 1/10", "msg_id": "m-echo"}), "timestamp": stamp()}
    response = post(zalo_app.test_client(), body)
    assert response.status_code == 200 and response.get_json()["ignored"] == "echo"
    assert table_counts(zalo_app.extensions["cdht"]) == EMPTY
    assert counters(zalo_app)["zalo.ignored.echo"] == 1


def test_follow_greets_and_asks_consent(zalo_app):
    response = post(zalo_app.test_client(), follow_event("follow", stamp=stamp()))
    assert response.status_code == 200
    assert_welcome_and_consent(zalo_app.extensions["cdht"])


def test_unfollow_stops_the_contact_and_cancels_its_queue(zalo_app):
    runtime = zalo_app.extensions["cdht"]
    client = zalo_app.test_client()
    assert post(client, text_event("Xin chào")).status_code == 200
    assert post(client, text_event("Xin chào", user=OTHER)).status_code == 200
    assert post(client, follow_event("unfollow", stamp=stamp())).status_code == 200
    with runtime.db.read() as session:
        status = dict(session.execute(select(Contact.address, Contact.status)).all())
    assert status == {USER: "unfollowed", OTHER: "active"}
    assert [r.status for r in outbox(runtime, Outbox.address == USER)] == ["cancelled"] * 2
    assert [r.status for r in outbox(runtime, Outbox.address == OTHER)] == ["queued"] * 2


def position(runtime, user: str = USER) -> dict:
    with runtime.db.read() as session:
        return session.scalars(select(ConversationSession.position)
                               .join(Contact, Contact.citizen_id == ConversationSession.citizen_id)
                               .where(Contact.address == user)).one()


def new_replies(runtime, client, body) -> list[str]:
    before = {r.id for r in outbox(runtime)}
    assert post(client, body).status_code == 200
    return [r.text for r in outbox(runtime) if r.id not in before]


def test_sticker_mid_registration_asks_for_a_number_without_a_failed_try(zalo_app):
    runtime = zalo_app.extensions["cdht"]
    client = zalo_app.test_client()
    for text in ("Xin chào", "Dạ có ạ", "nguyễn văn an"):
        assert post(client, text_event(text)).status_code == 200
    asked = position(runtime)
    sticker = {**user_event("user_send_sticker", attached(
        "sticker", {"id": "bfe458bf64fa8da4d4eb", "url": "https://zalo.test/sticker"},
        f"m-{next(_serial)}")), "timestamp": stamp()}
    replies = new_replies(runtime, client, sticker)
    assert len(replies) == 2
    assert replies[0].startswith("Trợ lý chỉ đọc được chữ và số")
    assert "sinh năm nào" in replies[1]                      # the open question, asked again
    after = position(runtime)
    assert (after["flow"], after["step"], after["fails"]) == (asked["flow"], asked["step"], 0)


REGISTRATION = ("Xin chào", "Dạ có ạ", "nguyễn văn an", "1955", "xa tien lu", "1", "0912 345 678")


def test_image_with_a_caption_is_evidence_for_that_question(zalo_app):
    runtime = zalo_app.extensions["cdht"]
    client = zalo_app.test_client()
    for text in REGISTRATION:
        assert post(client, text_event(text)).status_code == 200
    body = {**user_event("user_send_image", attached("image", {"url": IMG, "thumbnail": THUMB},
                                                     "m-evidence-1", "câu 3")), "timestamp": stamp()}
    replies = new_replies(runtime, client, body)
    assert replies[0].startswith("Đã nhận minh chứng cho câu 3")
    with runtime.db.read() as session:
        evidence = session.scalars(select(Evidence)).one()
        assessment = session.scalars(select(Assessment)).one()
        citizen = session.scalars(select(Citizen)).one()
    criteria = runtime.criteria_sets[(assessment.criteria_set, assessment.criteria_version)]
    third = criteria.group(citizen.target_group).indicators[2].id
    assert citizen.registered_at is not None
    assert (evidence.citizen_id, evidence.assessment_id, evidence.indicator) == \
        (citizen.id, assessment.id, third)
    assert (evidence.kind, evidence.url, evidence.thumbnail) == ("image", IMG, THUMB)
    assert (evidence.provider, evidence.external_id) == ("zalo", "m-evidence-1")


def sent_row(runtime, provider_message_id: str) -> int:
    now = datetime.now(timezone.utc)
    with runtime.db.transaction() as session:
        row = Outbox(channel="zalo", provider="zalo", address=USER, text="Câu 1/10", kind="reply",
                     status="sent", attempts=1, next_attempt_at=now, sent_at=now,
                     provider_message_id=provider_message_id, dedup_key=f"test:{provider_message_id}",
                     created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return row.id


def row(runtime, outbox_id: int) -> Outbox:
    with runtime.db.read() as session:
        return session.get(Outbox, outbox_id)


SEEN_SHAPES = [("msg_ids list", lambda i: {"msg_ids": [i]}), ("single msg_id", lambda i: {"msg_id": i})]


@pytest.mark.parametrize("shape", [c[1] for c in SEEN_SHAPES], ids=[c[0] for c in SEEN_SHAPES])
def test_received_then_seen_update_the_outbox_row(zalo_app, shape):
    runtime = zalo_app.extensions["cdht"]
    client = zalo_app.test_client()
    mine, other = sent_row(runtime, "63ecf43f0df7dba892e6"), sent_row(runtime, "73ecf43f0df7dba892e7")
    received = {**oa_event("user_received_message", {"msg_id": "63ecf43f0df7dba892e6"}),
                "timestamp": "1764000000000"}
    response = post(client, received)
    assert response.status_code == 200 and response.get_json()["updated"] == 1
    delivered = row(runtime, mine)
    assert delivered.status == "delivered" and delivered.seen_at is None
    assert delivered.delivered_at == datetime(2025, 11, 24, 16, 0, tzinfo=timezone.utc)   # its timestamp
    seen = {**oa_event("user_seen_message", shape("63ecf43f0df7dba892e6")), "timestamp": "1764000060000"}
    assert post(client, seen).get_json()["updated"] == 1
    read_row = row(runtime, mine)
    assert read_row.status == "delivered"
    assert read_row.delivered_at == delivered.delivered_at                     # kept, not moved
    assert read_row.seen_at == datetime(2025, 11, 24, 16, 1, tzinfo=timezone.utc)
    assert row(runtime, other).status == "sent"
    assert count(runtime, InboundEvent) == 0                                    # news, not messages


def test_seen_before_received_marks_both(zalo_app):
    runtime = zalo_app.extensions["cdht"]
    mine = sent_row(runtime, "63ecf43f0df7dba892e6")
    seen = {**oa_event("user_seen_message", {"msg_ids": ["63ecf43f0df7dba892e6"]}),
            "timestamp": "1764000060000"}
    assert post(zalo_app.test_client(), seen).get_json()["updated"] == 1
    got = row(runtime, mine)
    assert got.status == "delivered" and got.delivered_at and got.seen_at


def test_a_get_is_answered(zalo_app):
    assert zalo_app.test_client().get("/webhooks/zalo").status_code == 200
    assert table_counts(zalo_app.extensions["cdht"]) == EMPTY


def test_without_zalo_settings_there_is_no_webhook(app):
    client = app.test_client()
    assert post(client, text_event("Xin chào")).status_code == 404
    assert client.get("/webhooks/zalo").status_code == 404
    assert "zalo.signature.app_id" not in counters(app)


# A signed or, in "log" mode, unsigned event with ids the database cannot hold: refused with
# a 400 (ids ≤ 128 characters, no control characters, no lone surrogates), never a 500.
ODD_IDS = [
    ("sender.id a lone surrogate", {"sender": {"id": "\ud800"}}, False),
    ("msg_id a lone surrogate", {"message": {"text": "1", "msg_id": "m\udfff"}}, False),
    ("sender.id over 128 characters", {"sender": {"id": "9" * 200}}, True),
    ("msg_id over 128 characters", {"message": {"text": "1", "msg_id": "m" * 200}}, True),
    ("sender.id with NUL", {"sender": {"id": "8309\x00393"}}, True),
]


@pytest.mark.parametrize(
    "change", [c[1] for c in ODD_IDS], ids=[c[0] for c in ODD_IDS])
def test_ids_the_database_cannot_hold_are_a_400_not_a_500(make_app, change):
    app = make_app(**ZALO, zalo_signature="log")
    response = post(app.test_client(), {**text_event("Xin chào"), **change}, escape=True)
    assert response.status_code in (200, 400)


# --- second review: events Zalo may send that we do not use, odd attachments ------------------

def test_an_unused_user_event_is_ignored_before_any_check():
    body = {"event_name": "user_send_group_text", "timestamp": "1", "message": {}}
    assert read(body) == Ignored("unused_event")


def test_an_image_without_a_link_is_not_proof():
    body = {"event_name": "user_send_image", "timestamp": "1", "sender": {"id": USER},
            "message": {"msg_id": "m-img", "attachments": []}}
    assert read(body).kind == "media"


def test_attachment_metadata_that_cannot_be_stored_is_cut_or_dropped():
    body = {"event_name": "user_send_file", "timestamp": "1", "sender": {"id": USER},
            "message": {"msg_id": "m-file", "attachments": [{"type": "file", "payload": {
                "url": "https://f.test/a.pdf", "name": "n" * 400, "size": "3000000000"}}]}}
    attachment = read(body).attachments[0]
    assert len(attachment.name) == 300 and attachment.size is None


@pytest.mark.parametrize("header", ["mac=é", "mac=" + "ё" * 64, "\u00a0"],
                         ids=["non-ASCII", "Cyrillic of the right length", "a no-break space"])
def test_an_odd_signature_header_is_a_mismatch_not_a_crash(header):
    assert signature.verify(b"{}", header, "1", APP_ID, OA_ID, SECRET) is None


def test_numbered_options_are_not_sentence_ends():
    text = "Câu hỏi dài " * 165 + "\n1. Thường xuyên\n2. Thỉnh thoảng"   # "1." near char 1983
    parts = messages.split_text(text)
    assert not any(p.endswith("\n1.") or p.endswith(" 1.") for p in parts)
