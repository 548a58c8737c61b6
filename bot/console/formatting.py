"""Jinja filters for the console: Vietnam time, Vietnamese numbers and percentages."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vntime(moment: datetime | None, with_time: bool = True) -> str:
    """"20/11/2026 10:00" in Vietnam time; "" for None."""
    if moment is None:
        return ""
    local = moment.astimezone(VIETNAM)
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def number(value) -> str:
    """565625 → "565.625"."""
    return format_decimal(value or 0, locale="vi_VN")


def percent(value: float | None) -> str:
    """0.8125 → "81,3 %"; None → "–"."""
    if value is None:
        return "–"
    return format_percent(value, "#,##0.0 %", locale="vi_VN")


def install(bp) -> None:
    for name, function in (("vntime", vntime), ("number", number), ("percent", percent)):
        bp.add_app_template_filter(function, name)
