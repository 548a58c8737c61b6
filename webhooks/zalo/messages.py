"""Customer-service (CS) messages: build the request, read Zalo's answer.

Requests are plain values (`HttpRequest`) so tests can check them without a
network; `channel.py` sends them. Zalo reports errors inside HTTP 200
(`{"error": -216, "message": ...}`), so every answer is read.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

MAX_TEXT = 2000
FREE_WINDOW = timedelta(hours=48)
CS_WINDOW = timedelta(days=7)

# What the channel does with each error code (reference: zalo-oa-api.md §2.6).
TOKEN_ERRORS = {-216, -220}                      # refresh once, retry once
RATE_LIMITED = {-32}                             # too fast: slow down, back off, retry
RETRY_LATER = {-211}                             # out of quota: wait for it, never give up
OUTSIDE_WINDOW = {-230, -232, -305, -311}        # beyond the window: fallback
NOT_FOLLOWER = {-213}
BLOCKED = {-217, -227, -244}                     # blocked, banned or restricted the OA


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None


@dataclass(frozen=True)
class Answer:
    """Zalo's answer, read: `error` 0 is success."""
    error: int
    message: str
    data: dict


def cs_text_request(base_url: str, access_token: str, user_id: str, text: str) -> HttpRequest:
    return HttpRequest("POST", f"{base_url.rstrip('/')}/v3.0/oa/message/cs",
                       headers={"access_token": access_token, "Content-Type": "application/json"},
                       json={"recipient": {"user_id": user_id}, "message": {"text": text}})


def conversation_request(base_url: str, access_token: str, user_id: str,
                         count: int = 10) -> HttpRequest:
    """The latest messages between the OA and a user (at most 10 per call)."""
    query = json.dumps({"user_id": user_id, "offset": 0, "count": count}, separators=(",", ":"))
    return HttpRequest("GET", f"{base_url.rstrip('/')}/v2.0/oa/conversation?data={quote(query)}",
                       headers={"access_token": access_token})


def sent_in(body: Any, text: str, since: datetime) -> str | None:
    """In a conversation answer, the id of a message the OA sent with exactly `text` at or
    after `since` (None: not there). Items from the user have `src` 1."""
    items = body.get("data") if isinstance(body, dict) else None
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("src") == 1 or item.get("message") != text:
            continue
        at = item.get("time")
        if isinstance(at, (int, float)) and at >= since.timestamp() * 1000 - 60_000:   # clock skew
            return str(item.get("message_id") or "") or "found"
    return None


def read_answer(status: int, body: Any) -> Answer:
    """Any HTTP answer as an Answer; a body that is not Zalo's envelope is error -1."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), int):
        return Answer(-1, f"unexpected answer (HTTP {status})", {})
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    return Answer(body["error"], str(body.get("message", "")), data)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters (NFC), cut after a sentence when possible,
    else after a line or a word."""
    text = unicodedata.normalize("NFC", text).strip()
    parts = []
    while len(text) > limit:
        head = text[:limit]
        # a sentence ends where the next character of the whole text is a space: the "."
        # inside "1.000.000 đồng" is not an end
        ends = [m.end() for m in re.finditer(r"(?<!\d)[.!?…]", head)   # not "1." nor "1.000"
                if text[m.end():m.end() + 1].isspace()]
        cut = max(ends, default=0) or head.rfind("\n") + 1 or head.rfind(" ") + 1 or limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return parts + ([text] if text else [])


def window(last_inbound_at: datetime | None, now: datetime) -> str:
    """"free" (≤ 48 h since the citizen wrote), "paid" (48 h – 7 days) or "closed"."""
    if last_inbound_at is None:
        return "closed"
    age = now - last_inbound_at
    if age <= FREE_WINDOW:
        return "free"
    return "paid" if age <= CS_WINDOW else "closed"


def may_send(kind: str, where: str, paid_window: str) -> bool:
    """Whether a message of `kind` goes out as CS in this window. `paid_window` is the
    CDHT_ZALO_PAID_WINDOW setting: "allow", "deny", or "replies" (the default: replies
    may use the billed window, bulk messages may not)."""
    if where == "free":
        return True
    if where == "closed":
        return False
    return paid_window == "allow" or (paid_window == "replies" and kind == "reply")
