"""Render a catalog message for one channel and one citizen.

    text = catalog.render("assessment.question", params, channel="sms", recipient=r)

Parameter values (see flows/effects.py Send): a {"zalo", "sms"} pair picks the
channel's form; {"msg": key, "params": …} renders another catalog message; a
list is shown as numbered options (or joined with `:and`); datetimes and
numbers are formatted with Babel in vi_VN, times in Asia/Ho_Chi_Minh.
Format specs: `:date`, `:n` (Babel number), `:and` (list joined with "và"),
`:lines` (list of messages, one per line). The SMS
form is always returned as GSM-7.
"""

import re
import string
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from .address import address_form, capitalised
from .gsm import to_gsm

CATALOG_PATH = Path(__file__).parent / "catalog.toml"
CHANNELS = ("zalo", "sms")
LOCALE = "vi_VN"
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ZALO_MAX = 2000


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Recipient:
    birth_year: int | None = None
    pupil: bool = False
    year: int = 2026          # the current year where the citizen lives

    @property
    def form(self) -> str:
        return address_form(self.birth_year, self.pupil, self.year)


class _Formatter(string.Formatter):
    def __init__(self, render_value):
        self.render_value = render_value

    def get_value(self, key, args, kwargs):
        return kwargs.get(key, "")

    def format_field(self, value, spec):
        return self.render_value(value, spec)


class Catalog:
    def __init__(self, messages: dict[str, dict[str, str]]):
        self.messages = messages

    @classmethod
    def load(cls, path: Path = CATALOG_PATH) -> "Catalog":
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for key, forms in data.items():
            for channel in CHANNELS:
                if not isinstance(forms.get(channel), str):
                    raise CatalogError(f"{path.name}: [{key}].{channel}: is required")
        return cls(data)

    def keys(self):
        return self.messages.keys()

    def render(self, key: str, params: dict, channel: str, recipient: Recipient) -> str:
        text = self._render(key, params, channel, recipient)
        text = re.sub(r"[ \t]+", " ", text)
        text = re.sub(r" *\n *", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        if channel == "sms":
            text = to_gsm(text.replace("\n", " "))
            text = re.sub(r" {2,}", " ", text).strip()
        return text

    def _render(self, key: str, params: dict, channel: str, recipient: Recipient) -> str:
        try:
            template = self.messages[key][channel]
        except KeyError:
            raise CatalogError(f"no message {key!r} for channel {channel!r}") from None
        form = recipient.form
        values = {"xung": form, "Xung": capitalised(form), **(params or {})}

        def value(v, spec=""):
            if isinstance(v, dict) and "msg" in v:
                return self._render(v["msg"], v.get("params", {}), channel, recipient)
            if isinstance(v, dict):
                return value(v.get(channel, ""), spec)
            if isinstance(v, (list, tuple)):
                items = [value(item) for item in v]
                if spec == "and":
                    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1]
                if spec == "lines":  # SMS: one sentence, "a; b; c."
                    kept = [i for i in items if i]
                    if channel == "zalo":
                        return "\n".join(kept)
                    return "; ".join(i.rstrip(";.") for i in kept) + "." if kept else ""
                sep, fmt = ("\n", "{}. {}") if channel == "zalo" else (" ", "{}.{}")
                return sep.join(fmt.format(i, item) for i, item in enumerate(items, 1))
            if isinstance(v, datetime):
                local = v.astimezone(TIMEZONE)
                if spec == "date":
                    return format_date(local.date(), "d/M/yyyy", locale=LOCALE)
                return format_datetime(local, "HH:mm d/M/yyyy", locale=LOCALE)
            if isinstance(v, date):
                return format_date(v, "d/M/yyyy", locale=LOCALE)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and spec == "n":
                return format_decimal(v, locale=LOCALE)
            if isinstance(v, str):  # data texts (criteria questions) address the citizen too
                return v.replace("{xung}", form).replace("{Xung}", capitalised(form))
            return "" if v is None else str(v)

        return _Formatter(value).vformat(template, (), values)
