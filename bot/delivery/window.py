"""Quiet hours: reminders and announcements go out only inside the send window, in
Vietnam's time (CDHT_SEND_WINDOW, "07:00-21:00"; "always" turns it off). Replies are
never held: the citizen has just written."""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
SPEC = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class SendWindow:
    start: time | None = None   # None: always open
    end: time | None = None

    @classmethod
    def parse(cls, spec: str) -> "SendWindow":
        """"07:00-21:00" or "always"; a window may cross midnight ("20:00-06:00")."""
        if spec.strip().lower() == "always":
            return cls()
        match = SPEC.match(spec)
        if not match:
            raise ValueError(f"send window {spec!r} is not HH:MM-HH:MM or 'always'")
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"send window {spec!r} has an impossible time")
        start, end = time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)
        if start == end:
            if h2 == 24:   # "00:00-24:00": the whole day
                return cls()
            raise ValueError(f"send window {spec!r} is empty")
        return cls(start, end)

    @property
    def always(self) -> bool:
        return self.start is None

    def is_open(self, now: datetime) -> bool:
        if self.always:
            return True
        local = now.astimezone(TIMEZONE).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_open(self, now: datetime) -> datetime:
        """`now` when open, else when the window next opens."""
        if self.is_open(now):
            return now
        local = now.astimezone(TIMEZONE)
        opening = datetime.combine(local.date(), self.start, TIMEZONE)
        if opening <= local:
            opening += timedelta(days=1)
        return opening

    def __str__(self) -> str:
        if self.always:
            return "always"
        end = "24:00" if self.end == time(0, 0) else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"
