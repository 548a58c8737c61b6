"""The poster pages: the preview with its downloads and print button, the PNG and the PDF
of exactly the unit's poster, refusal outside the scope (404, as for a unit that does not
exist), no poster for a province or a merged unit, the list of units with a poster, and
the code on the poster accepted when a citizen types it back to the bot."""

import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from bot.inbound import receive
from bot.inbound.accept import normalise_address
from bot.posters import compose, png
from storage.models import Citizen, Contact, Unit
from tests.helpers import new_phone
from tests.bot.test_posters import pdf_text
from webhooks.contract import InboundMessage

from .conftest import login

OA = "4318836011236655232"
NUMBER = "0912345678"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
GROUP_QUESTION = {"sms": "thuoc nhom nao?", "zalo": "thuộc nhóm nào?"}


@pytest.fixture
def app(make_app):
    """The console with the Zalo OA and the SMS number set, as in production."""
    return make_app(zalo_oa_id=OA, sms_number=NUMBER)


# -- the page and the files -------------------------------------------------------------------
def test_poster_page_shows_the_preview_the_downloads_and_a_print_button(client_as):
    page = client_as("xa").get("/admin/units/9001-1/poster")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Áp phích: Chi hội Khuyến học thôn Đông, Xã An Bình" in html
    assert 'src="/admin/units/9001-1/poster.png"' in html
    assert 'href="/admin/units/9001-1/poster.pdf?download=1"' in html
    assert 'href="/admin/units/9001-1/poster.png?download=1"' in html
    assert "data-print" in html and "/admin/static/poster.css" in html
    assert "CDHT_SMS_NUMBER" not in html and "CDHT_ZALO_OA_ID" not in html
    assert " style=" not in html and "<style" not in html and "<script>" not in html


def test_the_png_is_exactly_the_units_poster(client_as):
    response = client_as("xa").get("/admin/units/9001-1/poster.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert Image.open(io.BytesIO(response.data)).size == (2480, 3508)
    expected = compose("9001-1", "Chi hội Khuyến học thôn Đông, Xã An Bình", "Xã An Bình",
                       f"https://zalo.me/{OA}", NUMBER)
    assert response.data == png.render(expected)


def test_the_pdf_says_the_same_and_downloads_with_a_name(client_as):
    response = client_as("xa").get("/admin/units/9001/poster.pdf?download=1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename=ap-phich-9001.pdf'
    assert response.headers["Cache-Control"] == "private, max-age=300"
    texts = pdf_text(response.data)
    assert "Soạn DK 9001 gửi 0912 345 678" in texts
    assert {"Xã An Bình", "Tỉnh Thử Nghiệm", "9001", "DK 9001"} <= set(texts)
    assert f"zalo.me/{OA}" in texts


def test_without_the_settings_the_officer_is_told_what_is_missing(make_app, officers):
    client = make_app().test_client()            # no OA id, no SMS number
    login(client, "xa")
    html = client.get("/admin/units/9001/poster").get_data(as_text=True)
    assert "CDHT_SMS_NUMBER" in html and "CDHT_ZALO_OA_ID" in html
    texts = pdf_text(client.get("/admin/units/9001/poster.pdf").data)
    assert "9001" in texts and not [t for t in texts if t.startswith("Soạn")]


# -- who may see which poster ---------------------------------------------------------------
SCOPE = [
    ("xa", "9001", 200), ("xa", "9001-1", 200), ("tinh", "9002", 200), ("chihoi", "9001-1", 200),
    ("quantri", "11953-1", 200),
    ("xa", "9101", 404), ("xa", "90", 404), ("xa", "9002", 404), ("xa", "11953-1", 404),
    ("chihoi", "9001", 404), ("khac", "9001-1", 404), ("tinh", "9101", 404),
    ("xa", "khong-co-ma-nay", 404),
]


@pytest.mark.parametrize(("who", "code", "status"), SCOPE,
                         ids=[f"{w}-{c}-{s}" for w, c, s in SCOPE])
def test_posters_only_within_the_scope(client_as, who, code, status):
    """The page, the PNG and the PDF alike: outside the scope is a 404, as for no unit."""
    client = client_as(who)
    for suffix in ("", ".png", ".pdf"):
        response = client.get(f"/admin/units/{code}/poster{suffix}")
        assert response.status_code == status, suffix
        if status == 404 and not suffix:
            assert "nằm ngoài đơn vị của bạn" in response.get_data(as_text=True)


@pytest.mark.parametrize(("suffix", "status"), [("", 302), (".png", 401), (".pdf", 401)],
                         ids=["page", "png", "pdf"])
def test_logged_out_gets_nothing(app, officers, suffix, status):
    response = app.test_client().get(f"/admin/units/9001/poster{suffix}")
    assert response.status_code == status
    if status == 302:
        assert "/admin/login" in response.headers["Location"]


def test_a_province_has_no_poster_and_says_why(client_as):
    client = client_as("tinh")
    html = client.get("/admin/units/90/poster").get_data(as_text=True)
    assert "là đơn vị cấp tỉnh" in html and "poster.png" not in html
    for suffix in (".png", ".pdf"):
        response = client.get(f"/admin/units/90/poster{suffix}")
        assert response.status_code == 400
        assert "là đơn vị cấp tỉnh" in response.get_data(as_text=True)


def test_a_merged_unit_points_to_the_unit_it_joined(runtime, client_as):
    with runtime.db.transaction() as session:
        parent = session.scalars(select(Unit).where(Unit.code == "9001")).one()
        into = session.scalars(select(Unit).where(Unit.code == "9001-1")).one()
        session.add(Unit(code="9001-9", name="Chi hội thôn Tây, Xã An Bình", kind="branch",
                         parent_id=parent.id, path=f"{parent.path}9001-9/", active=False,
                         joinable=True, merged_into_id=into.id))
    client = client_as("xa")
    html = client.get("/admin/units/9001-9/poster").get_data(as_text=True)
    assert "đã được sáp nhập vào «Chi hội Khuyến học thôn Đông, Xã An Bình»" in html
    assert 'href="/admin/units/9001-1/poster"' in html
    assert client.get("/admin/units/9001-9/poster.png").status_code == 400


# -- the list -------------------------------------------------------------------------------
def _listed(client, query: str = "") -> set[str]:
    html = client.get(f"/admin/posters{query}").get_data(as_text=True)
    return {code for code in ("90", "9001", "9001-1", "9002", "9100", "9101", "11953-1")
            if f'href="/admin/units/{code}/poster"' in html}


@pytest.mark.parametrize(("who", "query", "codes"), [
    ("xa", "", {"9001", "9001-1"}),
    ("tinh", "", {"9001", "9001-1", "9002"}),
    ("chihoi", "", {"9001-1"}),
    ("tinh", "?q=9001-", {"9001-1"}),
    ("tinh", "?q=Bình Minh", {"9002"}),
    ("tinh", "?q=%25", set()),
    ("xa", "?page=abc", {"9001", "9001-1"}),
    ("xa", "?page=999", set()),
], ids=["commune", "province", "branch", "by-code", "by-name", "like-wildcard", "bad-page",
        "past-the-end"])
def test_the_list_shows_joinable_units_of_the_scope(client_as, who, query, codes):
    assert _listed(client_as(who), query) == codes


def test_the_list_for_an_admin_holds_the_seeded_branches(client_as):
    assert "11953-1" in _listed(client_as("quantri"), "?q=11953")


# -- the code on the poster, typed back ----------------------------------------------------
def _printed(runtime, code: str) -> dict[str, str]:
    """What the poster of `code` tells a citizen to send: on Zalo, and by SMS."""
    with runtime.db.read() as session:
        unit = session.scalars(select(Unit).where(Unit.code == code)).one()
        parent = unit.parent.name if unit.parent else None
        texts = compose(unit.code, unit.name, parent, runtime.settings.oa_link,
                        runtime.settings.sms_number).texts()
    sms = next(t for t in texts if t.startswith("Soạn "))
    zalo = texts[texts.index("3.") + 2]        # the line under "3. Bấm Nhắn tin, gửi:"
    return {"sms": sms.removeprefix("Soạn ").split(" gửi ")[0], "zalo": zalo}


def _unit_of(runtime, channel: str, sender: str) -> str | None:
    address = normalise_address(InboundMessage("console", "", channel, sender, ""))
    with runtime.db.read() as session:
        contact = session.scalars(select(Contact).where(Contact.address == address)).one()
        unit = session.get(Citizen, contact.citizen_id).unit
        return unit.code if unit else None


@pytest.mark.parametrize("channel", ["sms", "zalo"])
@pytest.mark.parametrize("code", ["11953-1", "12364"], ids=["seeded-branch", "seeded-commune"])
def test_the_message_on_the_poster_registers_the_citizen_to_the_unit(app, runtime, code, channel):
    message = _printed(runtime, code)[channel]
    assert message == f"DK {code}"
    client = app.test_client()
    sender = new_phone() if channel == "sms" else uuid.uuid4().hex

    def say(text):
        response = client.post("/webhooks/console", json={"from": sender, "text": text,
                                                           "channel": channel})
        assert response.status_code == 200
        return response.get_json()["replies"]

    say(message)
    say("co")
    assert GROUP_QUESTION[channel] in say("Nguyen Van An 1960")[-1]   # the unit is not asked
    assert _unit_of(runtime, channel, sender) == code


def test_the_code_answers_the_unit_question_after_a_follow(runtime):
    """A citizen who scans and taps Quan tâm first is asked for the commune later: the code
    in the box ("Khi trợ lý hỏi xã/phường, gõ mã này") answers it."""
    sender = uuid.uuid4().hex

    def say(text, kind="text"):
        message = InboundMessage("console", uuid.uuid4().hex, "zalo", sender, text, kind=kind)
        return [r.text for r in receive(runtime, message, NOW).replies]

    say("", kind="follow")
    say("có")
    assert "xã hoặc phường" in say("Nguyễn Văn An 1960")[-1]
    assert GROUP_QUESTION["zalo"] in say("11953-1")[-1]
    assert _unit_of(runtime, "zalo", sender) == "11953-1"
