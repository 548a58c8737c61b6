"""The Zalo OA provider: signature, events, CS messages, the channel, OAuth and ZNS as
tables (the webhook through the app is in test_zalo_webhook.py). Payload shapes follow
/work/shared/reference/zalo-oa-api.md (§1.3–1.5, §2.2–2.6, §3, §4); ids stay strings."""

import hashlib
import hmac
import json
import os
import types
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses

from webhooks.contract import (Attachment, InboundMessage, NeedsFallback, OutboundMessage,
                               Rejected, RetryLater, SendResult, StatusReport)
from webhooks.zalo import messages, signature
from webhooks.zalo.channel import ZaloChannel
from webhooks.zalo.events import BadEvent, Ignored, read
from tests.webhooks.zalo_payloads import (APP_ID, BASE, IMG, NOW, OA_ID, OTHER, SECRET, STAMP,
                                          THUMB, USER, attached, follow_event, mock, oa_event,
                                          user_event)

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

BUSINESS = "http://business.zalo.test"
CS_URL = BASE + "/v3.0/oa/message/cs"
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


# Held (never given up): token trouble on our side, and Zalo's quota ("keep the message").
# Other temporary trouble, Zalo's rate limit included, is retried a few times only.
HOLDS = [
    ("no token yet", None, "tok-2", [], True, False),
    ("the refresh failed", "tok-1", None, [TOKEN_BAD], True, False),
    ("the new token refused too", "tok-1", "tok-2", [TOKEN_BAD, TOKEN_BAD], False, False),
    # too fast is not our fault for ever: back off (and slow the whole channel), then give up
    ("rate limit", "tok-1", "tok-2", [err(-32, "Your OA reached limit call api")], False, True),
    ("quota", "tok-1", "tok-2", [err(-211, "Out of quota")], True, False),
    ("HTTP 429", "tok-1", "tok-2", [{"status": 429}], False, True),
    ("HTTP 500", "tok-1", "tok-2", [{"status": 500}], False, False),
]


@pytest.mark.parametrize("token, fresh, answers, hold, slow_down", [c[1:] for c in HOLDS],
                         ids=[c[0] for c in HOLDS])
def test_which_retries_are_held(token, fresh, answers, hold, slow_down):
    with mock() as rsps:
        for answer in answers:
            rsps.add(responses.POST, CS_URL, **answer)
        with pytest.raises(RetryLater) as caught:
            make_channel(FakeTokens(token, fresh)).send(outbound())
    assert (caught.value.hold, caught.value.slow_down) == (hold, slow_down)


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
