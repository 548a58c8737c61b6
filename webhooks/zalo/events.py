"""Zalo webhook events, read into the channel contract's values.

`read(body)` returns one of:
- `InboundMessage`: text, follow, unfollow, evidence (image/file), media (sticker,
  location, voice… not readable), profile (user_submit_info);
- `StatusReport`: user_received_message / user_seen_message on our messages;
- `Ignored(reason)`: echoes of our own messages (oa_send_*) and events we do not use;
- or raises `BadEvent` naming the missing field.
Ids stay strings (they can be 19 digits).
"""

from datetime import datetime, timezone

from ..contract import Attachment, InboundMessage, StatusReport
from ..http import BadEvent, Ignored, clean_id, storable

NAME = "zalo"
EVIDENCE = {"user_send_image": "image", "user_send_file": "file"}
UNREADABLE = {"user_send_sticker", "user_send_gif", "user_send_location", "user_send_link",
              "user_send_audio", "user_send_video", "user_send_business_card"}


def _text(value, field: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)   # ids should be strings; accept numbers without losing them
    if not isinstance(value, str) or (required and not value):
        raise BadEvent(f"'{field}' is missing or not a string")
    if not storable(value):
        raise BadEvent(f"'{field}' is not valid Unicode")
    return value


def _id(value, field: str) -> str:
    """An id we store and key on: a short clean string."""
    value = _text(value, field)
    if not clean_id(value):
        raise BadEvent(f"'{field}' is not a usable id")
    return value


def _dig(body: dict, *path: str):
    value = body
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def dedup_key(body: dict) -> str:
    """`message.msg_id`, or (event, timestamp, user) for events without one."""
    msg_id = _dig(body, "message", "msg_id")
    if isinstance(msg_id, str) and msg_id:
        return msg_id
    user = _dig(body, "sender", "id") or _dig(body, "follower", "id") or ""
    key = f"{body.get('event_name')}:{body.get('timestamp')}:{user}"
    if not clean_id(key):
        raise BadEvent("'timestamp' or the user id is not usable")
    return key


def _attachments(message: dict) -> tuple[Attachment, ...]:
    found = []
    for item in message.get("attachments") or []:
        if not isinstance(item, dict):
            continue
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        size = payload.get("size")
        size = int(size) if isinstance(size, (int, str)) and str(size).isdigit() else None
        url, name, thumbnail = (_clean(payload.get(k)) for k in ("url", "name", "thumbnail"))
        found.append(Attachment(
            type=(_clean(item.get("type")) or "")[:16], url=url or "",
            name=name[:300] if name else None,
            size=size if size is not None and size < 2**31 else None,   # an INTEGER column
            thumbnail=thumbnail))
    return tuple(found)


def _clean(value) -> str | None:
    """A string we can store, else None."""
    return value if isinstance(value, str) and storable(value) and "\x00" not in value else None


def _at(body: dict) -> datetime | None:
    stamp = body.get("timestamp")
    if isinstance(stamp, str) and stamp.isdigit():
        return datetime.fromtimestamp(int(stamp) / 1000, tz=timezone.utc)
    return None


def read(body: dict):
    if not isinstance(body, dict):
        raise BadEvent("body must be a JSON object")
    event = _text(body.get("event_name"), "event_name")
    if event.startswith("oa_"):
        return Ignored("echo")            # our own messages, or a human agent's, coming back
    if event in ("follow", "unfollow"):
        user = _id(_dig(body, "follower", "id"), "follower.id")
        return InboundMessage(NAME, dedup_key(body), "zalo", user, "", kind=event)
    if event in ("user_received_message", "user_seen_message"):
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        ids = message.get("msg_ids") if isinstance(message.get("msg_ids"), list) else []
        ids = [i for i in ids if isinstance(i, str)] or (
            [message["msg_id"]] if isinstance(message.get("msg_id"), str) else [])
        if not ids:
            raise BadEvent("'message.msg_id' or 'message.msg_ids' is missing")
        status = "delivered" if event == "user_received_message" else "seen"
        return StatusReport(NAME, tuple(ids), status, _at(body))
    if event == "user_submit_info":
        user = _id(_dig(body, "sender", "id"), "sender.id")
        info = body.get("info") if isinstance(body.get("info"), dict) else {}
        profile = {k: info[k] for k in ("name", "phone") if isinstance(info.get(k), str) and info[k]}
        return InboundMessage(NAME, dedup_key(body), "zalo", user, "", kind="profile",
                              profile=profile)
    if event != "user_send_text" and event not in EVIDENCE and event not in UNREADABLE:
        return Ignored("unused_event")   # before any check: a wrong 4xx makes Zalo drop events
    user = _id(_dig(body, "sender", "id"), "sender.id")
    message = body.get("message")
    if not isinstance(message, dict):
        raise BadEvent("'message' is missing or not an object")
    _id(message.get("msg_id"), "message.msg_id")
    caption = message.get("text") if isinstance(message.get("text"), str) else ""
    if event == "user_send_text":
        return InboundMessage(NAME, dedup_key(body), "zalo", user,
                              _text(message.get("text"), "message.text", required=False))
    attachments = _attachments(message)
    # An image or file without a link cannot be kept as proof: answer it like a sticker.
    kind = "evidence" if event in EVIDENCE and any(a.url for a in attachments) else "media"
    return InboundMessage(NAME, dedup_key(body), "zalo", user, caption, kind=kind,
                          attachments=tuple(a for a in attachments if a.url or kind == "media"))
