"""The Zalo OA provider: signature, events, CS messages, the channel, OAuth and ZNS as
tables, then the webhook through the app. Payload shapes follow
/work/shared/reference/zalo-oa-api.md (§1.3–1.5, §2.2–2.6, §3, §4); ids stay strings."""

import base64
import hashlib
import hmac
import itertools
import json
import os
import types
import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers
from responses.registries import OrderedRegistry
from sqlalchemy import select

from storage.models import (Assessment, Citizen, Contact, ConversationSession, Evidence,
                            InboundEvent, Outbox)
from webhooks.contract import (Attachment, InboundMessage, NeedsFallback, OutboundMessage,
                               Rejected, RetryLater, SendResult, StatusReport)
from webhooks.http import MAX_BODY
from webhooks.zalo import messages, oauth, signature, zns
from webhooks.zalo.channel import ZaloChannel, send_request
from webhooks.zalo.events import BadEvent, Ignored, read
from bot.inbound import drain
from tests.helpers import EMPTY, count, counters, outbox, table_counts

APP_ID = "360846524940903967"
OA_ID = "388613280878808645"
SECRET = "oa-webhook-secret"
USER = "8309393969855402319"        # 19 digits: more than a float keeps
OTHER = "246845883529197922"
STAMP = "1751100041636"
AT = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=int(STAMP))
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


# --- signature.verify ---------------------------------------------------------------------------

RAW = json.dumps({"app_id": APP_ID, "sender": {"id": USER}, "recipient": {"id": OA_ID},
                  "event_name": "user_send_text",
                  "message": {"text": "Xin chào", "msg_id": "96d3cdf3af150460909"},
                  "timestamp": STAMP}, ensure_ascii=False).encode()


def mac(first: str, raw: bytes = RAW, stamp: str = STAMP, secret: str = SECRET) -> str:
    """Zalo's formula written out here (§1.3): sha256(first + body + timestamp + secret)."""
    return hashlib.sha256(first.encode() + raw + stamp.encode() + secret.encode()).hexdigest()


RESERIALISED = json.dumps(json.loads(RAW), ensure_ascii=False, separators=(",", ":")).encode()
HMAC = hmac.new(SECRET.encode(), APP_ID.encode() + RAW + STAMP.encode(), hashlib.sha256).hexdigest()
SIGNATURES = [
    ("app id", "mac=" + mac(APP_ID), RAW, STAMP, "app_id"),
    ("OA id", "mac=" + mac(OA_ID), RAW, STAMP, "oa_id"),
    ("without mac= prefix", mac(APP_ID), RAW, STAMP, "app_id"),
    ("upper-case hex", "mac=" + mac(APP_ID).upper(), RAW, STAMP, "app_id"),
    ("upper-case MAC= prefix", "MAC=" + mac(APP_ID), RAW, STAMP, "app_id"),
    ("surrounding spaces", "  mac=" + mac(APP_ID) + " ", RAW, STAMP, "app_id"),
    ("wrong secret", "mac=" + mac(APP_ID, secret="app-secret"), RAW, STAMP, None),
    ("re-serialised body", "mac=" + mac(APP_ID), RESERIALISED, STAMP, None),
    ("wrong timestamp", "mac=" + mac(APP_ID), RAW, "1751100041637", None),
    ("missing header", None, RAW, STAMP, None),
    ("a lone surrogate as timestamp (JSON carries one)", "mac=" + mac(APP_ID), RAW, "\udfff", None),
    ("empty header", "", RAW, STAMP, None),
    ("only the prefix", "mac=", RAW, STAMP, None),
    ("HMAC-SHA256 with the secret as key", "mac=" + HMAC, RAW, STAMP, None),
    ("another user's signature", "mac=" + mac(APP_ID, raw=RAW.replace(USER.encode(), OTHER.encode())),
     RAW, STAMP, None),
]


@pytest.mark.parametrize("header, raw, stamp, expected", [c[1:] for c in SIGNATURES],
                         ids=[c[0] for c in SIGNATURES])
def test_verify(header, raw, stamp, expected):
    assert signature.verify(raw, header, stamp, APP_ID, OA_ID, SECRET) == expected


def test_verify_needs_a_secret_and_skips_missing_ids():
    assert signature.verify(RAW, "mac=" + mac(APP_ID, secret=""), STAMP, APP_ID, OA_ID, "") is None
    assert signature.verify(RAW, "mac=" + mac(OA_ID), STAMP, None, OA_ID, SECRET) == "oa_id"
    assert signature.verify(RAW, "mac=" + mac(APP_ID), STAMP, APP_ID, None, SECRET) == "app_id"


def test_sign_is_what_verify_accepts():
    assert signature.sign(RAW, STAMP, APP_ID, SECRET) == "mac=" + mac(APP_ID)


# label, body, X-ZEvent-Timestamp header, the signature's timestamp term
TIMESTAMP_TERMS = [
    ("the body's string", {"timestamp": STAMP}, "1", STAMP),
    ("a JSON integer, as written", {"timestamp": int(STAMP)}, None, STAMP),
    ("missing: the header", {}, "1751100041637", "1751100041637"),
    ("an object: the header, never its str()", {"timestamp": {"ms": 1}}, "1751100041637",
     "1751100041637"),
    ("a float: nothing", {"timestamp": 1.5}, None, ""),
    ("true: nothing", {"timestamp": True}, None, ""),
]


@pytest.mark.parametrize("body, header, expected", [c[1:] for c in TIMESTAMP_TERMS],
                         ids=[c[0] for c in TIMESTAMP_TERMS])
def test_timestamp_of(body, header, expected):
    assert signature.timestamp_of(body, header) == expected


# --- events.read ----------------------------------------------------------------------------------

def user_event(name: str, message: dict, sender: str = USER) -> dict:
    """A user → OA event in the documented envelope (§1.4)."""
    return {"app_id": APP_ID, "sender": {"id": sender}, "recipient": {"id": OA_ID},
            "user_id_by_app": "552177279717587730", "event_name": name, "message": message,
            "timestamp": STAMP}


def attached(kind: str, payload: dict, msg_id: str, text: str | None = None) -> dict:
    message = {"msg_id": msg_id, "attachments": [{"type": kind, "payload": payload}]}
    return message if text is None else {**message, "text": text}


def follow_event(name: str, user: str = USER, stamp: str = STAMP) -> dict:
    return {"oa_id": OA_ID, "follower": {"id": user}, "user_id_by_app": "552172779717587730",
            "event_name": name, "source": "oa_profile", "app_id": APP_ID, "timestamp": stamp}


def oa_event(name: str, message: dict) -> dict:
    """OA → user direction (receipts, echoes): sender is the OA."""
    return {"app_id": APP_ID, "sender": {"id": OA_ID}, "recipient": {"id": USER},
            "event_name": name, "message": message, "timestamp": STAMP}


IMG = "https://photo-stal-1.zdn.vn/abc.jpg"
THUMB = "https://photo-stal-1.zdn.vn/abc_thumb.jpg"
PDF = "https://zalo-file.zdn.vn/giay-khen.pdf"
LOCATION = {  # the real logged payload of §1.5, keys and values as logged
    "event_name": "user_send_location", "app_id": "102719276611582260",
    "sender": {"id": "8309393969855402319"}, "recipient": {"id": "1423847451268726170"},
    "message": {"attachments": [{"payload": {"coordinates": {"latitude": "10.7923119",
                                                             "longitude": "106.7820651"}},
                                 "type": "location"}],
                "text": "Cơm Coffee New Sky", "msg_id": "b8de7d84fa1b3043690c"},
    "timestamp": "1751100041636", "user_id_by_app": "7300442764876318465"}


def media(msg_id: str, text: str, *attachments: Attachment) -> InboundMessage:
    return InboundMessage("zalo", msg_id, "zalo", USER, text, kind="media", attachments=attachments,
                          sent_at=AT)


EVENTS = [
    ("user_send_text",
     user_event("user_send_text", {"text": "Xin chào", "msg_id": "96d3cdf3af150460909"}),
     InboundMessage("zalo", "96d3cdf3af150460909", "zalo", USER, "Xin chào", sent_at=AT)),
    ("user_send_text, empty text",
     user_event("user_send_text", {"text": "", "msg_id": "m-empty"}),
     InboundMessage("zalo", "m-empty", "zalo", USER, "", sent_at=AT)),
    ("user_send_image with a caption",
     user_event("user_send_image", attached("image", {"url": IMG, "thumbnail": THUMB}, "m-img", "câu 3")),
     InboundMessage("zalo", "m-img", "zalo", USER, "câu 3", kind="evidence",
                    attachments=(Attachment("image", IMG, thumbnail=THUMB),), sent_at=AT)),
    ("user_send_image without text",
     user_event("user_send_image", attached("image", {"url": IMG, "thumbnail": THUMB}, "m-img2")),
     InboundMessage("zalo", "m-img2", "zalo", USER, "", kind="evidence",
                    attachments=(Attachment("image", IMG, thumbnail=THUMB),), sent_at=AT)),
    ("user_send_file",
     user_event("user_send_file", attached("file", {"url": PDF, "name": "giay-khen.pdf",
                                                    "size": "102400", "type": "pdf"}, "m-file", "")),
     InboundMessage("zalo", "m-file", "zalo", USER, "", kind="evidence",
                    attachments=(Attachment("file", PDF, name="giay-khen.pdf", size=102400),),
                    sent_at=AT)),
    ("user_send_sticker",
     user_event("user_send_sticker", attached("sticker", {"id": "bfe458bf64fa8da4d4eb",
                                                          "url": "https://zalo.test/sticker"}, "m-st")),
     media("m-st", "", Attachment("sticker", "https://zalo.test/sticker"))),
    ("user_send_gif",
     user_event("user_send_gif", attached("gif", {"url": IMG, "thumbnail": THUMB}, "m-gif")),
     media("m-gif", "", Attachment("gif", IMG, thumbnail=THUMB))),
    ("user_send_location (real logged payload)", LOCATION,
     InboundMessage("zalo", "b8de7d84fa1b3043690c", "zalo", "8309393969855402319",
                    "Cơm Coffee New Sky", kind="media", attachments=(Attachment("location"),),
                    sent_at=AT)),
    ("user_send_link",
     user_event("user_send_link", attached("link", {"url": "https://khuyenhoc.vn", "thumbnail": THUMB,
                                                    "description": "Hội Khuyến học", "title": "KH"},
                                           "m-link", "https://khuyenhoc.vn")),
     media("m-link", "https://khuyenhoc.vn", Attachment("link", "https://khuyenhoc.vn", thumbnail=THUMB))),
    ("user_send_audio",
     user_event("user_send_audio", attached("audio", {"url": "https://zalo.test/voice.aac"}, "m-au")),
     media("m-au", "", Attachment("audio", "https://zalo.test/voice.aac"))),
    ("user_send_video",
     user_event("user_send_video", attached("video", {"url": "https://zalo.test/v.mp4", "thumbnail": THUMB,
                                                      "description": "video"}, "m-vi")),
     media("m-vi", "", Attachment("video", "https://zalo.test/v.mp4", thumbnail=THUMB))),
    ("follow", follow_event("follow"),
     InboundMessage("zalo", f"follow:{STAMP}:{USER}", "zalo", USER, "", kind="follow",
                    sent_at=AT)),
    ("unfollow", follow_event("unfollow"),
     InboundMessage("zalo", f"unfollow:{STAMP}:{USER}", "zalo", USER, "", kind="unfollow",
                    sent_at=AT)),
    ("user_submit_info",
     {"sender": {"id": USER}, "recipient": {"id": OA_ID}, "event_name": "user_submit_info",
      "app_id": APP_ID, "timestamp": "1540368141908",
      "info": {"name": "Name Example", "phone": "84912345678", "user_dob": "30/10/1999",
               "gender": "Nam", "full_address": {"user_city": "Thành phố Hồ Chí Minh"}}},
     InboundMessage("zalo", f"user_submit_info:1540368141908:{USER}", "zalo", USER, "",
                    kind="profile", profile={"name": "Name Example", "phone": "84912345678"},
                    sent_at=datetime(2018, 10, 24, 8, 2, 21, 908000, tzinfo=timezone.utc))),
    ("user_received_message",
     oa_event("user_received_message", {"msg_id": "63ecf43f0df7dba892e6"}),
     StatusReport("zalo", ("63ecf43f0df7dba892e6",), "delivered", AT)),
    ("user_seen_message, msg_ids list",
     oa_event("user_seen_message", {"msg_ids": ["63ecf43f0df7dba892e6", "73ecf43f0df7dba892e7"]}),
     StatusReport("zalo", ("63ecf43f0df7dba892e6", "73ecf43f0df7dba892e7"), "seen", AT)),
    ("user_seen_message, single msg_id",
     oa_event("user_seen_message", {"msg_id": "63ecf43f0df7dba892e6"}),
     StatusReport("zalo", ("63ecf43f0df7dba892e6",), "seen", AT)),
    ("user_send_text, timestamp a JSON integer",
     {**user_event("user_send_text", {"text": "1", "msg_id": "m-int"}), "timestamp": int(STAMP)},
     InboundMessage("zalo", "m-int", "zalo", USER, "1", sent_at=AT)),
    ("user_send_text, NUL left out of the text",
     user_event("user_send_text", {"text": "1\x002", "msg_id": "m-nul"}),
     InboundMessage("zalo", "m-nul", "zalo", USER, "12", sent_at=AT)),
    ("user_send_file, size in superscript digits: no size",
     user_event("user_send_file", attached("file", {"url": PDF, "size": "²"}, "m-sup")),
     InboundMessage("zalo", "m-sup", "zalo", USER, "", kind="evidence",
                    attachments=(Attachment("file", PDF),), sent_at=AT)),
    ("user_send_image, attachments a number: nothing to keep",
     user_event("user_send_image", {"msg_id": "m-num", "attachments": 5}), media("m-num", "")),
    ("user_submit_info, a name that is not valid Unicode left out",
     {"sender": {"id": USER}, "event_name": "user_submit_info", "timestamp": STAMP,
      "info": {"name": "\ud800", "phone": "84912345678"}},
     InboundMessage("zalo", f"user_submit_info:{STAMP}:{USER}", "zalo", USER, "", kind="profile",
                    profile={"phone": "84912345678"}, sent_at=AT)),
    ("user_received_message, timestamp in superscript digits: no time",
     {**oa_event("user_received_message", {"msg_id": "63ecf43f0df7dba892e6"}), "timestamp": "²"},
     StatusReport("zalo", ("63ecf43f0df7dba892e6",), "delivered", None)),
    ("user_seen_message, a 25-digit timestamp: no time",
     {**oa_event("user_seen_message", {"msg_id": "63ecf43f0df7dba892e6"}), "timestamp": "1" * 25},
     StatusReport("zalo", ("63ecf43f0df7dba892e6",), "seen", None)),
    ("user_seen_message, unusable ids left out",
     oa_event("user_seen_message", {"msg_ids": ["63ecf43f0df7dba892e6", "a\x00b", "x" * 200]}),
     StatusReport("zalo", ("63ecf43f0df7dba892e6",), "seen", AT)),
    ("oa_send_text echo", oa_event("oa_send_text", {"text": "Câu 1/10", "msg_id": "m-echo"}),
     Ignored("echo")),
    ("unknown event", {"oa_id": OA_ID, "event_name": "change_template_status", "timestamp": STAMP},
     Ignored("unused_event")),
    ("a user_ event that is not a message",
     user_event("user_reacted_message", {"msg_id": "m-r", "react_icon": "/-heart"}),
     Ignored("unused_event")),
]


@pytest.mark.parametrize("body, expected", [c[1:] for c in EVENTS], ids=[c[0] for c in EVENTS])
def test_read(body, expected):
    assert read(body) == expected


def test_read_keeps_long_ids_as_the_exact_strings():
    body = json.loads(RAW)
    got = read(body)
    assert got.address == USER and isinstance(got.address, str)
    assert got.external_id == "96d3cdf3af150460909"


TEXT = user_event("user_send_text", {"text": "1", "msg_id": "m-1"})
BAD_EVENTS = [
    ("no event_name", {k: v for k, v in TEXT.items() if k != "event_name"}, "event_name"),
    ("event_name not a string", {**TEXT, "event_name": ["user_send_text"]}, "event_name"),
    ("user_send_text without sender", {k: v for k, v in TEXT.items() if k != "sender"}, "sender.id"),
    ("user_send_text with an empty sender.id", {**TEXT, "sender": {"id": ""}}, "sender.id"),
    ("user_send_text without message", {k: v for k, v in TEXT.items() if k != "message"}, "'message'"),
    ("user_send_text, message a string", {**TEXT, "message": "1"}, "'message'"),
    ("user_send_text without msg_id", {**TEXT, "message": {"text": "1"}}, "message.msg_id"),
    ("user_send_text, text a list", {**TEXT, "message": {"text": ["1"], "msg_id": "m-1"}}, "message.text"),
    ("user_send_image without sender",
     {k: v for k, v in user_event("user_send_image", attached("image", {"url": IMG}, "m")).items()
      if k != "sender"}, "sender.id"),
    ("follow without follower", {k: v for k, v in follow_event("follow").items() if k != "follower"},
     "follower.id"),
    ("user_submit_info without sender",
     {"event_name": "user_submit_info", "timestamp": STAMP, "info": {"name": "An"}}, "sender.id"),
    ("seen without ids", oa_event("user_seen_message", {}), "msg_id"),
    ("seen with an empty msg_ids list", oa_event("user_seen_message", {"msg_ids": []}), "msg_id"),
    ("seen, no usable id", oa_event("user_seen_message", {"msg_ids": ["a\x00b"]}), "msg_id"),
    ("follow with a message.msg_id too long to keep",
     {**follow_event("follow"), "message": {"msg_id": "x" * 200}}, "message.msg_id"),
    ("follow with an object as timestamp", {**follow_event("follow"), "timestamp": {"ms": 1}},
     "timestamp"),
    ("follow without a timestamp: no way to tell a retry",
     {k: v for k, v in follow_event("follow").items() if k != "timestamp"}, "timestamp"),
    ("user_send_image, a caption that is not valid Unicode",
     user_event("user_send_image", attached("image", {"url": IMG}, "m", "\ud800")), "message.text"),
    ("received without message", {k: v for k, v in oa_event("user_received_message", {}).items()
                                  if k != "message"}, "msg_id"),
    ("body a list", [TEXT], "object"),
]


@pytest.mark.parametrize("body, field", [c[1:] for c in BAD_EVENTS], ids=[c[0] for c in BAD_EVENTS])
def test_read_bad(body, field):
    with pytest.raises(BadEvent, match=field):
        read(body)


# --- messages -------------------------------------------------------------------------------------

BASE = "http://zalo.test"
BUSINESS = "http://business.zalo.test"
CS_URL = BASE + "/v3.0/oa/message/cs"
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)


def test_cs_text_request():
    req = messages.cs_text_request(BASE + "/", "tok-1", USER, "Xin chào")
    assert (req.method, req.url) == ("POST", CS_URL)
    assert req.headers["access_token"] == "tok-1"
    assert "Authorization" not in req.headers
    assert req.headers["Content-Type"] == "application/json"
    assert req.json == {"recipient": {"user_id": USER}, "message": {"text": "Xin chào"}}
    assert req.data is None


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


SENTENCE = "Một câu ngắn. "              # 14 characters
WORDS = " ".join(f"tu{i}" for i in range(900))[:5000]   # 5,000 characters, no punctuation
NFD = unicodedata.normalize("NFD", " ".join(["Học tập suốt đời"] * 110))
SPLITS = [
    ("short", "Xin chào", ["Xin chào"]),
    ("exactly 2000", "a" * 2000, ["a" * 2000]),
    ("cut after the last sentence that fits", SENTENCE * 200,
     [(SENTENCE * 142).rstrip(), (SENTENCE * 58).rstrip()]),   # outer spaces are not sent
    ("no punctuation: cut at spaces", WORDS, None),
    ("one long word: cut at the limit", "a" * 5000, ["a" * 2000, "a" * 2000, "a" * 1000]),
    ("NFD measured after NFC", NFD, [unicodedata.normalize("NFC", NFD)]),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in SPLITS], ids=[c[0] for c in SPLITS])
def test_split_text(text, expected):
    parts = messages.split_text(text)
    assert parts and all(0 < len(p) <= messages.MAX_TEXT for p in parts)
    assert all(unicodedata.is_normalized("NFC", p) for p in parts)
    assert "".join(map(squash, parts)) == squash(text)      # nothing lost, nothing added
    if expected is not None:
        assert parts == expected


def test_split_text_cuts_between_words():
    assert len(WORDS) == 5000 and not any(c in WORDS for c in ".!?…\n")
    parts = messages.split_text(WORDS)
    assert len(parts) == 3
    assert " ".join(parts).split() == WORDS.split()           # no word cut in two
    assert all(len(p) > 1900 for p in parts[:-1])             # and not cut early


def test_split_text_nfd_input_would_be_too_long_unnormalised():
    assert len(NFD) > messages.MAX_TEXT >= len(unicodedata.normalize("NFC", NFD))


def test_split_text_does_not_cut_a_number_at_the_window_edge():
    text = "x " * 999 + "1.000.000 đồng là số tiền hỗ trợ"   # the first '.' is character 2000
    assert text.index(".") == messages.MAX_TEXT - 1
    parts = messages.split_text(text)
    assert parts[1].startswith("1.000.000")


WINDOWS = [
    ("never wrote", None, "closed"),
    ("just now", timedelta(0), "free"),
    ("48 h exactly", timedelta(hours=48), "free"),
    ("48 h + 1 s", timedelta(hours=48, seconds=1), "paid"),
    ("3 days", timedelta(days=3), "paid"),
    ("7 days exactly", timedelta(days=7), "paid"),
    ("7 days + 1 s", timedelta(days=7, seconds=1), "closed"),
]


@pytest.mark.parametrize("age, expected", [c[1:] for c in WINDOWS], ids=[c[0] for c in WINDOWS])
def test_window(age, expected):
    assert messages.window(None if age is None else NOW - age, NOW) == expected


# (window, CDHT_ZALO_PAID_WINDOW) → the kinds that may go out as CS
ALLOWED = {
    ("free", "allow"): {"reply", "reminder", "broadcast"},
    ("free", "deny"): {"reply", "reminder", "broadcast"},
    ("free", "replies"): {"reply", "reminder", "broadcast"},
    ("paid", "allow"): {"reply", "reminder", "broadcast"},
    ("paid", "deny"): set(),
    ("paid", "replies"): {"reply"},
    ("closed", "allow"): set(),
    ("closed", "deny"): set(),
    ("closed", "replies"): set(),
}
MAY_SEND = [(f"{kind} {where} {setting}", kind, where, setting, kind in allowed)
            for (where, setting), allowed in ALLOWED.items()
            for kind in ("reply", "reminder", "broadcast")]


@pytest.mark.parametrize("kind, where, setting, expected", [c[1:] for c in MAY_SEND],
                         ids=[c[0] for c in MAY_SEND])
def test_may_send(kind, where, setting, expected):
    assert messages.may_send(kind, where, setting) is expected


# --- channel.ZaloChannel.send ---------------------------------------------------------------------

class FakeTokens:
    def __init__(self, token: str | None = "tok-1", fresh: str | None = "tok-2"):
        self.token, self.fresh = token, fresh
        self.current_calls, self.refused = 0, []

    def current(self):
        self.current_calls += 1
        return self.token

    def replace_refused(self, refused):
        self.refused.append(refused)
        return self.fresh


def make_channel(tokens, paid_window: str = "replies", templates: str | None = None) -> ZaloChannel:
    settings = types.SimpleNamespace(zalo_openapi_url=BASE, zalo_paid_window=paid_window,
                                     zalo_business_url=BUSINESS, zns_templates=templates)
    return ZaloChannel(settings, tokens, http=requests.Session(), clock=lambda: NOW)


def outbound(kind: str = "reply", age: timedelta | None = timedelta(hours=1)) -> OutboundMessage:
    return OutboundMessage(7, "zalo", USER, "Câu 1/10: Bác có đọc báo không?", kind,
                           last_inbound_at=None if age is None else NOW - age)


def mock() -> responses.RequestsMock:
    return responses.RequestsMock(assert_all_requests_are_fired=True, registry=OrderedRegistry)


def ok(message_id: str = "63ecf43f0df7dba892e6") -> dict:
    return {"json": {"data": {"message_id": message_id, "user_id": USER}, "error": 0,
                     "message": "Success"}}


def err(code: int, message: str) -> dict:
    return {"json": {"error": code, "message": message}}


TOKEN_BAD = err(-216, "Access token is invalid")
# label, Zalo's answers in order, what the refresh returns, expected, refreshes, tokens sent
SENDS = [
    ("success", [ok()], "tok-2", SendResult("63ecf43f0df7dba892e6"), [], ["tok-1"]),
    ("-216: refresh once, retry once", [TOKEN_BAD, ok()], "tok-2",
     SendResult("63ecf43f0df7dba892e6"), ["tok-1"], ["tok-1", "tok-2"]),
    ("-220: refresh once, retry once", [err(-220, "access_token is expired or removed"), ok()],
     "tok-2", SendResult("63ecf43f0df7dba892e6"), ["tok-1"], ["tok-1", "tok-2"]),
    ("-216 twice: retry later, one refresh", [TOKEN_BAD, TOKEN_BAD], "tok-2",
     (RetryLater, None, "-216"), ["tok-1"], ["tok-1", "tok-2"]),
    ("-216 and the refresh fails", [TOKEN_BAD], None, (RetryLater, None, "-216"), ["tok-1"], ["tok-1"]),
    ("-213 not a follower", [err(-213, "User has not followed OA")], "tok-2",
     (NeedsFallback, "not_follower", "-213"), [], ["tok-1"]),
    ("-230 outside 7 days", [err(-230, "User has not interacted with the OA in the past 7 days")],
     "tok-2", (NeedsFallback, None, "-230"), [], ["tok-1"]),
    ("-232 interaction expired", [err(-232, "last interaction expired")], "tok-2",
     (NeedsFallback, None, "-232"), [], ["tok-1"]),
    ("-305 older 48 h rule", [err(-305, "cannot response to user after 48 hours")], "tok-2",
     (NeedsFallback, None, "-305"), [], ["tok-1"]),
    ("-211 out of quota", [err(-211, "Out of quota")], "tok-2", (RetryLater, None, "-211"), [],
     ["tok-1"]),
    ("-32 rate limit", [err(-32, "Your OA reached limit call api")], "tok-2",
     (RetryLater, None, "-32"), [], ["tok-1"]),
    ("-217 blocked", [err(-217, "User has blocked invitation from OA")], "tok-2",
     (Rejected, "blocked", "-217"), [], ["tok-1"]),
    ("-227 banned or inactive", [err(-227, "user banned")], "tok-2", (Rejected, "blocked", "-227"), [],
     ["tok-1"]),
    ("-201 invalid field", [err(-201, "text is invalid")], "tok-2", (Rejected, None, "-201"), [],
     ["tok-1"]),
    ("unknown code keeps code and message", [err(-999, "Something new from Zalo")], "tok-2",
     (Rejected, None, "-999 Something new from Zalo"), [], ["tok-1"]),
    ("HTTP 500", [{"status": 500, "body": "Internal Server Error"}], "tok-2",
     (RetryLater, None, "HTTP 500"), [], ["tok-1"]),
    ("connection error", [{"body": requests.ConnectionError("refused")}], "tok-2",
     (RetryLater, None, "network"), [], ["tok-1"]),
    ("timeout", [{"body": requests.Timeout("slow")}], "tok-2", (RetryLater, None, "network"), [],
     ["tok-1"]),
    ("not JSON", [{"status": 200, "body": "<html>Bad gateway</html>"}], "tok-2",
     (Rejected, None, "unexpected answer"), [], ["tok-1"]),
    ("JSON without error", [{"json": {"data": {}}}], "tok-2", (Rejected, None, "unexpected answer"),
     [], ["tok-1"]),
]


@pytest.mark.parametrize("answers, fresh, expected, refreshes, sent_with",
                         [c[1:] for c in SENDS], ids=[c[0] for c in SENDS])
def test_send(answers, fresh, expected, refreshes, sent_with):
    tokens = FakeTokens(fresh=fresh)
    with mock() as rsps:
        for answer in answers:
            rsps.add(responses.POST, CS_URL, **answer)
        if isinstance(expected, SendResult):
            assert make_channel(tokens).send(outbound()) == expected
        else:
            error, contact, text = expected
            with pytest.raises(error, match=text) as caught:
                make_channel(tokens).send(outbound())
            assert type(caught.value) is error and caught.value.contact == contact
        assert [c.request.headers["access_token"] for c in rsps.calls] == sent_with
        for call in rsps.calls:
            assert json.loads(call.request.body) == {
                "recipient": {"user_id": USER},
                "message": {"text": "Câu 1/10: Bác có đọc báo không?"}}
    assert tokens.refused == refreshes
    assert tokens.current_calls == 1


OUTSIDE = [
    ("older than 7 days", "reply", timedelta(days=7, seconds=1), "replies"),
    ("never wrote", "reply", None, "allow"),
    ("3 days, broadcast, replies only", "broadcast", timedelta(days=3), "replies"),
    ("3 days, reminder, replies only", "reminder", timedelta(days=3), "replies"),
    ("3 days, reply, paid window denied", "reply", timedelta(days=3), "deny"),
]


@pytest.mark.parametrize("kind, age, setting", [c[1:] for c in OUTSIDE], ids=[c[0] for c in OUTSIDE])
def test_send_outside_the_window_makes_no_call(kind, age, setting):
    tokens = FakeTokens()
    with mock() as rsps:
        with pytest.raises(NeedsFallback, match="window") as caught:
            make_channel(tokens, setting).send(outbound(kind, age))
        assert not rsps.calls
    assert caught.value.contact is None
    assert tokens.current_calls == 0 and tokens.refused == []


@pytest.mark.parametrize("kind, setting", [("reply", "replies"), ("broadcast", "allow")],
                         ids=["reply, replies", "broadcast, allow"])
def test_send_in_the_paid_window(kind, setting):
    with mock() as rsps:
        rsps.add(responses.POST, CS_URL, **ok("m-paid"))
        assert make_channel(FakeTokens(), setting).send(outbound(kind, timedelta(days=3))) == \
            SendResult("m-paid")


def test_send_without_a_token_is_retried_later_without_a_call():
    with mock() as rsps:
        with pytest.raises(RetryLater, match="token"):
            make_channel(FakeTokens(token=None)).send(outbound())
        assert not rsps.calls


# Held (never given up): token trouble on our side, and Zalo's rate limit and quota ("back
# off, keep the message"). Other temporary trouble is retried a few times only.
HOLDS = [
    ("no token yet", None, "tok-2", [], True),
    ("the refresh failed", "tok-1", None, [TOKEN_BAD], True),
    ("the new token refused too", "tok-1", "tok-2", [TOKEN_BAD, TOKEN_BAD], False),
    ("rate limit", "tok-1", "tok-2", [err(-32, "Your OA reached limit call api")], True),
    ("quota", "tok-1", "tok-2", [err(-211, "Out of quota")], True),
    ("HTTP 429", "tok-1", "tok-2", [{"status": 429}], True),
    ("HTTP 500", "tok-1", "tok-2", [{"status": 500}], False),
]


@pytest.mark.parametrize("token, fresh, answers, hold", [c[1:] for c in HOLDS],
                         ids=[c[0] for c in HOLDS])
def test_which_retries_are_held(token, fresh, answers, hold):
    with mock() as rsps:
        for answer in answers:
            rsps.add(responses.POST, CS_URL, **answer)
        with pytest.raises(RetryLater) as caught:
            make_channel(FakeTokens(token, fresh)).send(outbound())
    assert caught.value.hold is hold


TEMPLATE_URL = BUSINESS + "/message/template"
TEMPLATES_SETTING = '{"reminder": "7895417a7d3f9461cd2e"}'
ZNS_OK = {"json": {"error": 0, "message": "Success",
                   "data": {"msg_id": "a4d0243feee163bd3af2", "sent_time": "1626926349402"}}}
# label, message kind, Zalo's answers, expected, tokens sent
ZNS_SENDS = [
    ("sent: msg_id kept", "reminder", [ZNS_OK], SendResult("a4d0243feee163bd3af2"), ["tok-1"]),
    ("-216: refresh once, retry once", "reminder", [TOKEN_BAD, ZNS_OK],
     SendResult("a4d0243feee163bd3af2"), ["tok-1", "tok-2"]),
    ("a kind without a template", "broadcast", [], (NeedsFallback, "no ZNS template"), []),
    ("-108 invalid phone", "reminder", [err(-108, "Phone number is invalid")], (Rejected, "-108"),
     ["tok-1"]),
    ("-32 rate limit", "reminder", [err(-32, "reached limit call api")], (RetryLater, "-32"), ["tok-1"]),
]


@pytest.mark.parametrize("kind, answers, expected, sent_with", [c[1:] for c in ZNS_SENDS],
                         ids=[c[0] for c in ZNS_SENDS])
def test_send_template(kind, answers, expected, sent_with):
    channel = make_channel(FakeTokens(), templates=TEMPLATES_SETTING)
    args = ("+84912345678", kind, {"name": "Nguyễn Văn An"}, "reminder-12-2026")
    with mock() as rsps:
        for answer in answers:
            rsps.add(responses.POST, TEMPLATE_URL, **answer)
        if isinstance(expected, SendResult):
            assert channel.send_template(*args) == expected
        else:
            with pytest.raises(expected[0], match=expected[1]):
                channel.send_template(*args)
        assert [c.request.headers["access_token"] for c in rsps.calls] == sent_with
        for call in rsps.calls:
            assert json.loads(call.request.body) == {
                "phone": "84912345678", "template_id": "7895417a7d3f9461cd2e",
                "template_data": {"name": "Nguyễn Văn An"}, "tracking_id": "reminder-12-2026"}


def test_send_template_holds_when_the_refresh_fails():
    channel = make_channel(FakeTokens(fresh=None), templates=TEMPLATES_SETTING)
    with mock() as rsps:
        rsps.add(responses.POST, TEMPLATE_URL, **TOKEN_BAD)
        with pytest.raises(RetryLater) as caught:
            channel.send_template("+84912345678", "reminder", {}, "reminder-12-2026")
    assert caught.value.hold is True


def test_bad_zns_templates_setting_refuses_to_start():
    with pytest.raises(ValueError):
        make_channel(FakeTokens(), templates="{reminder: 1}")


def test_parts_are_zalo_sized():
    assert [len(p) for p in make_channel(FakeTokens()).parts("a" * 4500)] == [2000, 2000, 500]


# --- oauth ----------------------------------------------------------------------------------------

OAUTH = "https://oauth.test"


def test_challenge_of_a_known_verifier():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"     # RFC 7636 appendix B
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert expected == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert oauth.challenge(verifier) == expected


def test_new_verifier_is_43_base64url_characters():
    first, second = oauth.new_verifier(), oauth.new_verifier()
    assert len(first) == 43 and first != second
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_permission_url():
    url = oauth.permission_url(OAUTH + "/", APP_ID, "https://cdht.test/zalo/callback?x=1", "v" * 43,
                               "state-42")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "oauth.test", "/v4/oa/permission")
    assert parse_qs(parts.query) == {"app_id": [APP_ID],
                                     "redirect_uri": ["https://cdht.test/zalo/callback?x=1"],
                                     "code_challenge": [oauth.challenge("v" * 43)],
                                     "state": ["state-42"]}


TOKEN_URL = OAUTH + "/v4/oa/access_token"
TOKEN_REQUESTS = [
    ("refresh", oauth.refresh_request(OAUTH + "/", APP_ID, "app-secret", "refresh-1"),
     {"refresh_token": "refresh-1", "app_id": APP_ID, "grant_type": "refresh_token"}),
    ("exchange", oauth.exchange_request(OAUTH, APP_ID, "app-secret", "code-1", "verifier-1"),
     {"code": "code-1", "app_id": APP_ID, "grant_type": "authorization_code",
      "code_verifier": "verifier-1"}),
]


@pytest.mark.parametrize("req, form", [c[1:] for c in TOKEN_REQUESTS], ids=[c[0] for c in TOKEN_REQUESTS])
def test_token_request(req, form):
    assert (req.method, req.url) == ("POST", TOKEN_URL)
    assert req.headers == {"secret_key": "app-secret",
                           "Content-Type": "application/x-www-form-urlencoded"}
    assert req.data == form and req.json is None
    # On the wire: a form body and the secret in a header, never in the body.
    with mock() as rsps:
        rsps.add(responses.POST, TOKEN_URL, json={"access_token": "a", "refresh_token": "r"},
                 match=[matchers.urlencoded_params_matcher(form),
                        matchers.header_matcher({"secret_key": "app-secret"})])
        assert send_request(requests.Session(), req)[0] == 200


GOOD_TOKENS = [
    ("expires_in a string", {"access_token": "a1", "refresh_token": "r1", "expires_in": "90000"},
     timedelta(hours=25)),
    ("expires_in a number", {"access_token": "a1", "refresh_token": "r1", "expires_in": 3600},
     timedelta(hours=1)),
    ("expires_in missing", {"access_token": "a1", "refresh_token": "r1"}, timedelta(hours=25)),
    ("expires_in not a number", {"access_token": "a1", "refresh_token": "r1", "expires_in": "soon"},
     timedelta(hours=25)),
]


@pytest.mark.parametrize("body, lifetime", [c[1:] for c in GOOD_TOKENS], ids=[c[0] for c in GOOD_TOKENS])
def test_read_tokens(body, lifetime):
    assert oauth.read_tokens(200, body, NOW) == oauth.TokenPair("a1", "r1", NOW + lifetime)


BAD_TOKENS = [
    ("HTTP 200 error body", {"error": -14014, "error_name": "Invalid refresh token",
                             "error_reason": "refresh token is used",
                             "ref_doc": "https://developers.zalo.me"}, "-14014"),
    ("error_description only", {"error": -14005, "error_description": "Invalid code"}, "Invalid code"),
    ("missing refresh_token", {"access_token": "a1", "expires_in": "90000"}, "no token"),
    ("empty access_token", {"access_token": "", "refresh_token": "r1", "expires_in": "90000"},
     "no token"),
    ("refresh_token null", {"access_token": "a1", "refresh_token": None}, "no token"),
    ("tokens not strings", {"access_token": 1, "refresh_token": ["r1"]}, "no token"),
    ("not a dict", ["access_token", "refresh_token"], "not a JSON object"),
    ("not JSON", None, "not a JSON object"),
]


@pytest.mark.parametrize("body, text", [c[1:] for c in BAD_TOKENS], ids=[c[0] for c in BAD_TOKENS])
def test_read_tokens_refuses(body, text):
    with pytest.raises(oauth.OAuthError, match=text):
        oauth.read_tokens(200, body, NOW)


# --- zns ------------------------------------------------------------------------------------------

TEMPLATES = [
    ("unset", None, {}),
    ("empty", "", {}),
    ("valid", '{"reminder": "7895417a7d3f9461cd2e", "result": "a1b2"}',
     {"reminder": "7895417a7d3f9461cd2e", "result": "a1b2"}),
]


@pytest.mark.parametrize("setting, expected", [c[1:] for c in TEMPLATES], ids=[c[0] for c in TEMPLATES])
def test_templates(setting, expected):
    assert zns.templates(setting) == expected


@pytest.mark.parametrize("setting", ["{reminder: 1}", '["7895417a7d3f9461cd2e"]', '{"reminder": 5}',
                                     '"7895417a"'],
                         ids=["not JSON", "a list", "a number as id", "a string"])
def test_templates_invalid(setting):
    with pytest.raises(ValueError):
        zns.templates(setting)


def test_template_request():
    req = zns.template_request("https://business.test/", "tok-1", "+84912345678",
                               "7895417a7d3f9461cd2e", {"name": "Nguyễn Văn An", "total": "91"},
                               "reminder-12-2026")
    assert (req.method, req.url) == ("POST", "https://business.test/message/template")
    assert req.headers["access_token"] == "tok-1"
    assert req.json == {"phone": "84912345678", "template_id": "7895417a7d3f9461cd2e",
                        "template_data": {"name": "Nguyễn Văn An", "total": "91"},
                        "tracking_id": "reminder-12-2026"}


# --- the webhook through the app ------------------------------------------------------------------

ZALO = {"zalo_app_id": APP_ID, "zalo_oa_id": OA_ID, "zalo_oa_secret": SECRET,
        "zalo_openapi_url": BASE}
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
