"""The CLI through app.test_cli_runner(): seed-demo, units list, assessments export, chat."""

import json
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from bot.inbound import receive
from storage.models import InboundEvent, Officer, Unit
from webhooks.contract import InboundMessage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 11, 22, 9, 0, tzinfo=TZ)

# Bà Lan registers at Xã Tiên Lữ by SMS and answers all ten questions (as in
# tests/transcripts/registration_sms.txt); ông An stops after two.
LAN = ("0912345678", ["DK 12364", "co", "TRAN THI LAN", "1958", "1",
                      "1", "2", "1", "4", "3", "2", "1", "1", "2", "4"])
AN = ("0987654321", ["DK 12364", "co", "NGUYEN VAN AN", "1960", "1", "1", "2"])
LAN_ANSWERS = [("doc_tin_tuc", 1, 10), ("hoc_cach_lam_an", 2, 7), ("sinh_hoat_cong_dong", 1, 10),
               ("khuyen_hoc_gia_dinh", 4, 0), ("dien_thoai", 3, 4), ("ngoai_ngu", 2, 7),
               ("ghi_thu_chi", 1, 10), ("kiem_tra_tin", 1, 10), ("hoa_thuan_hang_xom", 2, 7),
               ("giup_do_cong_dong", 4, 0)]


def invoke(app, *args, input=None):
    # `flask --app wsgi …` (FlaskGroup) pushes an app context for every command; the test
    # runner does not, so do what the real CLI does (test_commands_run_from_the_test_runner).
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), input=input)


def converse(runtime, sender: str, texts: list[str], now: datetime) -> datetime:
    for text in texts:
        receive(runtime, InboundMessage("console", uuid.uuid4().hex, "sms", sender, text), now)
        now += timedelta(seconds=20)
    return now


def jsonl(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def unit_count(runtime) -> int:
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Unit))


# --- seed-demo -------------------------------------------------------------------------------

def test_seed_demo_is_idempotent_and_prints_the_login(make_app):
    # The session's database was seeded with "test-password"; the printed login must work.
    app = make_app(demo_password="test-password")
    runtime = app.extensions["cdht"]
    before = unit_count(runtime)
    first, second = invoke(app, "seed-demo"), invoke(app, "seed-demo")
    assert first.exit_code == second.exit_code == 0, first.output
    assert first.output == second.output
    assert unit_count(runtime) == before
    assert f"demo data: Tỉnh Hưng Yên, {before} units" in first.output
    assert "demo officer login: demo / test-password" in first.output


def test_seed_demo_prints_a_login_that_works(make_app):
    app = make_app(demo_password="a-new-password")
    result = invoke(app, "seed-demo")
    username, password = re.search(r"demo officer login: (\S+) / (\S+)", result.output).groups()
    with app.extensions["cdht"].db.transaction() as session:
        officer = session.scalars(select(Officer).where(Officer.username == username)).one()
        assert check_password_hash(officer.password_hash, password)


COMMANDS = [
    pytest.param(["units", "list"], None, id="units list"),
    pytest.param(["assessments", "export"], None, id="assessments export"),
    pytest.param(["seed-demo"], None, id="seed-demo", marks=()),
    pytest.param(["chat", "--from", "zalo-user-1"], "HD\n", id="chat", marks=()),
]


@pytest.mark.parametrize("args, input", COMMANDS)
def test_commands_run_from_the_test_runner(app, args, input):
    result = app.test_cli_runner().invoke(args=args, input=input)
    assert result.exit_code == 0, result.output
    assert result.exception is None


# --- units list ------------------------------------------------------------------------------

def test_units_list_jsonl(app, runtime):
    result = invoke(app, "units", "list", "--format", "jsonl")
    assert result.exit_code == 0
    units = jsonl(result.output)
    assert len(units) == unit_count(runtime)
    assert all(set(u) == {"code", "name", "kind", "parent_code"} for u in units)
    by_code = {u["code"]: u for u in units}
    assert len(by_code) == len(units)
    assert by_code["33"] == {"code": "33", "name": "Tỉnh Hưng Yên", "kind": "province",
                             "parent_code": None}
    assert by_code["12364"] == {"code": "12364", "name": "Xã Tiên Lữ", "kind": "commune",
                                "parent_code": "33"}
    assert by_code["12364-1"]["parent_code"] == "12364"
    assert sum(u["kind"] in ("commune", "ward") for u in units) >= 104
    seen = set()
    for unit in units:   # the tree comes parents first
        assert unit["parent_code"] is None or unit["parent_code"] in seen, unit
        seen.add(unit["code"])


# --- assessments export ----------------------------------------------------------------------

@pytest.fixture
def lan_and_an(runtime):
    now = converse(runtime, *LAN, START)
    converse(runtime, *AN, now)


def test_export_shape_and_total(app, lan_and_an):
    result = invoke(app, "assessments", "export", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lan, an = jsonl(result.output)
    started, completed = lan.pop("started_at"), lan.pop("completed_at")
    assert datetime.fromisoformat(started) < datetime.fromisoformat(completed)
    assert lan == {
        "citizen": {"name": "Tran Thi Lan", "birth_year": 1958, "phone": "+84912345678",
                    "contacts": [{"channel": "sms", "address": "+84912345678"}]},
        "unit_code": "12364", "target_group": "nguoi_dan",
        "criteria_set": "cdht-2023", "criteria_version": "2023.1-draft", "period": 2026,
        "status": "completed", "total": 65, "passed": False, "recognition": None,
        "answers": [{"indicator": i, "raw_text": str(option), "option": option, "points": points}
                    for i, option, points in LAN_ANSWERS],
    }
    assert an["citizen"]["name"] == "Nguyen Van An" and an["unit_code"] == "12364"
    assert (an["status"], an["total"], an["passed"], an["completed_at"]) == (
        "in_progress", 17, None, None)
    assert [a["indicator"] for a in an["answers"]] == ["doc_tin_tuc", "hoc_cach_lam_an"]


UNIT_FILTERS = [
    ("the commune", "12364", ["Tran Thi Lan", "Nguyen Van An"]),
    ("the province above it", "33", ["Tran Thi Lan", "Nguyen Van An"]),
    ("another ward", "11953", []),
    ("a branch below the commune", "12364-1", []),
]


@pytest.mark.parametrize("unit, names", [c[1:] for c in UNIT_FILTERS],
                         ids=[c[0] for c in UNIT_FILTERS])
def test_export_by_unit(app, lan_and_an, unit, names):
    result = invoke(app, "assessments", "export", "--unit", unit)
    assert result.exit_code == 0, result.output
    assert [row["citizen"]["name"] for row in jsonl(result.output)] == names


def test_export_unknown_unit_is_a_clean_error(app, lan_and_an):
    result = invoke(app, "assessments", "export", "--unit", "99999")
    assert result.exit_code == 1
    assert result.output == "Error: no unit with code '99999'\n"
    assert isinstance(result.exception, SystemExit)


# --- chat ------------------------------------------------------------------------------------

CHATS = [
    ("sms", "0912345678", re.compile(r"^< .+   \[\d+ SMS, GSM-7\]$")),
    ("zalo", "zalo-user-1", re.compile(r"^< (?!.*\[\d+ SMS, ).+$")),
]


@pytest.mark.parametrize("channel, sender, reply_line", CHATS,
                         ids=[c[0] for c in CHATS])
def test_chat(app, runtime, channel, sender, reply_line):
    result = invoke(app, "chat", "--channel", channel, "--from", sender,
                    input="DK 12364\nco\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Chatting as {sender} on {channel}. Ctrl-D to stop."
    replies = [line for line in lines if line.startswith("< ")]
    assert len(replies) == 3   # welcome and consent question, then the name question
    assert all(reply_line.match(line) for line in replies), replies
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 2


def test_outbox_dispatch_sends_what_is_queued(app):
    runtime = app.extensions["cdht"]
    from webhooks.contract import InboundMessage
    from bot.inbound import receive as receive_message
    receive_message(runtime, InboundMessage("console", "m-out", "sms", "0912345678", "alo"))
    result = app.test_cli_runner().invoke(args=["outbox", "dispatch"])
    assert result.exit_code == 0 and result.output.strip() == "2 message(s) tried"


def test_chat_works_without_the_console_webhook(make_app):
    app = make_app(console=False)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["chat", "--channel", "sms", "--from", "0912345678"],
                                              input="alo\n")
    assert result.exit_code == 0 and "< Chao ong/ba!" in result.output
