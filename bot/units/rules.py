"""What a unit may be: its kinds (with their Vietnamese labels), the codes citizens can
type back, and the limits of the table. Plain functions; no database."""

import re

from flows.units.codes import CodeIndex, code_key
from storage.models import fold_name

# kind → the label officers read and may write in a file
KINDS = {
    "province": "tỉnh",
    "city": "thành phố",
    "commune": "xã",
    "ward": "phường",
    "special_zone": "đặc khu",
    "branch": "chi hội",
    "club": "câu lạc bộ",
    "school": "trường học",
    "other": "khác",
}
# kinds nobody registers to: their code on a poster would be refused by the bot
CLOSED_KINDS = frozenset({"province", "city"})
# kinds of the official divisions (bot/units/admin_import.py)
COMMUNE_KINDS = frozenset({"commune", "ward", "special_zone"})
MAX_CODE = 32        # storage: units.code
MAX_NAME = 200       # storage: units.name
MAX_PATH = 500       # storage: units.path
_CODE = re.compile(r"[A-Za-z0-9.\-]+")

_BY_WORD = {fold_name(label): kind for kind, label in KINDS.items()}
_BY_WORD.update({kind.replace("_", " "): kind for kind in KINDS})
_BY_WORD.update({"thanh pho trung uong": "city", "tp": "city", "clb": "club", "truong": "school",
                 "special zone": "special_zone", "specialzone": "special_zone"})


def kind_of(text: str | None) -> str | None:
    """"Chi hội", "branch", "CHI HOI" → "branch"; None for a kind we do not know."""
    if not text:
        return None
    return _BY_WORD.get(fold_name(str(text)).replace("-", " "))


def joinable(kind: str) -> bool:
    return kind not in CLOSED_KINDS


def code_problem(code: str) -> str | None:
    """Why `code` cannot be a unit's code, or None. A code is what citizens type after
    "DK", so the bot's own reader must read it back as itself."""
    if len(code) > MAX_CODE:
        return f"Mã dài {len(code)} ký tự, tối đa {MAX_CODE}."
    if not _CODE.fullmatch(code):
        return "Mã chỉ được có chữ cái không dấu, chữ số, dấu gạch ngang (-) và dấu chấm (.)."
    if not any(ch.isdigit() for ch in code):
        return "Mã cần có ít nhất một chữ số (người dân nhắn \"DK <mã>\")."
    if CodeIndex([code]).find(f"DK {code}") != [code]:
        return f"Người dân nhắn \"DK {code}\" thì hệ thống không đọc ra đúng mã này; hãy chọn mã khác."
    return None


def same_code(a: str, b: str) -> bool:
    """Two codes a citizen could not tell apart when typing ("9001.1", "9001-1", "AB1", "ab1")."""
    return code_key(a) == code_key(b)


def path_of(parent_path: str | None, code: str) -> str:
    return f"{parent_path or '/'}{code}/"
