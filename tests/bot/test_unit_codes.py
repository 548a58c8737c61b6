"""Read back what we print: every code `flask units list` prints is accepted at the unit
question and after DK, typed as printed, in any case, with its separator typed as "-",
".", "/", "_" or a space, on SMS and on Zalo. Codes that become one when the separator
is dropped are offered together, never one picked. Also for a tree of tricky codes."""

import json
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from bot.inbound import receive
from bot.inbound.accept import normalise_address
from flows import effects as fx
from flows.engine import Inbound, step
from flows.state import Position, Profile, State
from storage.models import Citizen as CitizenRow
from storage.models import Contact, Unit
from tests.helpers import new_phone
from webhooks.contract import InboundMessage

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
SEPARATORS = ("-", ".", "/", "_", " ")
GROUP_QUESTION = {"sms": "thuoc nhom nao?", "zalo": "thuộc nhóm nào?"}
CLOSED = {"sms": "Ma do la cua ca tinh/huyen.", "zalo": "Mã đó là của cả một tỉnh hoặc huyện"}
LIST = {"sms": "Ma do giong ma cua may don vi.", "zalo": "Mã đó giống mã của mấy đơn vị."}
# Tricky codes under Xã Tiên Lữ (12364, whose branch 12364-1 the demo already has):
# 12364-1 and 1236-41 are one code when the separator is dropped.
TRICKY = ("12364-10", "1236-41", "A1.2")


def printed_units(app) -> list[dict]:
    result = app.test_cli_runner().invoke(args=["units", "list", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def variants(code: str) -> list[str]:
    """As printed, in both cases, and with each separator typed as any other."""
    forms = {code, code.lower(), code.upper()}
    if "-" in code or "." in code:
        for sep in SEPARATORS:
            typed = code.replace("-", sep).replace(".", sep)
            forms |= {typed, typed.lower()}
    return sorted(forms)


class Citizen:
    def __init__(self, runtime, channel: str):
        self.runtime, self.channel = runtime, channel
        self.sender = new_phone() if channel == "sms" else uuid.uuid4().hex

    def say(self, text: str) -> list[str]:
        message = InboundMessage("console", uuid.uuid4().hex, self.channel, self.sender, text)
        return [r.text for r in receive(self.runtime, message, NOW).replies]

    def unit(self) -> str | None:
        """The code of the unit this citizen is registered to, as stored."""
        address = normalise_address(InboundMessage("console", "", self.channel, self.sender, ""))
        with self.runtime.db.read() as session:
            contact = session.scalars(select(Contact).where(Contact.address == address)).one()
            citizen = session.get(CitizenRow, contact.citizen_id)
            return citizen.unit.code if citizen.unit else None

    def at_unit_question(self) -> "Citizen":
        self.say("xin chao")
        self.say("co")
        asked = self.say("Nguyen Van An 1960")[-1]
        assert "xa/phuong" in asked or "xã hoặc phường" in asked, asked
        return self


def kind_of(names: dict, reply: list[str], channel: str) -> bool:
    return names[channel] in reply[-1]


def unit_saved(script, typed: str, channel: str, first_message: bool = False) -> str | None:
    """The unit the engine stores for a reply at the unit question (or a first "DK …")."""
    if first_message:
        state = State()
    else:
        state = State(position=Position(flow="registration", step="unit"),
                      profile=Profile(consent=True, name="Nguyễn Văn An", birth_year=1960))
    _, effects = step(script, state, Inbound(typed, channel), NOW)
    saved = [e.changes["unit_code"] for e in effects
             if isinstance(e, fx.SaveProfile) and "unit_code" in e.changes]
    return saved[-1] if saved else None


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_every_printed_code_is_taken_at_the_unit_question_in_every_form(runtime, app, channel):
    script = runtime.script()
    units = printed_units(app)
    assert len(units) >= 100
    for unit in units:
        joinable = unit["kind"] not in ("province", "city")   # printed, nobody registers there
        for typed in variants(unit["code"]):
            assert unit_saved(script, typed, channel) == (unit["code"] if joinable else None), typed
            first = unit_saved(script, f"DK {typed}", channel, first_message=True)
            assert first == (unit["code"] if joinable else None), typed


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_every_printed_code_through_the_whole_bot(runtime, app, channel):
    """The same through the pipeline, as printed: the reply is the next question, the
    citizen's row holds the unit; a province's code gets a clear hint."""
    for unit in printed_units(app):
        citizen = Citizen(runtime, channel).at_unit_question()
        reply = citizen.say(unit["code"])
        if unit["kind"] in ("province", "city"):
            assert kind_of(CLOSED, reply, channel), (unit["code"], reply)
        else:
            assert kind_of(GROUP_QUESTION, reply, channel), (unit["code"], reply)
            assert citizen.unit() == unit["code"]


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_poster_codes_after_dk_through_the_whole_bot(runtime, app, channel):
    branches = [u["code"] for u in printed_units(app) if "-" in u["code"]]
    assert branches
    for code in branches:
        for first in (f"DK {code}", f"dk{code.replace('-', '.')}", f"ĐK: {code.replace('-', ' ')}"):
            citizen = Citizen(runtime, channel)
            citizen.say(first)
            citizen.say("co")
            reply = citizen.say("Nguyen Van An 1960")
            assert kind_of(GROUP_QUESTION, reply, channel), (first, reply)
            assert citizen.unit() == code, first


@pytest.fixture
def tricky_tree(runtime):
    """Three more units under Xã Tiên Lữ, removed afterwards."""
    with runtime.db.transaction() as session:
        parent = session.scalars(select(Unit).where(Unit.code == "12364")).one()
        for code in TRICKY:
            session.add(Unit(code=code, name=f"Chi hội Khuyến học {code}, Xã Tiên Lữ",
                             kind="branch", parent_id=parent.id, path=f"{parent.path}{code}/",
                             active=True, joinable=True))
    runtime.units_changed()
    yield ("12364-1", *TRICKY)
    with runtime.db.transaction() as session:
        ids = select(Unit.id).where(Unit.code.in_(TRICKY))
        session.execute(delete(CitizenRow).where(CitizenRow.unit_id.in_(ids)))
        session.execute(delete(Unit).where(Unit.code.in_(TRICKY)))
    runtime.units_changed()


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_tricky_codes_typed_as_printed_or_with_other_separators(runtime, tricky_tree, channel):
    for code in tricky_tree:
        for typed in variants(code):
            citizen = Citizen(runtime, channel).at_unit_question()
            reply = citizen.say(typed)
            assert kind_of(GROUP_QUESTION, reply, channel), (code, typed, reply)
            assert citizen.unit() == code, typed


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_codes_that_collide_without_their_separator_are_offered_not_picked(runtime, tricky_tree,
                                                                           channel):
    citizen = Citizen(runtime, channel).at_unit_question()
    reply = citizen.say("123641")               # 12364-1 or 1236-41?
    assert kind_of(LIST, reply, channel), reply
    assert "12364-1" in reply[-1] and "1236-41" in reply[-1]
    shown = reply[-1].split("1236-41")[0]
    number = "2" if "12364-1" in shown else "1"
    assert kind_of(GROUP_QUESTION, citizen.say(number), channel)
    assert citizen.unit() == "1236-41"


@pytest.mark.parametrize("typed", ["1236410", "a12", "A12"])
def test_a_dropped_separator_that_names_one_code_is_enough(runtime, tricky_tree, typed):
    citizen = Citizen(runtime, "sms").at_unit_question()
    assert kind_of(GROUP_QUESTION, citizen.say(typed), "sms"), typed
    assert citizen.unit() == ("12364-10" if typed == "1236410" else "A1.2")
