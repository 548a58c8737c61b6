"""A feature-phone citizen through real Kannel (bearerbox + smsbox + fakesmsc on 127.0.0.1):
from the first SMS to the result, some replies with diacritics as UCS-2, from an old
eleven-digit number. Kannel calls our MO URL; our replies go out through sendsms."""

import os
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import func, select

from bot.inbound import drain
from bot.delivery.dispatch import dispatch_due
from messages_vi.gsm import is_gsm, segments
from storage.models import InboundEvent, Outbox
from tests.kannel_rig import INSTALLED, KannelRig

if not INSTALLED:
    if os.environ.get("CI"):
        pytest.fail("Kannel is not installed: .ci/run must apt-get install kannel kannel-extras",
                    pytrace=False)
    pytest.skip("real Kannel test: apt-get install kannel kannel-extras to run it",
                allow_module_level=True)

SECRET = "mo-secret-123"
OLD_NUMBER, NEW_NUMBER = "01689123456", "+84389123456"   # Viettel 0168 became 038 in 2018


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def kannel(make_app, tmp_path):
    server = make_server("127.0.0.1", 0, None, server_class=_Server, handler_class=_Quiet)
    url = f"http://127.0.0.1:{server.server_port}"
    rig = KannelRig(tmp_path, url, SECRET)
    app = make_app(kannel_sendsms_url=rig.sendsms_url, kannel_user="cdht", kannel_password="rig-pass",
                   kannel_mo_secret=SECRET, kannel_sender="8088", public_url=url)
    server.set_app(app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield rig.start(), app.extensions["cdht"]
    finally:
        rig.stop()
        server.shutdown()


def test_a_feature_phone_citizen_through_kannel(kannel):
    rig, runtime = kannel
    events = 0

    def sms(text: str, ucs2: bool = False) -> list[tuple[str, str, str]]:
        """Send one SMS from the phone; return the SMS the phone got back."""
        nonlocal events
        before = len(rig.phones_received())
        rig.phone_sends(OLD_NUMBER, text, ucs2)
        events += 1
        rig.wait_for(lambda: stored_events() == events, f"Kannel to deliver {text!r}")
        drain(runtime)   # what the worker does after the acknowledgement
        with runtime.db.read() as session:
            queued = session.scalar(select(func.count()).select_from(Outbox)
                                    .where(Outbox.status == "queued"))
        dispatch_due(runtime)
        rig.wait_for(lambda: len(rig.phones_received()) == before + queued, "fakesmsc to print")
        return rig.phones_received()[before:]

    def stored_events() -> int:
        """Acknowledged: in inbound_events, or still in SQLite's inbox."""
        with runtime.db.read() as session:
            stored = session.scalar(select(func.count()).select_from(InboundEvent))
        return stored + (runtime.inbox.stats()[0] if runtime.inbox else 0)

    got = sms("DK 12364")
    assert [t for _, _, t in got][0].startswith("Chao ong/ba!")
    sms("Dạ có", ucs2=True)
    sms("Trần Thị Lan", ucs2=True)
    sms("1958")
    first = sms("1")
    assert first[-1][2].startswith("Cau 1/10: Bac co")
    answers = [("1", False), ("hai", False), ("Thường xuyên", True), ("1", False), ("lam duoc", False),
               ("2", False), ("một", True), ("1", False), ("Dạ 1 ạ", True), ("1", False)]
    for text, ucs2 in answers:
        last = sms(text, ucs2)
    result = last[-1][2]
    assert result.startswith("Ket qua: 91/100 diem. Chuc mung bac dat chuan")

    received = rig.phones_received()
    assert {to for to, _, _ in received} == {NEW_NUMBER}          # the old number, converted
    assert {kind for _, kind, _ in received} == {"text"}           # every SMS went as GSM-7
    for _, _, text in received:
        assert is_gsm(text)
        limit = 2 if text.startswith(("Ket qua", "HD")) else 1
        assert segments(text).count <= limit, text
    questions = [t for _, _, t in received if t.startswith("Cau ")]
    assert len(questions) == 10 and all(len(q) <= 160 for q in questions)

    # Kannel's delivery reports reach the outbox rows.
    def all_delivered() -> bool:
        with runtime.db.read() as session:
            return set(session.scalars(select(Outbox.status))) == {"delivered"}
    rig.wait_for(all_delivered, "delivery reports")
