"""The pure rules of bot/delivery/ (quiet hours, the fallback order, backoff, token
buckets) and the delivery settings' checks: tables, with the clock passed in."""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.delivery.backoff import retry_delay
from bot.delivery.buckets import BURST, capacity, drain, refill, take
from bot.delivery.routing import Means, Reach, choose
from bot.delivery.window import SendWindow
from storage.models import RateBucket

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = timezone.utc
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=VN)


def vn(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A time in November 2026, Vietnam's clock, handed to the rules in UTC (as the
    database gives it back)."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=VN).astimezone(UTC)


# --- SendWindow.parse -----------------------------------------------------------------------

PARSED = [
    ("day", "07:00-21:00", time(7), time(21), "07:00-21:00"),
    ("always", "always", None, None, "always"),
    ("always, any case and spaces", "  Always ", None, None, "always"),
    ("across midnight", "20:00-06:00", time(20), time(6), "20:00-06:00"),
    ("one-digit hours, spaces", "7:05 - 9:30", time(7, 5), time(9, 30), "07:05-09:30"),
    ("until midnight", "07:00-24:00", time(7), time(0), "07:00-24:00"),
    ("one minute short of a day", "00:00-23:59", time(0), time(23, 59), "00:00-23:59"),
]


@pytest.mark.parametrize("spec, start, end, shown", [c[1:] for c in PARSED],
                         ids=[c[0] for c in PARSED])
def test_send_window_parses(spec, start, end, shown):
    window = SendWindow.parse(spec)
    assert (window.start, window.end) == (start, end)
    assert window.always == (start is None)
    assert str(window) == shown
    assert SendWindow.parse(str(window)) == window   # what str() shows parses back the same


BAD_SPECS = [
    ("empty", ""),
    ("hours only", "7-21"),
    ("one time", "07:00"),
    ("a word", "sometimes"),
    ("three times", "07:00-21:00-22:00"),
    ("hour 25", "25:00-26:00"),
    ("start at 24:00", "24:00-06:00"),
    ("minute 60", "07:60-21:00"),
    ("past 24:00", "07:00-24:01"),
    ("empty window", "07:00-07:00"),
    ("empty window at midnight", "00:00-00:00"),
]


@pytest.mark.parametrize("spec", [c[1] for c in BAD_SPECS], ids=[c[0] for c in BAD_SPECS])
def test_send_window_refuses_bad_specs(spec):
    with pytest.raises(ValueError, match="send window"):
        SendWindow.parse(spec)


def test_send_window_of_the_whole_day_is_open_at_every_hour():
    window = SendWindow.parse("00:00-24:00")
    assert all(window.is_open(vn(22, hour, 30)) for hour in range(24))


# --- SendWindow.is_open / next_open ---------------------------------------------------------

OPEN = [
    ("a second before opening", "07:00-21:00", vn(22, 6, 59, 59), False),
    ("opening", "07:00-21:00", vn(22, 7, 0), True),
    ("noon", "07:00-21:00", vn(22, 12, 0), True),
    ("last minute", "07:00-21:00", vn(22, 20, 59, 59), True),
    ("closing", "07:00-21:00", vn(22, 21, 0), False),
    ("midnight", "07:00-21:00", vn(22, 0, 0), False),
    # 09:30 UTC is 16:30 in Vietnam: closed, though 09:30 would be open
    ("UTC afternoon is Vietnam's evening", "07:00-16:00", datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
     False),
    ("UTC midnight is 07:00 in Vietnam", "07:00-21:00", datetime(2026, 11, 22, 0, 0, tzinfo=UTC),
     True),
    ("across midnight: evening", "20:00-06:00", vn(22, 20, 0), True),
    ("across midnight: after midnight", "20:00-06:00", vn(22, 3, 0), True),
    ("across midnight: a second before closing", "20:00-06:00", vn(22, 5, 59, 59), True),
    ("across midnight: closing", "20:00-06:00", vn(22, 6, 0), False),
    ("across midnight: daytime", "20:00-06:00", vn(22, 13, 0), False),
    ("until 24:00: late evening", "07:00-24:00", vn(22, 23, 59), True),
    ("until 24:00: midnight", "07:00-24:00", vn(22, 0, 0), False),
    ("always: 3 a.m.", "always", vn(22, 3, 0), True),
]


@pytest.mark.parametrize("spec, now, is_open", [c[1:] for c in OPEN], ids=[c[0] for c in OPEN])
def test_send_window_is_open_in_vietnam_time(spec, now, is_open):
    assert SendWindow.parse(spec).is_open(now) is is_open


NEXT_OPEN = [
    ("open: now", "07:00-21:00", vn(22, 10, 0), vn(22, 10, 0)),
    ("early morning: today", "07:00-21:00", vn(22, 5, 0), vn(22, 7, 0)),
    ("closing time: tomorrow", "07:00-21:00", vn(22, 21, 0), vn(23, 7, 0)),
    ("late evening: tomorrow", "07:00-21:00", vn(22, 23, 30), vn(23, 7, 0)),
    # 23:30 UTC on the 21st is 06:30 on the 22nd in Vietnam: today there, not "tomorrow"
    ("UTC's yesterday is Vietnam's today", "07:00-21:00",
     datetime(2026, 11, 21, 23, 30, tzinfo=UTC), vn(22, 7, 0)),
    ("month end: tomorrow", "07:00-21:00", datetime(2026, 11, 30, 22, 0, tzinfo=VN),
     datetime(2026, 12, 1, 7, 0, tzinfo=VN)),
    ("across midnight, daytime: this evening", "20:00-06:00", vn(22, 6, 0), vn(22, 20, 0)),
    ("always: now", "always", vn(22, 3, 0), vn(22, 3, 0)),
]


@pytest.mark.parametrize("spec, now, opens", [c[1:] for c in NEXT_OPEN],
                         ids=[c[0] for c in NEXT_OPEN])
def test_send_window_next_open(spec, now, opens):
    window = SendWindow.parse(spec)
    got = window.next_open(now)
    assert got == opens
    assert window.is_open(got)
    assert got >= now


# --- routing.choose -------------------------------------------------------------------------

PHONE = "+84912345678"
ZALO_USER = "zalo-user-1"
ALL = Means(zalo=True, zns_kinds=frozenset({"reminder"}), sms_gateway="kannel")


def reach(wrote: timedelta | None = None, phone: str | None = PHONE, zalo: bool = True) -> Reach:
    """A citizen who wrote to the OA `wrote` before NOW (None: no Zalo contact)."""
    if wrote is None or not zalo:
        return Reach(phone=phone)
    return Reach(zalo=ZALO_USER, zalo_contact=7, zalo_last_inbound=NOW - wrote, phone=phone)


def means(paid_window="replies", zns=("reminder",), sms="kannel", zalo=True) -> Means:
    return Means(zalo=zalo, zns_kinds=frozenset(zns), sms_gateway=sms, paid_window=paid_window)


H, D = timedelta(hours=1), timedelta(days=1)
ZALO = ("zalo", "zalo", ZALO_USER)
ZNS = ("zns", "zalo", PHONE)
SMS = ("sms", "kannel", PHONE)
NOBODY = (None, None, None)

ROUTES = [
    # label, kind, reach, means, tried, (channel, provider, address), what the reason says
    ("free window, 2 h", "reminder", reach(2 * H), ALL, (), ZALO, ["zalo: free window", "2 h ago"]),
    ("free window, exactly 48 h", "broadcast", reach(48 * H), means(zns=()), (), ZALO,
     ["free window", "2 days ago"]),
    ("free window without a phone", "broadcast", reach(5 * H, phone=None), ALL, (), ZALO,
     ["free window"]),
    ("paid window, replies: a reminder goes by ZNS", "reminder", reach(3 * D), ALL, (), ZNS,
     ["zns:", "paid window (3 days) not for reminder"]),
    ("paid window, replies: a broadcast without template goes by SMS", "broadcast", reach(3 * D),
     ALL, (), SMS, ["sms:", "paid window (3 days) not for broadcast",
                    "no ZNS template for broadcast"]),
    ("paid window, replies: a reply stays on Zalo", "reply", reach(3 * D), ALL, (), ZALO,
     ["zalo: paid window"]),
    ("paid window, allow: a reminder on Zalo", "reminder", reach(3 * D), means("allow"), (), ZALO,
     ["zalo: paid window", "3 days ago"]),
    ("paid window, allow: a broadcast on Zalo", "broadcast", reach(6 * D), means("allow"), (), ZALO,
     ["zalo: paid window"]),
    ("paid window, deny: a reminder by ZNS", "reminder", reach(3 * D), means("deny"), (), ZNS,
     ["paid window (3 days) not for reminder"]),
    ("paid window, deny: not even a reply", "reply", reach(3 * D), means("deny"), (), SMS,
     ["paid window (3 days) not for reply"]),
    ("paid window, deny, no phone: unreachable", "broadcast", reach(3 * D, phone=None),
     means("deny"), (), NOBODY, ["unreachable:", "paid window", "no proven phone number"]),
    ("closed window (8 days), allow: ZNS", "reminder", reach(8 * D), means("allow"), (), ZNS,
     ["zalo: no message in 7 days"]),
    ("closed window, broadcast: SMS", "broadcast", reach(30 * D), ALL, (), SMS,
     ["no message in 7 days", "no ZNS template for broadcast"]),
    ("no Zalo contact: ZNS", "reminder", reach(None), ALL, (), ZNS, ["no Zalo contact"]),
    ("no Zalo contact, no template: SMS", "course", reach(None), ALL, (), SMS,
     ["no Zalo contact", "no ZNS template for course"]),
    ("no Zalo OA: no ZNS either", "reminder", reach(2 * H), means(zalo=False), (), SMS,
     ["no Zalo OA", "no ZNS"]),
    ("ZNS template but no phone", "reminder", reach(None, phone=None), ALL, (), NOBODY,
     ["unreachable:", "no Zalo contact", "no proven phone number"]),
    ("phone but no template and no gateway", "broadcast", reach(None), means(sms=None), (), NOBODY,
     ["unreachable:", "no ZNS template for broadcast", "no SMS gateway"]),
    ("nothing configured, nothing known", "broadcast", Reach(), Means(), (), NOBODY,
     ["unreachable: no Zalo OA; no proven phone number"]),
    ("tried zalo: ZNS next", "reminder", reach(2 * H), ALL, ("zalo",), ZNS, ["zalo refused"]),
    ("tried zalo, no template: SMS", "broadcast", reach(2 * H), ALL, ("zalo",), SMS,
     ["zalo refused", "no ZNS template"]),
    ("tried zalo and zns: SMS", "reminder", reach(2 * H), ALL, ("zalo", "zns"), SMS,
     ["zalo refused", "zns refused"]),
    ("tried everything: unreachable", "reminder", reach(2 * H), ALL, ("zalo", "zns", "sms"), NOBODY,
     ["unreachable:", "zalo refused", "zns refused", "sms refused"]),
    ("tried zalo, no phone: unreachable", "reminder", reach(2 * H, phone=None), ALL, ("zalo",),
     NOBODY, ["zalo refused", "no proven phone number"]),
]


@pytest.mark.parametrize("kind, who, what, tried, expected, reasons", [c[1:] for c in ROUTES],
                         ids=[c[0] for c in ROUTES])
def test_choose_routes_by_window_template_and_phone(kind, who, what, tried, expected, reasons):
    route = choose(kind, who, what, NOW, tried)
    assert (route.channel, route.provider, route.address) == expected
    assert route.reason.startswith(f"{expected[0] or 'unreachable'}:")
    for reason in reasons:
        assert reason in route.reason


def test_choose_never_offers_a_step_already_tried():
    for tried in [(), ("zalo",), ("zns",), ("sms",), ("zalo", "zns"), ("zalo", "sms"),
                  ("zns", "sms"), ("zalo", "zns", "sms")]:
        route = choose("reminder", reach(2 * H), ALL, NOW, tried)
        assert route.channel not in tried
        expected = next((step for step in ("zalo", "zns", "sms") if step not in tried), None)
        assert route.channel == expected, tried


# --- backoff.retry_delay --------------------------------------------------------------------

NOMINAL = [
    ("first retry", 1, timedelta(seconds=30)),
    ("second", 2, timedelta(minutes=1)),
    ("third", 3, timedelta(minutes=2)),
    ("fourth", 4, timedelta(minutes=4)),
    ("seventh", 7, timedelta(minutes=32)),
    ("eighth: capped", 8, timedelta(hours=1)),
    ("twentieth: capped", 20, timedelta(hours=1)),
    ("attempt 0 counts as the first", 0, timedelta(seconds=30)),
]


@pytest.mark.parametrize("attempt, nominal", [c[1:] for c in NOMINAL], ids=[c[0] for c in NOMINAL])
def test_retry_delay_doubles_up_to_an_hour_with_jitter(attempt, nominal):
    assert retry_delay(attempt, draw=lambda: 0.5) == nominal
    assert retry_delay(attempt, draw=lambda: 0.0) == nominal / 2
    assert retry_delay(attempt, draw=lambda: 0.999) == nominal * 1.499
    for _ in range(50):   # the default draw stays in [0.5, 1.5) of the nominal delay
        assert nominal / 2 <= retry_delay(attempt) < nominal * 1.5


def test_retry_delay_stays_capped_for_a_row_held_for_days():
    assert retry_delay(43, draw=lambda: 0.5) == timedelta(hours=1)


# --- buckets: refill (pure) -----------------------------------------------------------------

REFILLS = [
    ("half a second at 60/s", 0.0, 0.5, 60, 30.0),
    ("capped at a second's worth", 0.0, 10.0, 60, 60.0),
    ("slow rate, one second", 0.0, 1.0, 1, 1.0),
    ("slow rate: capped at BURST", 0.0, 100.0, 1, float(BURST)),
    ("full stays full", 60.0, 3.0, 60, 60.0),
    ("clock went backwards: nothing added", 10.0, -5.0, 60, 10.0),
    ("drained bucket climbs back", -60.0, 0.5, 60, -30.0),
]


@pytest.mark.parametrize("tokens, seconds, rate, expected", [c[1:] for c in REFILLS],
                         ids=[c[0] for c in REFILLS])
def test_refill(tokens, seconds, rate, expected):
    assert refill(tokens, NOW, NOW + timedelta(seconds=seconds), rate) == pytest.approx(expected)


@pytest.mark.parametrize("rate, held", [(60, 60), (10, 10), (5, 5), (1, BURST), (0.5, BURST)],
                         ids=["zalo 60/s", "kannel 10/s", "at BURST", "smsgate 1/s", "half a token/s"])
def test_capacity_is_a_second_but_never_below_burst(rate, held):
    assert capacity(rate) == held


# --- buckets: take / drain against the database ---------------------------------------------

def taking(runtime, want: int, at: datetime, rate: float = 60, name: str = "zalo"):
    with runtime.db.transaction() as session:
        return take(session, name, rate, want, at)


def draining(runtime, at: datetime, rate: float = 60, name: str = "zalo") -> None:
    with runtime.db.transaction() as session:
        drain(session, name, rate, at)


def bucket_rows(runtime) -> dict[str, float]:
    with runtime.db.read() as session:
        return {b.name: b.tokens for b in session.scalars(select(RateBucket))}


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def test_a_bucket_grants_a_seconds_worth_then_refills(runtime):
    granted, wait = taking(runtime, 100, NOW)
    # short: come back when a quarter second's worth (15) has gathered, not for each token
    assert (granted, wait) == (60, pytest.approx(15 / 60))
    granted, wait = taking(runtime, 1, NOW)
    assert (granted, wait) == (0, pytest.approx(1 / 60))
    assert taking(runtime, 100, NOW + seconds(0.5))[0] == 30
    assert taking(runtime, 10, NOW + seconds(0.6)) == (6, pytest.approx(4 / 60))   # the 4 missing
    granted, wait = taking(runtime, 3, NOW + seconds(10))
    assert (granted, wait) == (3, 0.0)   # all it wanted: no wait
    assert bucket_rows(runtime) == {"zalo": pytest.approx(57)}


def test_wait_is_the_time_until_the_next_whole_token(runtime):
    assert taking(runtime, 6, NOW, rate=2) == (5, pytest.approx(0.5))   # BURST: 5
    # a quarter of a second later half a token is back: another quarter until a whole one
    assert taking(runtime, 1, NOW + seconds(0.25), rate=2) == (0, pytest.approx(0.25))
    assert taking(runtime, 1, NOW + seconds(0.5), rate=2) == (1, 0.0)


def test_buckets_are_separate_by_name(runtime):
    assert taking(runtime, 100, NOW, name="zalo")[0] == 60
    assert taking(runtime, 100, NOW, rate=10, name="sms:kannel")[0] == 10
    assert bucket_rows(runtime) == {"zalo": 0, "sms:kannel": 0}


def test_rate_zero_means_no_limit(runtime):
    assert taking(runtime, 10_000, NOW, rate=0) == (10_000, 0.0)
    assert taking(runtime, 10_000, NOW, rate=0) == (10_000, 0.0)
    draining(runtime, NOW, rate=0)
    assert taking(runtime, 7, NOW, rate=0) == (7, 0.0)
    assert bucket_rows(runtime) == {}   # nothing stored, nothing locked


def test_a_slow_bucket_still_grants_a_burst(runtime):
    assert taking(runtime, 10, NOW, rate=1) == (5, pytest.approx(1.0))
    assert taking(runtime, 10, NOW + seconds(2), rate=1) == (2, pytest.approx(1.0))
    # after a long pause it holds BURST again, not a minute's worth
    assert taking(runtime, 100, NOW + seconds(60), rate=1)[0] == BURST


def test_drain_empties_the_bucket_for_a_second(runtime):
    assert taking(runtime, 10, NOW)[0] == 10
    draining(runtime, NOW)
    assert taking(runtime, 1, NOW + seconds(1))[0] == 0
    assert taking(runtime, 100, NOW + seconds(1.5))[0] == 30


def test_drain_of_a_bucket_never_used(runtime):
    draining(runtime, NOW)
    assert bucket_rows(runtime) == {"zalo": -60}
    assert taking(runtime, 100, NOW + seconds(2))[0] == 60


def test_take_during_a_drained_second_grants_nothing(runtime):
    draining(runtime, NOW)
    granted, _ = taking(runtime, 100, NOW + seconds(0.5))
    assert granted == 0
    assert taking(runtime, 100, NOW + seconds(1))[0] == 0   # still drained until a second passed


def test_a_clock_going_backwards_adds_nothing(runtime):
    assert taking(runtime, 60, NOW)[0] == 60
    assert taking(runtime, 60, NOW - seconds(30))[0] == 0   # another machine's slow clock
    # the bucket still counts from NOW, not from 30 seconds before it
    assert taking(runtime, 60, NOW + seconds(0.5))[0] == 30


# --- Settings.check -------------------------------------------------------------------------

BAD_SETTINGS = [
    ("send window not a range", {"send_window": "9-5"}, "CDHT_SEND_WINDOW"),
    ("send window empty", {"send_window": "08:00-08:00"}, "CDHT_SEND_WINDOW"),
    ("send window impossible", {"send_window": "07:00-25:00"}, "CDHT_SEND_WINDOW"),
    ("reminder days decreasing", {"reminder_days": "3,1"}, "CDHT_REMINDER_DAYS"),
    ("reminder days repeated", {"reminder_days": "1,1,3"}, "CDHT_REMINDER_DAYS"),
    ("reminder day zero", {"reminder_days": "0"}, "CDHT_REMINDER_DAYS"),
    ("reminder day negative", {"reminder_days": "-1,3"}, "CDHT_REMINDER_DAYS"),
    ("reminder days not numbers", {"reminder_days": "a"}, "CDHT_REMINDER_DAYS"),
    ("reminder days half numbers", {"reminder_days": "1,a"}, "CDHT_REMINDER_DAYS"),
    ("paid window unknown", {"zalo_paid_window": "sometimes"}, "CDHT_ZALO_PAID_WINDOW"),
]


@pytest.mark.parametrize("overrides, names", [c[1:] for c in BAD_SETTINGS],
                         ids=[c[0] for c in BAD_SETTINGS])
def test_settings_check_refuses(overrides, names):
    with pytest.raises(ConfigError, match=names):
        Settings(**overrides).check()


def test_settings_from_the_environment_are_checked():
    with pytest.raises(ConfigError, match="CDHT_SEND_WINDOW"):
        Settings.load(environ={"CDHT_SEND_WINDOW": "all day"})
    with pytest.raises(ConfigError, match="CDHT_REMINDER_DAYS"):
        Settings.load(environ={"CDHT_REMINDER_DAYS": "7,3,1"})
    settings = Settings.load(environ={"CDHT_SEND_WINDOW": "06:30-22:00",
                                      "CDHT_REMINDER_DAYS": "2,5"})
    assert (settings.send_window, settings.reminder_ladder) == ("06:30-22:00", (2, 5))


LADDERS = [
    ("default", "1,3,7", (1, 3, 7)),
    ("spaces", " 1, 3 ,7 ", (1, 3, 7)),
    ("one rung", "2", (2,)),
    ("long", "1,2,4,8,16", (1, 2, 4, 8, 16)),
    ("none", "", ()),
    ("blank", "  ", ()),
]


@pytest.mark.parametrize("days, ladder", [c[1:] for c in LADDERS], ids=[c[0] for c in LADDERS])
def test_reminder_ladder(days, ladder):
    settings = Settings(reminder_days=days)
    assert settings.reminder_ladder == ladder
    assert settings.check() is settings   # all of these are valid


def test_the_defaults_pass_their_own_check():
    settings = Settings().check()
    assert settings.reminder_ladder == (1, 3, 7)
    assert str(SendWindow.parse(settings.send_window)) == "07:00-21:00"
