"""Announcements in the console, apart from HTTP: the composer's form read into a Draft
(every target checked against the officer's scope), the preview shown before sending
(recipients, their split by channel, the cost, quiet hours, one recipient's rendering),
the test message to the officer's own phone, and the live progress of a broadcast.

Sending is bot/outreach/broadcasts.py `create`, the same path as `flask broadcast
create`; the progress counters are its `progress`, the same as `flask broadcast status`.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from flows.phone import to_e164
from messages_vi.gsm import segments
from messages_vi.personal import Progress, for_citizen, is_personal, unknown_fields, worst_segments
from messages_vi.render import TIMEZONE, ZALO_MAX
from storage.models import Broadcast, Campaign, Course, Outbox, Unit

from ..delivery.claim import REPLY_PRIORITY
from ..delivery.dispatch import means_of
from ..delivery.routing import sms_gateway
from ..delivery.window import SendWindow
from .scope import valid_id
from ..outreach.broadcasts import STATUS_ORDER, progress, sms_form, targeted_by
from ..outreach.reach import Cost, Split, cost, split
from ..outreach.recipients import CHANNELS, STATUSES, current_period
from ..outreach.weak import weak_counts

# the routing's reasons (bot/delivery/routing.py), as an officer reads them
REASONS = {
    "no Zalo OA": "chưa cấu hình Zalo OA", "no Zalo contact": "chưa có Zalo",
    "zalo: no message in 7 days": "không nhắn Zalo cho OA trong 7 ngày",
    "no proven phone number": "chưa có số điện thoại đã xác minh",
    "no ZNS": "chưa có ZNS", "no SMS gateway": "chưa cấu hình cổng SMS",
}
LATEST = timedelta(days=366)


class BadDraft(ValueError):
    """What is wrong with the form, in Vietnamese."""


@dataclass
class Draft:
    unit: Unit
    text: str
    sms_text: str
    group: str = ""
    status: str = "all"
    channel: str = ""
    campaign: Campaign | None = None
    course: Course | None = None
    weak_only: bool = False
    send_at: datetime | None = None      # None: now
    key: str = ""

    def broadcast(self, now: datetime) -> Broadcast:
        """An unsaved Broadcast with these targets, for counting its recipients."""
        return Broadcast(unit=self.unit, text=self.text, sms_text=self.sms_text,
                         target_group=self.group or None, assessment=self.status,
                         channel=self.channel or None, course=self.course,
                         weak_only=self.weak_only, state="draft", send_at=self.send_at or now)


def _when(raw: str, now: datetime) -> datetime | None:
    """A datetime-local value ("2026-10-01T08:00"), in Vietnam time; "" → now."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise BadDraft("Thời điểm gửi không hợp lệ (ngày/tháng/năm giờ:phút).") from None
    moment = local.replace(tzinfo=TIMEZONE) if local.tzinfo is None else local
    if moment < now - timedelta(minutes=5):
        raise BadDraft("Thời điểm gửi đã qua; để trống để gửi ngay.")
    if moment > now + LATEST:
        raise BadDraft("Chỉ hẹn giờ gửi trong vòng một năm.")
    return moment if moment > now else None


def row_id(raw: str) -> int | None:
    """A database id typed in a form or a query string, or None."""
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and valid_id(int(raw)) else None


def _owned(session, scope, model, raw: str, what: str):
    if not raw:
        return None
    found = row_id(raw)
    row = session.get(model, found) if found is not None else None
    if row is None or not scope.covers(row.unit):
        raise BadDraft(f"Không có {what} này trong phạm vi của anh/chị.")
    return row


def read_draft(form, session, scope, groups, now: datetime) -> Draft:
    code = (form.get("unit") or "").strip()
    unit = session.scalars(select(Unit).where(Unit.code == code)).first() if code else None
    if unit is None or not scope.covers(unit):
        raise BadDraft("Hãy chọn một đơn vị trong phạm vi của anh/chị.")
    text = (form.get("text") or "").strip()
    if not text:
        raise BadDraft("Hãy viết nội dung thông báo.")
    if len(text) > ZALO_MAX:
        raise BadDraft(f"Nội dung dài quá {ZALO_MAX} ký tự.")
    typed_sms = " ".join((form.get("sms_text") or "").split())
    sms = typed_sms or sms_form(text)
    for form_text in (text, sms):
        if unknown := unknown_fields(form_text):
            raise BadDraft("Không hiểu chỗ điền: " + ", ".join("{%s}" % u for u in unknown)
                           + ". Dùng {xung_ho}, {Xung_ho} hoặc {tien_do}.")
    group, status, channel = (form.get(k, "") for k in ("group", "status", "channel"))
    if group and group not in groups:
        raise BadDraft("Nhóm đối tượng không hợp lệ.")
    if (status or "all") not in STATUSES:
        raise BadDraft("Tình trạng tự đánh giá không hợp lệ.")
    if channel and channel not in CHANNELS:
        raise BadDraft("Kênh không hợp lệ.")
    campaign = _owned(session, scope, Campaign, form.get("campaign", ""), "chiến dịch")
    course = _owned(session, scope, Course, form.get("course", ""), "khoá học")
    weak_only = bool(course) and form.get("weak_only") in ("1", "on", "yes")
    if course and not unit.path.startswith(course.unit.path):
        raise BadDraft(f"Thông báo khoá học chỉ gửi trong địa bàn của khoá ({course.unit.name}).")
    return Draft(unit=unit, text=text, sms_text=sms,
                 group=group, status=status or "all", channel=channel, campaign=campaign,
                 course=course, weak_only=weak_only, send_at=_when(form.get("send_at", ""), now),
                 key=(form.get("key") or "")[:64])


def reason_vi(reason: str) -> str:
    """"zalo: no message in 7 days; no proven phone number" → Vietnamese, part by part."""
    def one(part: str) -> str:
        if part.startswith("no ZNS template for"):
            return "chưa có mẫu ZNS cho loại tin này"
        if part.startswith("zalo: paid window"):
            return "chỉ còn cửa sổ Zalo tính phí"
        return REASONS.get(part, part)
    return "; ".join(one(p.strip()) for p in reason.split(";"))


@dataclass(frozen=True)
class Counter:
    """What the composer shows while the officer types (the product's own counter)."""
    sms_text: str
    encoding: str
    units: int
    segments: int
    per_segment: int
    personal: bool
    zalo_chars: int

    def json(self) -> dict:
        return self.__dict__ | {"over": self.segments > 1}


def count(text: str, sms_text: str | None) -> Counter:
    sms = " ".join((sms_text or "").split()) or sms_form(text or "")
    seg = worst_segments(sms)
    per = (160 if seg.count == 1 else 153) if seg.encoding == "GSM-7" else (70 if seg.count == 1 else 67)
    return Counter(sms, seg.encoding, seg.units, seg.count, per, is_personal(text or "", sms),
                   len(text or ""))


@dataclass
class Preview:
    draft: Draft
    recipients: int
    split: Split
    cost: Cost
    sends_at: datetime            # when it will actually start: the send window applies
    held: bool                    # quiet hours move it later
    sample_zalo: str
    sample_sms: str
    weak: dict[str, int] = field(default_factory=dict)   # indicator → weak citizens in scope
    everyone: int = 0             # for a course: the recipients without the weak filter


def preview(session, runtime, draft: Draft, now: datetime) -> Preview:
    broadcast = draft.broadcast(now)
    ids = targeted_by(broadcast, now)
    the_split = split(session, ids, means_of(runtime), now)
    weak, everyone = {}, 0
    if draft.course is not None:
        plain = Draft(**{**draft.__dict__, "weak_only": False}).broadcast(now)
        weak = weak_counts(session, targeted_by(plain, now), tuple(draft.course.indicators))
        everyone = session.scalar(select(func.count()).select_from(targeted_by(plain, now).subquery()))
    start = draft.send_at or now
    window = SendWindow.parse(runtime.settings.send_window)
    sends_at = window.next_open(start)
    sample = Progress("in_progress", 4)
    year = current_period(now)
    return Preview(draft=draft, recipients=the_split.total, split=the_split,
                   cost=cost(the_split, draft.sms_text, draft.text, runtime.settings),
                   sends_at=sends_at, held=sends_at > start,
                   sample_zalo=for_citizen(draft.text, False, year - 70, False, year, sample),
                   sample_sms=for_citizen(draft.sms_text, True, year - 70, False, year, sample),
                   weak=weak, everyone=everyone)


def queue_test(session, runtime, officer, draft: Draft, phone_raw: str, now: datetime) -> str:
    """The SMS form, rendered as an elderly citizen halfway through would get it, queued
    to the officer's own phone (saved on their account). Returns the E.164 number."""
    phone = to_e164(phone_raw or "")
    if phone is None:
        raise BadDraft("Số điện thoại để gửi thử không hợp lệ.")
    gateway = sms_gateway(runtime.settings, "bulk")
    if gateway is None:
        raise BadDraft("Chưa cấu hình cổng SMS để gửi thử.")
    officer.phone = phone
    year = current_period(now)
    text = for_citizen(draft.sms_text, True, year - 70, False, year, Progress("in_progress", 4))
    seg = segments(text)
    # asked for by the officer this minute, like a reply: not held by quiet hours
    session.add(Outbox(channel="sms", provider=gateway, address=phone, text=text,
                       segments=seg.count, encoding=seg.encoding, kind="test",
                       priority=REPLY_PRIORITY, status="queued", attempts=0,
                       next_attempt_at=now, tried="", created_at=now, updated_at=now,
                       dedup_key=f"test:{officer.id}:{now.timestamp():.6f}"))
    return phone


@dataclass(frozen=True)
class Progressed:
    broadcast: Broadcast
    states: dict[str, int]
    channels: dict[str, int]      # sent or delivered, by channel
    total: int

    @property
    def finished(self) -> int:
        return sum(self.states[s] for s in ("sent", "delivered", "failed", "cancelled"))

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 and self.broadcast.state != "scheduled" else (
            self.finished * 100 // self.total if self.total else 0)

    def json(self) -> dict:
        b = self.broadcast
        return {"id": b.id, "state": b.state, "total": self.total, "states": self.states,
                "channels": self.channels, "finished": self.finished, "percent": self.percent,
                "done": b.state == "cancelled" or (b.state == "planned"
                                                   and self.finished == self.total)}


def progressed(session, broadcast: Broadcast) -> Progressed:
    """The counters of `flask broadcast status` (outreach `progress`), summed by status,
    and what has gone by channel."""
    states, channels = dict.fromkeys(STATUS_ORDER, 0), {}
    for channel, by_status in progress(session, broadcast.id).items():
        for status, n in by_status.items():
            states[status] = states.get(status, 0) + n
            if status in ("sent", "delivered"):
                channels[channel] = channels.get(channel, 0) + n
    return Progressed(broadcast, states, channels, sum(states.values()))
