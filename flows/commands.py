"""Global commands: words that work anywhere and beat the running flow.

Matched against the whole reply (folded, with polite particles around it
removed), so "huy" stops announcements but "Nguyễn Văn Huy" is a name.
At a name question, command words that are also Vietnamese names (Huy,
Tiệp, Lại, Điềm) are read as the name.
"""

import re
from dataclasses import dataclass

from .readers.framing import core
from .readers.numbers import number_in_words

COMMANDS = {
    "help": ("hd", "tro giup", "huong dan", "help", "giup", "giup do", "giup voi", "menu"),
    "restart": ("lai", "bat dau lai", "lam lai", "lam lai tu dau", "bat dau lai tu dau"),
    "back": ("quay lai", "tro lai", "back", "cau truoc"),
    "score": ("diem", "xem diem", "ket qua", "xem ket qua", "diem so", "diem cua toi"),
    "optout": ("huy", "tu choi", "stop", "tc", "huy dang ky", "ngung", "ngung nhan",
               "khong nhan tin", "khong nhan thong bao", "huy thong bao"),
    "optin": ("nhan tb", "nhan thong bao", "bat thong bao", "nhan tin lai"),
    "resume": ("tiep", "tiep tuc", "tiep theo", "lam tiep"),
    "delete": ("xoa", "xoa du lieu", "xoa thong tin", "xoa het", "xoa du lieu cua toi"),
}
NAME_LIKE = frozenset({"huy", "tiep", "lai", "diem", "ngung"})
# "SỬA 3", "sửa câu số 3", "sửa câu thứ 3", "sửa câu 3/10" (as "Câu 3/10" is printed)
_EDIT = re.compile(r"^(?:sua lai|sua)(?: cau)?(?: so| thu)?(?: (?P<n>\d+(?= \d+$|$)|\D.*))?"
                   r"(?: \d+)?$")
_BY_PHRASE = {phrase: name for name, phrases in COMMANDS.items() for phrase in phrases}


@dataclass(frozen=True)
class Command:
    name: str
    number: int | None = None     # for "edit": the question number, if given


def match(raw: str, folded: str, at_name_step: bool = False) -> Command | None:
    if raw.strip() in ("?", "??", "???"):
        return Command("help")
    for text in dict.fromkeys((folded, core(folded))):
        if at_name_step and text in NAME_LIKE:
            return None
        if text in _BY_PHRASE:
            return Command(_BY_PHRASE[text])
        edit = _EDIT.match(text)
        if edit:
            given = edit.group("n")
            if given is None:
                return Command("edit")
            number = int(given) if given.isdigit() else number_in_words(given.split())
            if number is not None:
                return Command("edit", number)
    return None
