"""The inbound queue: acknowledged at one insert, processed once, in order per contact,
by processors that may crash, run side by side, or meet a message that breaks them."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

import bot.inbound.pipeline
import bot.inbound.queue
from bot.inbound import accept, drain, process_pending
from bot.inbound.queue import claim, message_of, move_arrivals, stats
from storage.models import Answer, Citizen, Contact, InboundEvent, Outbox
from webhooks.contract import Attachment, InboundMessage
from tests.helpers import count, outbox
from tests.queue_worker import kill_mid_batch, process_until_empty

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
REGISTER = ["xin chao", "co", "Nguyen Van Tu", "1956", "12364", "1", "bo qua"]   # then question 1


def zalo(user: str, text: str, external_id: str | None = None, provider: str = "zalo",
         **kw) -> InboundMessage:
    return InboundMessage(provider, external_id or uuid.uuid4().hex, "zalo", user, text, **kw)


def events(runtime) -> list[InboundEvent]:
    with runtime.db.read() as session:
        return session.scalars(select(InboundEvent).order_by(InboundEvent.id)).all()


@pytest.fixture
def whole_batches(monkeypatch):
    """A pass takes every claimed event, however slow the machine is right now (the
    50 ms budget would otherwise end a batch early, and a test that needs two events in
    one batch would depend on timing)."""
    monkeypatch.setattr(bot.inbound.queue, "BUDGET_SECONDS", 60.0)


def waiting(runtime) -> int:
    with runtime.db.read() as session:
        return stats(session, datetime.now(timezone.utc), runtime.inbox)["inbound_pending"]


def replies_by_event(runtime, address: str | None = None) -> list[int]:
    """The event id of every reply row (to `address`), in the order the rows were written."""
    rows = outbox(runtime, Outbox.kind == "reply", *([Outbox.address == address] if address else []))
    return [int(row.dedup_key.split(":")[1]) for row in rows]


def test_the_acknowledgement_is_one_pending_row_and_nothing_else(runtime):
    result = accept(runtime, zalo("u-1", "xin chao", "z-1"), NOW)
    assert not result.duplicate and result.replies == ()
    assert [count(runtime, m) for m in (Contact, Citizen, Outbox)] == [0, 0, 0]
    assert waiting(runtime) == 1
    move_arrivals(runtime)   # SQLite: from the webhooks' inbox file (PostgreSQL: already there)
    [event] = events(runtime)
    assert (event.status, event.channel, event.address, event.text, event.kind) == \
        ("pending", "zalo", "u-1", "xin chao", "text")
    assert event.received_at == NOW and event.contact_id is None
    assert drain(runtime).processed == 1
    [event] = events(runtime)
    assert event.status == "processed" and event.processed_at and event.contact_id
    assert outbox(runtime)[0].text.startswith("Xin chào!")


def test_everything_processing_needs_comes_back_from_the_row(runtime):
    message = zalo("u-2", "câu 3", "z-2", kind="evidence",
                   attachments=(Attachment("image", "https://f.zdn.vn/1.jpg", "a.jpg", 2048, "t"),),
                   profile={"name": "Lan"}, sent_at=NOW - timedelta(seconds=3))
    accept(runtime, message, NOW)
    move_arrivals(runtime)
    with runtime.db.transaction() as session:
        [row] = claim(session, NOW, 10)
    assert message_of(row) == message


def test_an_sms_sender_is_normalised_and_a_short_code_never_queued(runtime):
    accept(runtime, InboundMessage("kannel", "k-1", "sms", "01689123456", "DK 12364"), NOW)
    accept(runtime, InboundMessage("kannel", "k-2", "sms", "8088", "KM hôm nay"), NOW)
    move_arrivals(runtime)
    assert [e.address for e in events(runtime)] == ["+84389123456"]
    assert runtime.host.counters["kannel.ignored.not_a_phone"] == 1


def test_a_copy_delivered_while_the_first_is_pending_is_processed_once(runtime):
    message = zalo("u-3", "xin chao", "z-3")
    assert not accept(runtime, message, NOW).duplicate
    assert accept(runtime, message, NOW + timedelta(seconds=5)).duplicate   # Zalo's retry
    drain(runtime)
    assert accept(runtime, message, NOW + timedelta(seconds=9)).duplicate   # and after
    drain(runtime)
    assert len(events(runtime)) == 1 and len(set(replies_by_event(runtime))) == 1
    assert count(runtime, Outbox) == 2   # the welcome and the consent question, once


def test_a_contacts_later_message_waits_for_its_earlier_one(runtime, whole_batches):
    for i, text in enumerate(REGISTER):
        accept(runtime, zalo("u-4", text), NOW + timedelta(seconds=i))
    accept(runtime, zalo("u-5", "xin chao"), NOW)
    first = process_pending(runtime, limit=10)
    assert first.processed == 2          # one head per contact
    drain(runtime)
    ids = replies_by_event(runtime, "u-4")
    assert ids == sorted(ids) and len(set(ids)) == len(REGISTER)
    with runtime.db.read() as session:
        citizen = session.scalars(select(Citizen).where(Citizen.name.is_not(None))).one()
    assert (citizen.name, citizen.birth_year) == ("Nguyen Van Tu", 1956)


def test_one_bad_event_in_a_batch_neither_undoes_nor_repeats_the_others(runtime, monkeypatch,
                                                                       whole_batches):
    real_step = bot.inbound.pipeline.step

    def step(script, state, inbound, now):
        if inbound.text == "poison":
            raise ValueError("a bug this message finds")
        return real_step(script, state, inbound, now)

    monkeypatch.setattr(bot.inbound.pipeline, "step", step)
    for user, text in (("u-6", "xin chao"), ("u-7", "poison"), ("u-8", "xin chao")):
        accept(runtime, zalo(user, text), NOW)
    done = process_pending(runtime)
    assert (done.processed, done.failed) == (2, 1)
    # the poison left no citizen and no reply (its contact row, made with the batch's, stays)
    assert count(runtime, Citizen) == 2 and count(runtime, Outbox) == 4
    [bad] = [e for e in events(runtime) if e.status == "pending"]
    assert (bad.attempts, bad.error) == (1, "ValueError: a bug this message finds")
    monkeypatch.setattr(bot.inbound.pipeline, "step", real_step)   # the bug is fixed
    drain(runtime, bad.next_attempt_at)
    assert [e.status for e in events(runtime)] == ["processed"] * 3
    assert count(runtime, Outbox) == 6 and len(set(replies_by_event(runtime))) == 3


def test_a_poison_message_is_parked_and_the_citizen_goes_on(app, runtime, monkeypatch):
    for i, text in enumerate(REGISTER):
        accept(runtime, zalo("8309393969855402319", text), NOW + timedelta(seconds=i))
    drain(runtime)
    real_step = bot.inbound.pipeline.step

    def step(script, state, inbound, now):
        if inbound.text == "poison":
            raise RuntimeError("cannot read this")
        return real_step(script, state, inbound, now)

    monkeypatch.setattr(bot.inbound.pipeline, "step", step)
    accept(runtime, zalo("8309393969855402319", "poison"), NOW + timedelta(minutes=1))
    accept(runtime, zalo("8309393969855402319", "1"), NOW + timedelta(minutes=1, seconds=5))
    clock = datetime.now(timezone.utc)
    for tries in range(1, 4):
        drain(runtime, clock)
        assert count(runtime, Answer) == (1 if tries == 3 else 0)   # "1" waits until it is parked
        clock += timedelta(minutes=2)
    poison = next(e for e in events(runtime) if e.text == "poison")
    assert (poison.status, poison.attempts, poison.error) == ("failed", 3, "RuntimeError: cannot read this")
    health = app.test_client().get("/healthz").get_json()
    assert (health["inbound_failed"], health["inbound_pending"]) == (1, 0)

    cli = app.test_cli_runner()
    listed = cli.invoke(args=["inbound", "failed"])
    assert f"{poison.id}\t" in listed.output and "RuntimeError: cannot read this" in listed.output
    assert "8309393969855402319" not in listed.output   # the address is masked
    monkeypatch.setattr(bot.inbound.pipeline, "step", real_step)
    assert "1 event(s) queued again" in cli.invoke(args=["inbound", "retry", str(poison.id)]).output
    assert cli.invoke(args=["inbound", "retry", "999999"]).exit_code != 0
    assert "1 event(s) processed" in cli.invoke(args=["inbound", "process"]).output
    assert app.test_client().get("/healthz").get_json()["inbound_failed"] == 0


def test_healthz_shows_the_queue(app, runtime):
    accept(runtime, zalo("u-10", "xin chao"), datetime.now(timezone.utc) - timedelta(seconds=30))
    accept(runtime, zalo("u-11", "xin chao"), datetime.now(timezone.utc))
    health = app.test_client().get("/healthz").get_json()
    assert (health["inbound_pending"], health["inbound_failed"], health["outbox_queued"]) == (2, 0, 0)
    assert 29 <= health["inbound_oldest_pending_s"] < 60
    drain(runtime)
    health = app.test_client().get("/healthz").get_json()
    assert (health["inbound_pending"], health["inbound_oldest_pending_s"], health["outbox_queued"]) == (0, 0, 4)


def test_a_processor_killed_before_commit_leaves_every_event_to_be_done_once(runtime, clean_db):
    for user in ("u-12", "u-13", "u-14"):
        accept(runtime, zalo(user, "xin chao"), NOW)
    process = multiprocessing.get_context("spawn").Process(target=kill_mid_batch, args=(clean_db,))
    process.start()
    process.join(60)
    assert process.exitcode == -signal.SIGKILL
    assert [e.status for e in events(runtime)] == ["pending"] * 3
    assert count(runtime, Contact) == 0 and count(runtime, Outbox) == 0
    assert drain(runtime).processed == 3
    assert count(runtime, Contact) == 3 and count(runtime, Outbox) == 6


def test_two_processors_keep_each_contacts_order(runtime, clean_db):
    """Real processes side by side (on PostgreSQL they claim with SKIP LOCKED; on SQLite
    they take turns), each contact's messages interleaved with everyone else's."""
    users = [f"u-2{n}" for n in range(6)]
    conversation = REGISTER + ["1", "2", "3", "1"]
    for i, text in enumerate(conversation):
        for user in users:
            accept(runtime, zalo(user, text), NOW + timedelta(seconds=i))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    processors = [context.Process(target=process_until_empty, args=(clean_db, barrier, 3))
                  for _ in range(2)]
    for process in processors:
        process.start()
    for process in processors:
        process.join(120)
        assert process.exitcode == 0
    assert {e.status for e in events(runtime)} == {"processed"}
    for user in users:
        mine = replies_by_event(runtime, user)
        assert mine == sorted(mine), f"{user}'s replies were written out of order"
        assert len(set(mine)) == len(conversation)
    assert count(runtime, Answer) == 4 * len(users)
    with runtime.db.read() as session:
        names = session.scalars(select(Citizen.name)).all()
    assert names == ["Nguyen Van Tu"] * len(users)


def wait_for(check, seconds: float = 20.0) -> bool:
    """Wait for another thread or process to get something done (not a timing test)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_embedded_workers_answer_without_a_separate_command(make_app):
    app = make_app(embedded_workers=True, inbound_poll=60.0)
    runtime = app.extensions["cdht"]
    app.test_client().get("/healthz")                 # the first request starts the worker
    accept(runtime, zalo("u-30", "xin chao", provider="console"), datetime.now(timezone.utc))
    assert wait_for(lambda: count(runtime, Outbox, Outbox.status == "sent") == 2)
    child = app.extensions["cdht.workers"].child
    app.extensions["cdht.workers"].stop()
    assert child.returncode == 0


def test_on_sqlite_one_worker_is_active_and_the_next_takes_over(runtime, clean_db):
    if not runtime.db.is_sqlite:
        pytest.skip("several workers run side by side on PostgreSQL")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDHT_")}
    env.update(DATABASE_URL=clean_db, CDHT_CONSOLE="1", CDHT_INBOUND_POLL="60")
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    second = None
    try:
        assert "running" in first.stdout.readline()
        second = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert "waiting to take over" in second.stdout.readline()
        first.kill()                                   # the active one dies
        assert "running" in second.stdout.readline()
        accept(runtime, zalo("u-32", "xin chao", provider="console"), datetime.now(timezone.utc))
        assert wait_for(lambda: count(runtime, Outbox, Outbox.status == "sent") == 2, 10)
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.terminate()
                process.wait(30)


def test_the_worker_command_is_woken_and_stops_on_sigterm(runtime, clean_db):
    """The poll is set far away: only the wake-up (PostgreSQL: NOTIFY; SQLite: the
    doorbell socket) can bring the worker to the message in time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDHT_")}
    env.update(DATABASE_URL=clean_db, CDHT_CONSOLE="1", CDHT_INBOUND_POLL="60")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: "running" in (worker.stdout.readline() or ""), 30)
        time.sleep(0.5)   # let it settle into its wait: the event must wake it, not the start
        accept(runtime, zalo("u-31", "xin chao", provider="console"), datetime.now(timezone.utc))
        assert wait_for(lambda: count(runtime, Outbox, Outbox.status == "sent") == 2, 10)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
