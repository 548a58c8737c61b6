"""The Kannel provider's table: MO parsing, the secret, sendsms requests, DLR mapping."""

import types
from datetime import datetime, timezone
from urllib.parse import quote, quote_from_bytes

import pytest
import responses
from responses import matchers
from sqlalchemy import select

from bot.inbound import drain
from storage.models import Contact, InboundEvent, Outbox
from webhooks.contract import OutboundMessage, Rejected, RetryLater, StatusReport
from webhooks.http import Ignored, clean_id
from webhooks.kannel import (KannelChannel, accepted, mo_text, provider_id, read_dlr, read_mo,
                             sendsms_params)
from tests.helpers import count

SECRET = "s3cret"
SENDSMS = "http://kannel.test:13013/cgi-bin/sendsms"
SETTINGS = types.SimpleNamespace(
    kannel_sendsms_url=SENDSMS, kannel_user="cdht", kannel_password="pw",
    kannel_mo_secret=SECRET, kannel_sender="8088", public_url="https://bot.example.vn")
KANNEL = {"kannel_sendsms_url": SENDSMS, "kannel_user": "cdht", "kannel_password": "pw",
          "kannel_mo_secret": SECRET, "kannel_sender": "8088",
          "public_url": "https://bot.example.vn", "secret_key": "a-long-random-test-key"}
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)


def latin1(text: str, encoding: str = "utf-8") -> str:
    """How `text=%b` reaches read_mo: the URL bytes as latin-1 code points."""
    return text.encode(encoding).decode("latin-1")


MO = [
    ("GSM text", {"from": "0912345678", "text": "CO", "charset": "UTF-8", "id": "u-1"},
     ("0912345678", "CO", "u-1")),
    ("UTF-8 recoded Vietnamese", {"from": "84912345678", "text": latin1("Dạ có ạ"), "charset": "UTF-8",
                                  "id": "u-2"}, ("84912345678", "Dạ có ạ", "u-2")),
    ("UTF-16BE without mo-recode", {"from": "+84912345678", "text": latin1("Đồng ý", "utf-16-be"),
                                    "charset": "UTF-16BE", "id": "u-3"},
     ("+84912345678", "Đồng ý", "u-3")),
    ("newline kept", {"from": "0912345678", "text": "1\nok", "id": "u-4"}, ("0912345678", "1\nok", "u-4")),
    ("old 11-digit number kept as given", {"from": "01689123456", "text": "1", "id": "u-5"},
     ("01689123456", "1", "u-5")),
    ("NUL left out of the text", {"from": "0912345678", "text": "1\x002", "id": "u-6"},
     ("0912345678", "12", "u-6")),
    ("unicode_escape cannot make a lone surrogate",
     {"from": "0912345678", "text": "\\ud800", "charset": "unicode_escape", "id": "u-7"},
     ("0912345678", "?", "u-7")),
    ("a charset Python cannot look up is read as UTF-8",
     {"from": "0912345678", "text": latin1("Có"), "charset": "UTF-8\x00", "id": "u-8"},
     ("0912345678", "Có", "u-8")),
]


@pytest.mark.parametrize("args,expected", [c[1:] for c in MO], ids=[c[0] for c in MO])
def test_read_mo(args, expected):
    message = read_mo(args)
    assert (message.address, message.text, message.external_id) == expected
    assert (message.provider, message.channel, message.kind) == ("kannel", "sms", "text")


def test_an_mo_without_kannel_id_gets_a_stable_one():
    args = {"from": "0912345678", "text": "1", "ts": "1795327748"}
    assert read_mo(args).external_id == read_mo(dict(args)).external_id
    assert read_mo({**args, "text": "2"}).external_id != read_mo(args).external_id
    assert read_mo({**args, "from": "0912345679"}).external_id != read_mo(args).external_id
    assert "912345678" not in read_mo(args).external_id   # the key is logged: no phone number
    assert clean_id(read_mo({**args, "ts": "17\x00" + "9" * 200}).external_id)


SENT_AT = [("unix seconds", "1795327748", datetime(2026, 11, 22, 6, 9, 8, tzinfo=timezone.utc)),
           ("missing", "", None), ("superscript digits", "¹⁷⁹⁵", None),
           ("400 digits", "9" * 400, None), ("past year 9999", "253402300800", None)]


@pytest.mark.parametrize("ts, expected", [c[1:] for c in SENT_AT], ids=[c[0] for c in SENT_AT])
def test_an_mo_carries_kannels_time(ts, expected):
    assert read_mo({"from": "0912345678", "text": "1", "id": "u-1", "ts": ts}).sent_at == expected


READ_DLRS = [
    ("delivered", {"outbox": "7", "status": "1"}, StatusReport("kannel", ("kannel-7",), "delivered",
                                                                outbox_ids=(7,))),
    ("failed, the answer as the reason", {"outbox": "7", "status": "2", "answer": "NACK/0x0b"},
     StatusReport("kannel", ("kannel-7",), "failed", reason="Kannel DLR 2: NACK/0x0b",
                  outbox_ids=(7,))),
    ("failed, the answer read as UTF-8, control characters as spaces",
     {"outbox": "7", "status": "16", "answer": latin1("từ chối\x00")},
     StatusReport("kannel", ("kannel-7",), "failed", reason="Kannel DLR 16: từ chối ",
                  outbox_ids=(7,))),
    ("accepted by the SMSC: no news", {"outbox": "7", "status": "8"}, Ignored("8")),
    ("a type Kannel does not send: counted together", {"outbox": "7", "status": "12345"},
     Ignored("other")),
]


@pytest.mark.parametrize("args, expected", [c[1:] for c in READ_DLRS], ids=[c[0] for c in READ_DLRS])
def test_read_dlr(args, expected):
    assert read_dlr(args) == expected


@pytest.mark.parametrize("args", [{"text": "1"}, {"from": "", "text": "1"}, {"from": "09\x0012", "text": "1"}],
                         ids=["no sender", "empty sender", "control character"])
def test_an_mo_without_a_usable_sender_is_refused(args):
    with pytest.raises(ValueError, match="'from'"):
        read_mo(args)


def test_mo_text_charsets():
    assert mo_text(latin1("Tiếp"), "") == "Tiếp"
    assert mo_text(latin1("Tiếp", "utf-16-be"), "UCS-2") == "Tiếp"


def outbound(text="Cau 1/10: ...", encoding="GSM-7", outbox_id=7) -> OutboundMessage:
    return OutboundMessage(outbox_id, "sms", "+84912345678", text, "reply", encoding=encoding)


def test_sendsms_params_for_gsm_text():
    params = sendsms_params(SETTINGS, outbound())
    assert params == {
        "username": "cdht", "password": "pw", "to": "+84912345678", "text": "Cau 1/10: ...",
        "from": "8088", "dlr-mask": "27",
        "dlr-url": "https://bot.example.vn/webhooks/kannel/dlr?secret=s3cret&outbox=7&status=%d&answer=%A"}


def test_sendsms_params_for_ucs2_text():
    params = sendsms_params(SETTINGS, outbound("Chào bác", "UCS-2"))
    assert (params["coding"], params["charset"]) == ("2", "UTF-8")


ANSWERS = [
    ("accepted", 202, "0: Accepted for delivery", None),
    ("queued (SMSC down)", 202, "3: Queued for later delivery", None),
    ("wrong password", 403, "Authorization failed for sendsms", RetryLater),
    ("bad number", 400, "Number(s) has/have been denied", Rejected),
    ("server error", 503, "", RetryLater),
]


@pytest.mark.parametrize("status,body,error", [c[1:] for c in ANSWERS], ids=[c[0] for c in ANSWERS])
def test_sendsms_answers(status, body, error):
    if error is None:
        accepted(status, body)
    else:
        with pytest.raises(error):
            accepted(status, body)


def test_send_goes_out_as_one_get_and_names_the_row_for_dlrs():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(responses.GET, SENDSMS, status=202, body="0: Accepted for delivery",
                 match=[matchers.query_param_matcher(sendsms_params(SETTINGS, outbound()))])
        result = KannelChannel(SETTINGS).send(outbound())
    assert result.provider_message_id == provider_id(7) == "kannel-7"


def test_kannel_unreachable_is_retried_and_an_empty_sms_refused():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(responses.GET, SENDSMS, body=responses.ConnectionError("refused"))
        with pytest.raises(RetryLater):
            KannelChannel(SETTINGS).send(outbound())
    with pytest.raises(Rejected):
        KannelChannel(SETTINGS).send(outbound(text=""))


# --- HTTP -------------------------------------------------------------------------------------

def mo_url(secret=SECRET, sender="01689123456", text="DK 12364", msg_id="k-1") -> str:
    return (f"/webhooks/kannel/mo?secret={secret}&from={quote(sender)}&to=8088&text={quote(text)}"
            f"&coding=0&charset=UTF-8&id={msg_id}&ts=1795327748")



def test_an_mo_is_answered_empty_and_replies_wait_in_the_outbox(make_app):
    app = make_app(**KANNEL)
    runtime = app.extensions["cdht"]
    response = app.test_client().get(mo_url())
    assert response.status_code == 200 and response.data == b""
    assert count(runtime, Outbox) == 0                                           # acknowledged:
    assert app.test_client().get("/healthz").get_json()["inbound_pending"] == 1  # stored, waiting
    drain(runtime)                                                               # a worker's pass
    with runtime.db.read() as session:
        rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
        contact = session.scalars(select(Contact)).one()
    assert contact.address == "+84389123456"                       # 0168 → 038
    assert [r.provider for r in rows] == ["kannel", "kannel"]
    assert rows[0].text.startswith("Chao ong/ba!") and rows[0].encoding == "GSM-7"
    assert app.test_client().get(mo_url()).status_code == 200         # Kannel retries
    assert count(runtime, InboundEvent) == 1


def test_a_ucs2_mo_with_diacritics_is_read_like_plain_text(make_app):
    app = make_app(**KANNEL)
    text = quote_from_bytes("Dạ có".encode("utf-16-be"), safe="")
    url = (f"/webhooks/kannel/mo?secret={SECRET}&from=0912345678&to=8088&text={text}"
           f"&coding=2&charset=UTF-16BE&id=k-9&ts=1")
    client = app.test_client()
    client.get(mo_url(sender="0912345678", text="alo", msg_id="k-8"))
    assert client.get(url).status_code == 200
    drain(app.extensions["cdht"])
    with app.extensions["cdht"].db.read() as session:
        last = session.scalars(select(Outbox).order_by(Outbox.id.desc())).first()
    assert last.text.startswith("Cam on ong/ba. Xin cho biet ho va ten")   # consent was read


@pytest.mark.parametrize("path", ["/webhooks/kannel/mo", "/webhooks/kannel/dlr"])
def test_a_wrong_secret_is_403_and_stores_nothing(make_app, path):
    app = make_app(**KANNEL)
    url = mo_url(secret="guess").replace("/webhooks/kannel/mo", path) + "&outbox=1&status=1"
    assert app.test_client().get(url).status_code == 403
    assert count(app.extensions["cdht"], InboundEvent) == 0


DLRS = [("delivered to the phone", "1", "delivered"), ("not delivered", "2", "failed"),
        ("rejected by the SMSC", "16", "failed"), ("accepted by the SMSC", "8", "sent"),
        ("queued on the SMSC", "4", "sent")]


@pytest.mark.parametrize("status,expected", [c[1:] for c in DLRS], ids=[c[0] for c in DLRS])
def test_delivery_reports(make_app, status, expected):
    app = make_app(**KANNEL)
    runtime = app.extensions["cdht"]
    with runtime.db.transaction() as session:
        row = Outbox(channel="sms", provider="kannel", address="+84912345678", text="x",
                     status="sent", next_attempt_at=NOW, dedup_key="t-1", created_at=NOW,
                     updated_at=NOW)
        session.add(row)
        session.flush()
        row.provider_message_id = provider_id(row.id)
        outbox_id = row.id
    url = f"/webhooks/kannel/dlr?secret={SECRET}&outbox={outbox_id}&status={status}&answer=ACK"
    assert app.test_client().get(url).status_code == 200
    with runtime.db.read() as session:
        assert session.get(Outbox, outbox_id).status == expected


def test_without_kannel_settings_there_is_no_webhook(app):
    assert app.test_client().get(mo_url()).status_code == 404


def test_a_secret_with_url_characters_survives_the_dlr_url():
    settings = types.SimpleNamespace(**{**vars(SETTINGS), "kannel_mo_secret": "a&b c%"})
    assert "secret=a%26b%20c%25&outbox=7" in sendsms_params(settings, outbound())["dlr-url"]


def test_a_reply_gateway_that_is_not_configured_stops_the_start(make_app):
    from bot.config import ConfigError
    with pytest.raises(ConfigError, match="CDHT_SMS_REPLY_GATEWAY=smsgate"):
        make_app(**KANNEL, sms_reply_gateway="smsgate")


def test_an_unknown_charset_is_read_as_utf8_not_a_crash():
    assert mo_text(latin1("Có"), "X-UNKNOWN") == "Có"
    assert mo_text(latin1("Có", "cp1252"), "WINDOWS-1252") == "Có"


@pytest.mark.parametrize("sender", ["9029", "VIETTEL", "+84123"], ids=["short code", "brand name", "junk number"])
def test_a_sender_that_is_not_a_phone_is_never_answered(make_app, sender):
    app = make_app(**KANNEL)
    runtime = app.extensions["cdht"]
    assert app.test_client().get(mo_url(sender=sender)).status_code == 200
    assert count(runtime, Outbox) == 0 and count(runtime, Contact) == 0


@pytest.mark.parametrize("query", ["outbox=%C2%B2&status=1", "outbox=1&status=%C2%B9",
                                   "outbox=99999999999999999999999&status=1",
                                   "outbox=" + "9" * 5000 + "&status=1"],
                         ids=["superscript outbox", "superscript status", "huge outbox",
                              "more digits than int() reads"])
def test_odd_dlr_numbers_are_a_400_not_a_500(app, make_app, query):
    app = make_app(**KANNEL)
    assert app.test_client().get(f"/webhooks/kannel/dlr?secret={SECRET}&{query}").status_code == 400


def test_mo_ids_without_kannel_id_or_time_are_never_taken_for_retries():
    args = {"from": "0912345678", "text": "1"}
    assert read_mo(args).external_id != read_mo(args).external_id


def test_a_refused_login_waits_for_the_fix():
    with pytest.raises(RetryLater) as caught:
        accepted(403, "Authorization failed for sendsms")
    assert caught.value.hold
