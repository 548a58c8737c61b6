"""The placeholders an officer may put in an announcement, rendered per recipient:

- `{xung_ho}` / `{Xung_ho}`: how the bot addresses this citizen (bác, anh/chị, em…),
  the same rule as every catalog message (address.py); capitalised to begin a sentence;
- `{tien_do}`: where their own assessment stands: "còn 4 câu", "chưa bắt đầu tự đánh
  giá", "đã tự đánh giá xong".

Elderly readers notice being called "bác" and being told how little is left. Pure: the
caller gives the citizen's birth year, group and progress.
"""

import re
from dataclasses import dataclass

from .address import UNKNOWN, address_form, capitalised
from .gsm import Segments, segments, to_gsm

NAMES = ("xung_ho", "Xung_ho", "tien_do")
FIELD = re.compile(r"\{([^{}\s]{1,30})\}")
PHRASES = {   # (Zalo form, SMS form)
    "not_started": ("chưa bắt đầu tự đánh giá", "chua bat dau tu danh gia"),
    "completed": ("đã tự đánh giá xong", "da tu danh gia xong"),
}
ADDRESS_FORMS = ("bác", "anh/chị", "em", "bạn", UNKNOWN)


@dataclass(frozen=True)
class Progress:
    status: str          # "not_started" | "in_progress" | "completed"
    remaining: int = 0   # questions left, when in progress


def fields(text: str) -> list[str]:
    return FIELD.findall(text)


def unknown_fields(text: str) -> list[str]:
    """Names in braces that are not placeholders ("{ten}"): the officer mistyped one."""
    return sorted({name for name in fields(text) if name not in NAMES})


def is_personal(*texts: str) -> bool:
    return any(name in NAMES for text in texts for name in fields(text))


def _progress_phrase(progress: Progress, sms: bool) -> str:
    if progress.status == "in_progress":
        return f"con {progress.remaining} cau" if sms else f"còn {progress.remaining} câu"
    zalo, gsm = PHRASES[progress.status]
    return gsm if sms else zalo


def render(text: str, sms: bool, address: str, progress: Progress) -> str:
    """`text` with its placeholders filled for one citizen; `address` as address_form gives it."""
    values = {"xung_ho": address, "Xung_ho": capitalised(address),
              "tien_do": _progress_phrase(progress, sms)}
    if sms:
        values = {k: to_gsm(v) for k, v in values.items()}
    return FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def for_citizen(text: str, sms: bool, birth_year: int | None, pupil: bool, year: int,
                progress: Progress) -> str:
    return render(text, sms, address_form(birth_year, pupil, year), progress)


def longest(text: str, sms: bool) -> str:
    """The longest rendering any citizen can get: what a cost estimate must assume."""
    if not is_personal(text):
        return text
    progresses = [Progress("not_started"), Progress("completed"), Progress("in_progress", 10)]
    return max((render(text, sms, a, p) for a in ADDRESS_FORMS for p in progresses), key=len)


def worst_segments(text: str) -> Segments:
    """The SMS segments of the longest rendering of an SMS form."""
    return segments(longest(text, True))
