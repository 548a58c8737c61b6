"""Zalo webhook events, read into the channel contract's values.

`read(body)` returns one of:
- `InboundMessage`: text, follow, unfollow, evidence (image/file), media (sticker,
  location, voice… not readable), profile (user_submit_info);
- `StatusReport`: user_received_message / user_seen_message on our messages;
- `Ignored(reason)`: echoes of our own messages (oa_send_*) and events we do not use;
- or raises `BadEvent` naming the missing field.
Ids stay strings (they can be 19 digits).
"""

from ..contract import Attachment, InboundMessage, StatusReport
from ..http import BadEvent, Ignored, clean_id, since_epoch, storable, whole_number
from .signature import timestamp_of

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


def dedup_key(body: dict, event: str, user: str) -> str:
    """`message.msg_id`, or (event, timestamp, user) for events without one."""
    msg_id = _dig(body, "message", "msg_id")
    if isinstance(msg_id, str) and msg_id:
        return _id(msg_id, "message.msg_id")
    stamp = timestamp_of(body, None)   # as written, never the str() of an object
    key = f"{event}:{stamp}:{user}"
    if not stamp or not clean_id(key):
        raise BadEvent("'timestamp' or the user id is not usable")
    return key


def _attachments(message: dict) -> tuple[Attachment, ...]:
    items = message.get("attachments")
    found = []
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        url, name, thumbnail = (_clean(payload.get(k)) for k in ("url", "name", "thumbnail"))
        found.append(Attachment(
            type=(_clean(item.get("type")) or "")[:16], url=url or "",
            name=name[:300] if name else None,
            size=whole_number(payload.get("size"), 2**31),   # an INTEGER column
            thumbnail=thumbnail))
    return tuple(found)


def _clean(value) -> str | None:
    """A string we can store, else None."""
    return value if isinstance(value, str) and storable(value) and "\x00" not in value else None


def read(body: dict):
    if not isinstance(body, dict):
        raise BadEvent("body must be a JSON object")
    event = _text(body.get("event_name"), "event_name")
    if event.startswith("oa_"):
        return Ignored("echo")            # our own messages, or a human agent's, coming back
    sent_at = since_epoch(body.get("timestamp"), per_second=1000)
    if event in ("follow", "unfollow"):
        user = _id(_dig(body, "follower", "id"), "follower.id")
        return InboundMessage(NAME, dedup_key(body, event, user), "zalo", user, "", kind=event,
                              sent_at=sent_at)
    if event in ("user_received_message", "user_seen_message"):
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        ids = message.get("msg_ids") if isinstance(message.get("msg_ids"), list) else []
        ids = [i for i in ids if isinstance(i, str) and clean_id(i)] or [
            i for i in [message.get("msg_id")] if isinstance(i, str) and clean_id(i)]
        if not ids:
            raise BadEvent("'message.msg_id' or 'message.msg_ids' is missing or not usable")
        status = "delivered" if event == "user_received_message" else "seen"
        return StatusReport(NAME, tuple(ids), status, sent_at)
    if event == "user_submit_info":
        user = _id(_dig(body, "sender", "id"), "sender.id")
        info = body.get("info") if isinstance(body.get("info"), dict) else {}
        profile = {k: v for k in ("name", "phone") if (v := _clean(info.get(k)))}
        return InboundMessage(NAME, dedup_key(body, event, user), "zalo", user, "",
                              kind="profile", profile=profile, sent_at=sent_at)
    if event != "user_send_text" and event not in EVIDENCE and event not in UNREADABLE:
        return Ignored("unused_event")   # before any check: a wrong 4xx makes Zalo drop events
    user = _id(_dig(body, "sender", "id"), "sender.id")
    message = body.get("message")
    if not isinstance(message, dict):
        raise BadEvent("'message' is missing or not an object")
    _id(message.get("msg_id"), "message.msg_id")
    text = message.get("text")
    if event != "user_send_text" and not isinstance(text, str):
        text = None   # a caption is optional, and only ever a string
    text = _text(text, "message.text", required=False).replace("\x00", "")   # PostgreSQL: no NUL
    key = dedup_key(body, event, user)
    if event == "user_send_text":
        return InboundMessage(NAME, key, "zalo", user, text, sent_at=sent_at)
    attachments = _attachments(message)
    # An image or file without a link cannot be kept as proof: answer it like a sticker.
    kind = "evidence" if event in EVIDENCE and any(a.url for a in attachments) else "media"
    return InboundMessage(NAME, key, "zalo", user, text, kind=kind, sent_at=sent_at,
                          attachments=tuple(a for a in attachments if a.url or kind == "media"))
