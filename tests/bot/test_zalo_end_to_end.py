"""A citizen on Zalo from `follow` to their result, against a fake Zalo on 127.0.0.1:
signed webhooks in, customer-service messages out through the outbox, the access
token rotated once when Zalo refuses it mid-assessment."""

import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from bot.export import assessment_rows
from bot.inbound import drain
from bot.delivery.dispatch import dispatch_due
from storage.models import Answer, InboundEvent, Outbox, ProviderToken
from tests.fake_zalo import FakeZalo, zalo_settings
from tests.helpers import count

USER = "5870000000000000123"   # 19 digits: ids stay strings


@pytest.fixture
def zalo(make_app):
    with FakeZalo() as fake:
        app = make_app(**zalo_settings(fake))
        runtime = app.extensions["cdht"]
        runtime.host.tokens("zalo").set_tokens(fake.access, fake.refresh)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield fake, runtime, f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()



def test_a_citizen_from_follow_to_result(zalo):
    fake, runtime, url = zalo

    def say(text: str, **kw) -> list[str]:
        body = fake.event("user_send_text", USER, text, **kw)
        assert fake.deliver(url, body).status_code == 200
        return sent_since()

    seen = 0

    def sent_since() -> list[str]:
        nonlocal seen
        drain(runtime)          # what the worker does after each acknowledgement
        dispatch_due(runtime)
        texts = [c["json"]["message"]["text"] for c in fake.cs[seen:] if c["token"] == fake.access]
        seen = len(fake.cs)
        return texts

    assert fake.deliver(url, fake.event("follow", USER)).status_code == 200
    welcome = sent_since()
    assert welcome[0].startswith("Xin chào!") and "Nghị định 13/2023" in welcome[1]
    for reply in ["Dạ có ạ", "Nguyễn Thị Lan", "1952", "xã tiên lữ", "1"]:
        say(reply)
    first_question = say("bỏ qua")[-1]
    assert first_question.startswith("Câu 1/10: Bác có")

    # Zalo retries a delivery: the same msg_id with num_retry is processed once.
    body = fake.event("user_send_text", USER, "1", msg_id="dup-1")
    assert fake.deliver(url, body).status_code == 200
    assert sent_since()[-1].startswith("Câu 2/10")
    assert fake.deliver(url, body, retry=1).status_code == 200
    assert sent_since() == [] and count(runtime, Answer) == 1

    # A forged event (wrong secret) is refused and changes nothing.
    forged = fake.event("user_send_text", USER, "4")
    assert fake.deliver(url, forged, secret="not-the-secret").status_code == 401
    assert count(runtime, Answer) == 1

    # Zalo revokes the access token mid-assessment: one refresh, the reply still arrives.
    old_refresh = fake.refresh
    fake.revoke_access()
    assert say("2")[-1].startswith("Câu 3/10")
    assert len(fake.refresh_calls) == 1
    assert fake.refresh_calls[0]["refresh_token"] == old_refresh
    with runtime.db.read() as session:
        stored = session.scalars(select(ProviderToken)).one()
        assert (stored.access_token, stored.refresh_token) == (fake.access, fake.refresh)

    for reply in ["1", "2", "1", "lam duoc", "1", "1", "1"]:
        say(reply)
    result = say("1")[-1]
    assert result.startswith("Kết quả tự đánh giá: 91/100 điểm. Chúc mừng bác")

    # Every CS request had Zalo's shape, went to this user, with the header token.
    for call in fake.cs:
        assert set(call["json"]) == {"recipient", "message"}
        assert call["json"]["recipient"] == {"user_id": USER}
        assert call["token"] and call["token"].startswith(("access-", "revoked-"))
    with runtime.db.read() as session:
        row = next(assessment_rows(session, runtime.criteria_sets))
        statuses = set(session.scalars(select(Outbox.status)))
        events = session.scalar(select(func.count()).select_from(InboundEvent))
    assert (row["status"], row["total"], row["passed"]) == ("completed", 91, True)
    assert row["citizen"]["contacts"] == [{"channel": "zalo", "address": USER}]
    assert statuses == {"sent"}
    assert events == 17   # follow + 16 replies; the retried delivery and the forged one left no row


def test_delivery_news_reaches_the_outbox(zalo):
    fake, runtime, url = zalo
    fake.deliver(url, fake.event("follow", USER))
    drain(runtime)
    dispatch_due(runtime)
    with runtime.db.read() as session:
        ids = list(session.scalars(select(Outbox.provider_message_id).order_by(Outbox.id)))
    seen = fake.event("user_seen_message", USER)
    seen["message"] = {"msg_ids": ids}
    assert fake.deliver(url, seen).json()["updated"] == 2
    with runtime.db.read() as session:
        rows = session.scalars(select(Outbox)).all()
    assert all(r.status == "delivered" and r.seen_at and r.delivered_at for r in rows)
