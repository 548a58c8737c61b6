"""Every provider parser is total (hypothesis). Whatever reaches a webhook — any JSON value in
any field, lone surrogates, control characters, 400-digit and superscript numbers, random
bytes, deep or huge bodies, odd headers and query strings, unsigned or correctly signed —
becomes a message, a status report, an ignored event or a 4xx with a short reason: never a
500. The pure readers return a value the database can keep as it stands, or raise their own
refusal. Last, a batch of valid and hostile requests leaves no configured secret and no
whole phone number in any log record.

Most examples are a valid body with odd values in a field or two, so they get past the first
checks and on to the database; the rest are anything at all. The routes reach the database:
one app per test, its client reused across the examples."""

import copy
import hashlib
import json
import logging
import re
import time
from datetime import datetime, timedelta
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.inbound import drain
from webhooks.console import BadRequest, parse
from webhooks.contract import InboundMessage, StatusReport
from webhooks.http import MAX_BODY, BadEvent, Ignored, mask
from webhooks.kannel import read_dlr, read_mo
from webhooks.smsgate import check_signature
from webhooks.smsgate import read as read_smsgate
from webhooks.smsgate import sign as smsgate_sign
from webhooks.zalo import events, signature
from tests.webhooks.test_kannel import KANNEL
from tests.webhooks.test_kannel import SECRET as KANNEL_SECRET
from tests.webhooks.test_smsgate import KEY, SMSGATE
from tests.webhooks.zalo_payloads import APP_ID, OA_ID, USER, ZALO
from tests.webhooks.zalo_payloads import SECRET as ZALO_SECRET

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
ROUTES = settings(max_examples=200, deadline=None, suppress_health_check=_QUIET)
PURE = settings(max_examples=500, deadline=None, suppress_health_check=_QUIET)

# --- what hostile senders send -------------------------------------------------------------------

ODD_STRINGS = ["", " ", "\ud800", "\udfff", "a\udc80b", "\x00", "a\x00b", "a\nb", "\x1b[2J",
               "\u202e", "\u0085", "x" * 3000, "+84912345678"]
# What is not quite a number: superscripts and other scripts' digits (str.isdigit says yes),
# more digits than int() reads or a float holds, signs, floats, JSON types.
ODD_NUMBERS = ["²", "¹²³", "١٧٥١١٠٠٠٤١٦٣٦", "１２３", "9" * 400, "1" * 25, "0" * 5000 + "7",
               "-1", " 42 ", "1.5", "1e3", "0x1F", "NaN", 2**40, 10**400, -1, 1.5, True, None]
ODD_IDS = ["", "x" * 129, "a\x00b", "a\nb", "\ud800", 42, 1.5, None, True, ["m-1"], {"id": 1}]
odd_text = st.one_of(st.sampled_from(ODD_STRINGS), st.text(st.characters(codec=None), max_size=40))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-10**400, 10**400),
                    st.floats(), odd_text, st.sampled_from(ODD_NUMBERS))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(odd_text, inner, max_size=3), max_leaves=8)
ODD_VALUES = ODD_STRINGS + ODD_NUMBERS + ODD_IDS
odd_values = st.one_of(st.sampled_from(ODD_VALUES), json_values)
digits = st.text("0123456789", min_size=1, max_size=19)
fresh_ids = st.uuids().map(str)
MISSING = object()


def mostly(usual: st.SearchStrategy, *others: st.SearchStrategy) -> st.SearchStrategy:
    """Three examples in four from `usual`, the rest from `others` (one_of cannot weigh
    them: it drops repeated branches)."""
    return st.sampled_from([usual] * 3 + [st.one_of(*others)]).flatmap(lambda chosen: chosen)


def odd(usual: st.SearchStrategy, *values) -> st.SearchStrategy:
    """A field's usual value, or one of the odd ones that broke parsers."""
    return mostly(usual, st.sampled_from(values))


def paths_in(value, prefix: tuple = ()) -> list[tuple]:
    """Every field of a JSON body (or query dict) by its path, list items by index."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    paths = []
    for key, inner in items:
        paths += [prefix + (key,), *paths_in(inner, prefix + (key,))]
    return paths


def _edited(body, edits):
    body = copy.deepcopy(body)
    for path, value in edits:
        node = body
        try:
            for key in path[:-1]:
                node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
            if value is MISSING:
                del node[path[-1]]
            else:   # a copy: a shared odd value edited twice would contain itself
                node[path[-1]] = copy.deepcopy(value)
        except (KeyError, IndexError, TypeError):
            pass   # an earlier edit took the parent away
    return body


def near(bodies: st.SearchStrategy, values=odd_values, add: tuple = ()) -> st.SearchStrategy:
    """Each body with up to two fields replaced by one of `values`, or removed; `add`: paths
    the body lacks that a sender may add anyway."""
    def edits(body):
        edit = st.tuples(st.sampled_from(paths_in(body) + list(add)),
                         mostly(values, st.just(MISSING)))
        return st.builds(_edited, st.just(body), st.lists(edit, max_size=2))
    return bodies.flatmap(edits)


def anything_in(fields: list[str]) -> st.SearchStrategy:
    """An object with the provider's field names and any values at all."""
    return st.dictionaries(st.sampled_from(fields), json_values, max_size=len(fields))


def deep(opening: bytes, closing: bytes, depth: int) -> bytes:
    return opening * depth + b"1" + closing * depth


RAW_ODDITIES = [b"", b" ", b"{}", b"null", b"[]", b'"x"', b"1e999", b"NaN", b"\xef\xbb\xbf{}",
                b'{"event": "\xff\xfe"}', b'{"event_name": "\xed\xa0\x80"}', b"{" * 3,
                deep(b"[", b"]", 30_000), deep(b'{"a":', b"}", 10_000),
                json.dumps({"event_name": "user_send_text"}).encode("utf-16"),
                b" " * MAX_BODY, b"x" * (MAX_BODY + 1)]
raw_bodies = st.one_of(st.binary(max_size=200), st.sampled_from(RAW_ODDITIES))
# Headers arrive as latin-1 text; a few non-latin-1 ones check nothing assumes that.
header_text = st.one_of(st.text(st.characters(codec="latin-1", exclude_characters="\r\n"),
                                max_size=60),
                        st.sampled_from(["\ud800", "ạ", "mac=" + "0" * 64, "9" * 400, "²", " "]))


def headers_for(*names: str) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from([*names, "Content-Type"]), header_text, max_size=3)


def encode(body) -> bytes:
    """JSON as a sender writes it; \\u escapes when a lone surrogate allows nothing else."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body).encode("ascii")


def assert_short_reason(response) -> None:
    if response.status_code >= 400:
        reason = (response.get_json(silent=True) or {}).get("error") if response.is_json \
            else response.get_data(as_text=True)
        assert isinstance(reason, str) and 0 < len(reason) <= 200, response.data[:300]


# --- what parsers may hand over -------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text_fits(value: str) -> bool:
    """PostgreSQL keeps it: valid UTF-8, no NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _id_fits(value: str, max_len: int = 128) -> bool:
    return 0 < len(value) <= max_len and not _CONTROL.search(value) and _text_fits(value)


def _utc(at) -> bool:
    return at is None or at.utcoffset() == timedelta(0)


def assert_storable(item) -> None:
    """What a parser hands the host fits the database as it stands."""
    if isinstance(item, InboundMessage):
        assert _id_fits(item.external_id) and _id_fits(item.address), item
        texts = [item.text, *item.profile.values()]
        texts += [v for a in item.attachments for v in (a.type, a.url, a.name, a.thumbnail) if v]
        assert all(isinstance(t, str) and _text_fits(t) for t in texts), item
        assert all(a.size is None or 0 <= a.size < 2**31 for a in item.attachments), item
        assert _utc(item.sent_at), item
    elif isinstance(item, StatusReport):
        assert item.provider_message_ids and all(map(_id_fits, item.provider_message_ids)), item
        assert all(0 <= i < 2**63 for i in item.outbox_ids), item
        assert item.reason is None or (_text_fits(item.reason) and len(item.reason) <= 200), item
        assert _utc(item.at), item
    else:
        assert isinstance(item, Ignored), item


# --- Zalo -----------------------------------------------------------------------------------------

IMAGE = "https://photo-stal-1.zdn.vn/a.jpg"
ZALO_EVENTS = ["user_send_text", "user_send_image", "user_send_file", "user_send_sticker",
               "follow", "unfollow", "user_submit_info", "user_received_message",
               "user_seen_message"]


def zalo_event(name: str, msg_id, user, stamp, text, size) -> dict:
    """One event of each shape Zalo sends (test_zalo.py's table has them all)."""
    envelope = {"app_id": APP_ID, "event_name": name, "timestamp": stamp,
                "sender": {"id": user}, "recipient": {"id": OA_ID}}
    if name in ("follow", "unfollow"):
        return {"app_id": APP_ID, "oa_id": OA_ID, "event_name": name, "timestamp": stamp,
                "follower": {"id": user}, "source": "oa_profile"}
    if name == "user_submit_info":
        return {**envelope, "info": {"name": text, "phone": "84912345678"}}
    if name in ("user_received_message", "user_seen_message"):
        return {**envelope, "sender": {"id": OA_ID}, "recipient": {"id": user},
                "message": {"msg_id": msg_id, "msg_ids": [msg_id]}}
    if name == "user_send_text":
        return {**envelope, "message": {"msg_id": msg_id, "text": text}}
    kind = name.removeprefix("user_send_")
    return {**envelope, "message": {"msg_id": msg_id, "text": text, "attachments": [
        {"type": kind, "payload": {"url": IMAGE, "thumbnail": IMAGE, "name": "a.jpg",
                                   "size": size}}]}}


ZALO_ADD = [("message", "msg_id"), ("message", "msg_ids"), ("sender", "id"), ("follower", "id")]
zalo_near = near(st.builds(
    zalo_event, st.sampled_from(ZALO_EVENTS), fresh_ids, st.one_of(st.just(USER), digits),
    odd(st.integers(10**12, 2 * 10**12).map(str), "\udfff", *ODD_NUMBERS),
    st.sampled_from(["1", "Dạ có ạ", "", "a\x00b", "\ud800", "x" * 3000]),
    odd(st.just("102400"), *ODD_NUMBERS)), add=ZALO_ADD)
zalo_bodies = st.one_of(zalo_near, anything_in(["event_name", "timestamp", "sender",
                                                "follower", "message", "info"]))


def zalo_mac(raw: bytes, stamp: str, first: str, secret: str = ZALO_SECRET) -> str:
    """Zalo's formula, even over a timestamp no one could sign (a lone surrogate)."""
    term = stamp.encode("utf-8", "surrogatepass")
    return "mac=" + hashlib.sha256(first.encode() + raw + term + secret.encode()).hexdigest()


def test_zalo_webhook_is_total(make_app):
    client = make_app(**ZALO).test_client()

    @ROUTES
    @given(body=mostly(zalo_near, zalo_bodies, raw_bodies),
           signed=st.sampled_from([APP_ID, APP_ID, OA_ID, None]),
           headers=headers_for("X-ZEvent-Signature", "X-ZEvent-Timestamp", "num_retry"))
    def check(body, signed, headers):
        raw = body if isinstance(body, bytes) else encode(body)
        if signed and isinstance(body, dict):   # with the timestamp the app will read
            stamp = signature.timestamp_of(body, headers.get("X-ZEvent-Timestamp"))
            headers = {**headers, "X-ZEvent-Signature": zalo_mac(raw, stamp, signed)}
        response = client.post("/webhooks/zalo", data=raw, headers=headers,
                               content_type="application/json")
        assert response.status_code in (200, 400, 401, 413), response.data[:300]
        assert_short_reason(response)

    check()


def test_a_lone_surrogate_timestamp_with_any_signature_is_a_401_not_a_500(make_app):
    client = make_app(**ZALO).test_client()
    raw = b'{"event_name": "user_send_text", "timestamp": "\\udfff"}'
    response = client.post("/webhooks/zalo", data=raw, content_type="application/json",
                           headers={"X-ZEvent-Signature": "mac=00"})
    assert response.status_code == 401


@PURE
@given(body=st.one_of(zalo_bodies, json_values))
def test_zalo_read_hands_over_storable_values_or_refuses(body):
    try:
        item = events.read(body)
    except BadEvent as exc:
        assert 0 < len(str(exc)) <= 200
    else:
        assert_storable(item)


settings_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)   # ours: valid


@PURE
@given(raw=st.binary(max_size=100), header=st.one_of(st.none(), odd_text, header_text),
       stamp=st.one_of(odd_text, st.sampled_from(ODD_NUMBERS).map(str)),
       app_id=st.one_of(st.none(), settings_text), oa_id=st.one_of(st.none(), settings_text),
       secret=settings_text)
def test_zalo_verify_answers_for_any_input(raw, header, stamp, app_id, oa_id, secret):
    assert signature.verify(raw, header, stamp, app_id, oa_id, secret) in (None, "app_id", "oa_id")


# --- SMS Gateway for Android ----------------------------------------------------------------------

OFFSETS = ["+07:00", "-07:00", "Z", "+23:59", "", "+25:00", "+07:00:00.5"]
iso_times = st.builds(lambda at, offset: at.isoformat() + offset,
                      st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
                      st.sampled_from(OFFSETS))
SMSGATE_EVENTS = ["sms:received", "sms:received", "sms:delivered", "sms:failed", "sms:sent",
                  "system:ping"]   # received twice: the event that reaches the database


def smsgate_event(name: str, event_id, sender, message_id, at, text) -> dict:
    if name == "sms:received":
        payload = {"messageId": "abc123", "message": text, "sender": sender,
                   "phoneNumber": sender, "simNumber": 1, "receivedAt": at}
    else:
        payload = {"messageId": message_id, "phoneNumber": sender, "deliveredAt": at,
                   "failedAt": at, "reason": text}
    return {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": name, "id": event_id,
            "webhookId": "wh-1", "payload": payload}


smsgate_near = near(st.builds(
    smsgate_event, st.sampled_from(SMSGATE_EVENTS), fresh_ids,
    st.sampled_from(["+84389123456", "01689123456", " 0389123456 ", "9029", "VIETTEL"]),
    odd(st.integers(1, 10**6).map("cdht-{}".format), *(f"cdht-{n}" for n in ODD_NUMBERS)),
    iso_times, st.sampled_from(["DK 12364", "RESULT_ERROR", "", "a\x00b", "\ud800", "x" * 3000])))
smsgate_bodies = st.one_of(smsgate_near, anything_in(["event", "id", "payload"]))
ODD_STAMPS = ["9" * 400, "²", "١٢٣", " 1 ", "-1", "", "1e9", "0x10", "\ud800", "0" * 5000 + "1",
              str(10**12), "1" * 25]


def test_smsgate_webhook_is_total(make_app):
    client = make_app(**SMSGATE).test_client()

    @ROUTES
    @given(body=mostly(smsgate_near, smsgate_bodies, raw_bodies),
           stamp=mostly(st.none(), st.sampled_from(ODD_STAMPS), header_text),
           signed=st.sampled_from([True, True, True, False]),
           headers=headers_for("X-Signature", "X-Timestamp"))
    def check(body, stamp, signed, headers):
        raw = body if isinstance(body, bytes) else encode(body)
        stamp = str(int(time.time())) if stamp is None else stamp   # None: a fresh one
        if signed:
            try:
                mac = smsgate_sign(raw, stamp.strip(), KEY)
            except UnicodeEncodeError:
                mac = "0" * 64
            headers = {**headers, "X-Signature": mac, "X-Timestamp": stamp}
        response = client.post("/webhooks/smsgate", data=raw, headers=headers,
                               content_type="application/json")
        assert response.status_code in (200, 400, 401, 413), response.data[:300]
        assert_short_reason(response)

    check()


@PURE
@given(body=st.one_of(smsgate_bodies, json_values))
def test_smsgate_read_hands_over_storable_values_or_refuses(body):
    try:
        item = read_smsgate(body)
    except BadEvent as exc:
        assert 0 < len(str(exc)) <= 200
    else:
        assert_storable(item)


@PURE
@given(raw=st.binary(max_size=100), stamp=st.one_of(st.sampled_from(ODD_STAMPS), odd_text, digits),
       key=st.sampled_from([KEY, "", "khoá"]), now=st.floats(allow_nan=False),
       signed=st.booleans())
def test_smsgate_check_signature_answers_for_any_input(raw, stamp, key, now, signed):
    try:
        mac = smsgate_sign(raw, stamp.strip(), key) if signed else stamp
    except UnicodeEncodeError:
        mac = stamp
    problem = check_signature(raw, mac, stamp, key, now)
    assert problem is None or 0 < len(problem) <= 200


# --- Kannel ---------------------------------------------------------------------------------------

ODD_BYTES = [b"", b"\x00", b"a\x00b", b"\xff\xfe", b"\xed\xa0\x80", b"\\ud800", b"+2AA-",
             b"9" * 400, "²".encode(), "١٢٣".encode(), b"0" * 5000 + b"1", b"1" * 25, b"-1",
             b"\x1b[2J", b"x" * 3000]
odd_bytes = st.one_of(st.sampled_from(ODD_BYTES), st.binary(max_size=40))
CHARSETS = [b"UTF-8", b"UTF-16BE", b"UCS-2", b"", b"WINDOWS-1252", b"unicode_escape", b"utf-7",
            b"UTF-8\x00", b"X-UNKNOWN", b"undefined", b"idna", b"rot13", b"\xff"]


def kannel_args(sender, msg_id, text, charset, ts, outbox, status, answer) -> dict:
    """What Kannel's get-url (docs/kannel.conf) and our dlr-url put in the query."""
    return {b"from": sender, b"to": b"8088", b"text": text, b"coding": b"0", b"charset": charset,
            b"id": msg_id, b"ts": ts, b"outbox": outbox, b"status": status, b"answer": answer}


TEXTS = ["Dạ có".encode(), "Dạ có".encode("utf-16-be"), b"1", b"a\x00b", b"\\ud800",
         b"+2AA-", b"\xff\xfe"]
kannel_queries = near(st.builds(
    kannel_args, st.sampled_from([b"0912345678", b"+84389123456", b"9029"]),
    odd(fresh_ids.map(str.encode), b"", b"a\x00b", b"x" * 200), st.sampled_from(TEXTS),
    st.sampled_from(CHARSETS), odd(st.just(b"1795327748"), *ODD_BYTES),
    odd(st.integers(1, 10**6).map(lambda n: str(n).encode()), *ODD_BYTES),
    odd(st.sampled_from([b"1", b"2", b"4", b"8", b"16", b"3"]), *ODD_BYTES),
    st.sampled_from([b"ACK/", b"NACK/a\x00b", "từ chối".encode(), b"\xff"])), odd_bytes)
JUNK = [b"", b"&", b"%", b"%zz", b"=", b";", b"\xff", b"a=%", b"&&=&", b"+", b"%00"]


def query(args: dict, junk: bytes, secret: bytes | None) -> str:
    """A query string of raw bytes, percent-encoded, with the secret last (it wins)."""
    pairs = [*args.items(), *([(b"secret", secret)] if secret is not None else [])]
    encoded = "&".join(quote_from_bytes(k, safe="") + "=" + quote_from_bytes(v, safe="")
                       for k, v in pairs)
    return (junk + b"&" + encoded.encode("ascii")).decode("latin-1")   # as WSGI gives it


def test_kannel_routes_are_total(make_app):
    client = make_app(**KANNEL).test_client()
    right = KANNEL_SECRET.encode()

    @ROUTES
    @given(path=st.sampled_from(["/webhooks/kannel/mo", "/webhooks/kannel/dlr"]),
           args=kannel_queries, junk=st.sampled_from(JUNK),
           secret=mostly(st.just(right), st.sampled_from([b"guess", b"", None, right + b"\x00"])))
    def check(path, args, junk, secret):
        response = client.get(path, environ_overrides={"QUERY_STRING": query(args, junk, secret)})
        assert response.status_code in (200, 400, 403), response.data[:300]
        assert_short_reason(response)
        if secret != right:
            assert response.status_code == 403

    check()


def as_args(query_args: dict) -> dict[str, str]:
    """How _args() hands the query to the readers: latin-1 code points, one per byte."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in query_args.items()}


@PURE
@given(args=st.one_of(kannel_queries.map(as_args),
                      st.dictionaries(st.sampled_from(["from", "text", "charset", "id", "ts"]),
                                      odd_text, max_size=5)))
def test_kannel_read_mo_hands_over_storable_values_or_refuses(args):
    try:
        message = read_mo(args)
    except ValueError as exc:
        assert str(exc) == "'from' is missing or not a usable sender"
    else:
        assert_storable(message)


@PURE
@given(args=kannel_queries.map(as_args))
def test_kannel_read_dlr_hands_over_storable_values_or_refuses(args):
    try:
        report = read_dlr(args)
    except ValueError as exc:
        assert str(exc) == "'outbox' and 'status' must be numbers"
    else:
        assert_storable(report)


# --- console --------------------------------------------------------------------------------------

console_near = near(st.builds(
    lambda sender, text, channel, msg_id: {"from": sender, "text": text, "channel": channel,
                                           "id": msg_id},
    st.sampled_from(["zalo-user-1", "0912345678", " 0389123456 "]),
    st.sampled_from(["1", "Dạ có ạ", "", "a\x00b", "\ud800"]), st.sampled_from(["zalo", "sms"]),
    fresh_ids))
console_bodies = st.one_of(console_near, anything_in(["from", "text", "channel", "id"]))


def test_console_webhook_is_total(make_app):
    client = make_app().test_client()

    @ROUTES
    @given(body=mostly(console_near, console_bodies, json_values, raw_bodies))
    def check(body):
        raw = body if isinstance(body, bytes) else encode(body)
        response = client.post("/webhooks/console", data=raw, content_type="application/json")
        assert response.status_code in (200, 400, 413), response.data[:300]
        assert_short_reason(response)

    check()


@PURE
@given(body=st.one_of(console_bodies, json_values))
def test_console_parse_hands_over_storable_values_or_refuses(body):
    try:
        message = parse(body)
    except BadRequest as exc:
        assert 0 < len(str(exc)) <= 200
    else:
        assert_storable(message)


# --- every field, every odd value ----------------------------------------------------------------

def one_edit_each(body, values: list, add: tuple = ()):
    """The body with one field replaced by each of `values`, or removed: every field in turn."""
    for path in paths_in(body) + list(add):
        for value in [*values, MISSING]:
            yield _edited(body, [(path, value)])


ZALO_BASES = [zalo_event(name, "m-1", USER, "1751100041636", "1", "102400")
              for name in ZALO_EVENTS]
SMSGATE_BASES = [smsgate_event(name, "ev-1", "+84389123456", "cdht-1", "2024-06-22T15:46:11+07:00",
                               "DK") for name in ("sms:received", "sms:delivered", "sms:failed")]
CONSOLE_BASES = [{"from": "0912345678", "text": "1", "channel": "sms", "id": "m-1"}]
KANNEL_BASE = kannel_args(b"0912345678", b"k-1", b"DK", b"UTF-8", b"1795327748", b"7", b"2",
                          b"NACK")
KANNEL_BASES = [KANNEL_BASE, {k: v for k, v in KANNEL_BASE.items() if k != b"id"}]   # id: %I
SWEEPS = [
    ("zalo events.read", events.read, BadEvent, ZALO_BASES, ODD_VALUES, ZALO_ADD),
    ("smsgate read", read_smsgate, BadEvent, SMSGATE_BASES, ODD_VALUES, ()),
    ("console parse", parse, BadRequest, CONSOLE_BASES, ODD_VALUES, ()),
    ("kannel read_mo", lambda q: read_mo(as_args(q)), ValueError, KANNEL_BASES, ODD_BYTES, ()),
    ("kannel read_dlr", lambda q: read_dlr(as_args(q)), ValueError, KANNEL_BASES, ODD_BYTES, ()),
]


@pytest.mark.parametrize("read, refusal, bases, values, add", [s[1:] for s in SWEEPS],
                         ids=[s[0] for s in SWEEPS])
def test_every_field_with_every_odd_value(read, refusal, bases, values, add):
    """Hypothesis tries combinations; this tries each odd value in each field, every run."""
    for base in bases:
        for body in one_edit_each(base, values, add):
            try:
                item = read(body)
            except refusal as exc:
                assert 0 < len(str(exc)) <= 200
            else:
                assert_storable(item)


# Values a parser might let through that PostgreSQL refuses (SQLite keeps them all): NUL, more
# than a VARCHAR(128) id holds, a lone surrogate.
DB_REFUSES = ["a\x00b", "x" * 200, "\ud800"]


def to_zalo(client, body):
    raw = encode(body)
    stamp = signature.timestamp_of(body, None)
    return client.post("/webhooks/zalo", data=raw, content_type="application/json",
                       headers={"X-ZEvent-Signature": zalo_mac(raw, stamp, APP_ID)})


def to_smsgate(client, body):
    raw, stamp = encode(body), str(int(time.time()))
    return client.post("/webhooks/smsgate", data=raw, content_type="application/json",
                       headers={"X-Signature": smsgate_sign(raw, stamp, KEY), "X-Timestamp": stamp})


def to_kannel(path: str):
    def send(client, args):
        return client.get(path, environ_overrides={
            "QUERY_STRING": query(args, b"", KANNEL_SECRET.encode())})
    return send


def to_console(client, body):
    return client.post("/webhooks/console", data=encode(body), content_type="application/json")


DB_BYTES = [v.encode("utf-8", "surrogatepass") for v in DB_REFUSES]
ROUTE_SWEEPS = [
    ("zalo", ZALO, to_zalo, ZALO_BASES, DB_REFUSES, ZALO_ADD),
    ("smsgate", SMSGATE, to_smsgate, SMSGATE_BASES, DB_REFUSES, ()),
    ("kannel mo", KANNEL, to_kannel("/webhooks/kannel/mo"), KANNEL_BASES, DB_BYTES, ()),
    ("kannel dlr", KANNEL, to_kannel("/webhooks/kannel/dlr"), KANNEL_BASES, DB_BYTES, ()),
    ("console", {}, to_console, CONSOLE_BASES, DB_REFUSES, ()),
]


@pytest.mark.parametrize("provider, send, bases, values, add", [s[1:] for s in ROUTE_SWEEPS],
                         ids=[s[0] for s in ROUTE_SWEEPS])
def test_every_field_with_a_value_the_database_refuses_through_the_route(
        make_app, provider, send, bases, values, add):
    """Signed, so each reaches the parser and, when it passes, the database (run on
    PostgreSQL to mean something). 401: a lone surrogate as Zalo's timestamp, unsignable."""
    client = make_app(**provider).test_client()
    for base in bases:
        for body in one_edit_each(base, values, add):
            response = send(client, body)
            assert response.status_code in (200, 400, 401), (body, response.data[:300])
            assert_short_reason(response)


# --- small helpers --------------------------------------------------------------------------------

@PURE
@given(address=odd_text)
def test_mask_keeps_at_most_the_last_three_characters(address):
    assert mask(address) == "…" + address[-3:]


def test_mask_a_phone_number():
    assert mask("+84912345678") == "…678"


# --- logs -----------------------------------------------------------------------------------------

SECRETS = {"zalo_oa_secret": "zalo-oa-secret-Qh7", "zalo_app_secret": "zalo-app-secret-Wx2",
           "zalo_pkce_verifier": "zalo-pkce-verifier-Rt5",
           "kannel_mo_secret": "kannel-mo-secret-Jk8", "kannel_password": "kannel-password-Lm3",
           "smsgate_signing_key": "smsgate-signing-key-Np4",
           "smsgate_password": "smsgate-password-Vb6", "secret_key": "flask-secret-key-Zc9"}
PHONE = "+84912345678"
PHONE_FORMS = (PHONE, "84912345678", "0912345678")


def requests_that_carry_secrets_and_phones(client) -> None:
    """Valid and hostile requests from the same citizen, on every provider."""
    zalo, kannel, key = (SECRETS[k] for k in ("zalo_oa_secret", "kannel_mo_secret",
                                              "smsgate_signing_key"))
    now = str(int(time.time() * 1000))

    def to_zalo(body: dict, secret: str = zalo) -> None:
        raw = encode(body)
        client.post("/webhooks/zalo", data=raw, content_type="application/json",
                    headers={"X-ZEvent-Signature": zalo_mac(raw, body["timestamp"], APP_ID, secret),
                             "num_retry": "1"})

    text = {"app_id": APP_ID, "event_name": "user_send_text", "timestamp": now,
            "sender": {"id": USER}, "message": {"msg_id": "m-log-1", "text": f"số tôi {PHONE}"}}
    to_zalo(text)
    to_zalo(text)                                               # a retry: a duplicate
    to_zalo({**text, "message": {"msg_id": "m-log-2", "text": "1"}}, secret="wrong")
    to_zalo({"event_name": "user_submit_info", "timestamp": now, "sender": {"id": USER},
             "info": {"name": "Lan", "phone": "84912345678"}})
    to_zalo({"event_name": PHONE, "timestamp": "\udfff", "sender": {"id": PHONE}})

    def to_kannel(path: str, secret: str = kannel, **args: str) -> None:
        client.get(f"{path}?secret={quote(secret, safe='')}&"
                   + "&".join(f"{k}={quote(v, safe='')}" for k, v in args.items()))

    for n, sender in enumerate(PHONE_FORMS):   # without an id twice (a retry), then with one
        to_kannel("/webhooks/kannel/mo", **{"from": sender, "text": "DK", "ts": "1795327748"})
        to_kannel("/webhooks/kannel/mo", **{"from": sender, "text": "DK", "ts": "1795327748"})
        to_kannel("/webhooks/kannel/mo", **{"from": sender, "text": "1"})
        to_kannel("/webhooks/kannel/mo", **{"from": sender, "text": "2", "id": f"k-log-{n}"})
        to_kannel("/webhooks/kannel/mo", secret="guess", **{"from": sender, "text": "1"})
    to_kannel("/webhooks/kannel/mo", **{"from": "+849123456780000", "text": "1"})  # not a phone
    to_kannel("/webhooks/kannel/dlr", outbox="1", status="2", answer=f"NACK {PHONE}")
    to_kannel("/webhooks/kannel/dlr", secret="guess", outbox="1", status="1")

    def to_smsgate(body: dict, signing_key: str = key, stamp: str | None = None) -> None:
        raw, stamp = encode(body), stamp or str(int(time.time()))
        client.post("/webhooks/smsgate", data=raw, content_type="application/json",
                    headers={"X-Signature": smsgate_sign(raw, stamp.strip(), signing_key),
                             "X-Timestamp": stamp})

    for n, sender in enumerate(PHONE_FORMS):
        received = {"event": "sms:received", "id": f"ev-log-{n}",
                    "payload": {"messageId": "abc", "message": f"DK {PHONE}", "sender": sender,
                                "receivedAt": "2024-06-22T15:46:11.000+07:00"}}
        to_smsgate(received)
        to_smsgate(received)
        to_smsgate(received, signing_key="wrong")
        to_smsgate(received, stamp="9" * 400)
    to_smsgate({"event": "sms:failed", "id": "ev-log-f",
                "payload": {"messageId": "cdht-1", "reason": f"no route to {PHONE}"}})
    client.post("/webhooks/console", json={"from": PHONE, "text": "xin chào", "channel": "sms"})
    client.post("/webhooks/console", json={"from": "0912345678", "text": "\ud800"})


def test_logs_carry_no_secret_and_no_whole_phone_number(make_app, caplog):
    caplog.set_level(logging.DEBUG)   # the root: every logger that does not set its own level
    for name in ("bot", "webhooks", "storage", "flows", "werkzeug", "flask.app"):
        caplog.set_level(logging.DEBUG, logger=name)
    app = make_app(**{**ZALO, **KANNEL, **SMSGATE, **SECRETS}, sms_reply_gateway="kannel")
    requests_that_carry_secrets_and_phones(app.test_client())
    drain(app.extensions["cdht"])   # and what a worker logs processing them
    assert caplog.records, "nothing was logged: the check would prove nothing"
    leaks = [f"{record.name}: {caplog.handler.format(record)}" for record in caplog.records
             if any(s in caplog.handler.format(record)
                    for s in (*SECRETS.values(), *PHONE_FORMS))]
    assert not leaks, "\n".join(leaks)
