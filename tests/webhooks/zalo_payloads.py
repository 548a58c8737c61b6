"""What the Zalo test files share: ids, events in Zalo's shapes
(/work/shared/reference/zalo-oa-api.md §1.4–1.5; ids stay strings), a clock, and a
`responses` mock that fails on unused or out-of-order calls."""

from datetime import datetime, timezone

import responses
from responses.registries import OrderedRegistry

APP_ID = "360846524940903967"
OA_ID = "388613280878808645"
SECRET = "oa-webhook-secret"
USER = "8309393969855402319"        # 19 digits: more than a float keeps
OTHER = "246845883529197922"
STAMP = "1751100041636"
IMG = "https://photo-stal-1.zdn.vn/abc.jpg"
THUMB = "https://photo-stal-1.zdn.vn/abc_thumb.jpg"
BASE = "http://zalo.test"
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
ZALO = {"zalo_app_id": APP_ID, "zalo_oa_id": OA_ID, "zalo_oa_secret": SECRET,   # app settings
        "zalo_openapi_url": BASE}


def mock() -> responses.RequestsMock:
    return responses.RequestsMock(assert_all_requests_are_fired=True, registry=OrderedRegistry)


def user_event(name: str, message: dict, sender: str = USER) -> dict:
    """A user → OA event in the documented envelope (§1.4)."""
    return {"app_id": APP_ID, "sender": {"id": sender}, "recipient": {"id": OA_ID},
            "user_id_by_app": "552177279717587730", "event_name": name, "message": message,
            "timestamp": STAMP}


def attached(kind: str, payload: dict, msg_id: str, text: str | None = None) -> dict:
    message = {"msg_id": msg_id, "attachments": [{"type": kind, "payload": payload}]}
    return message if text is None else {**message, "text": text}


def follow_event(name: str, user: str = USER, stamp: str = STAMP) -> dict:
    return {"oa_id": OA_ID, "follower": {"id": user}, "user_id_by_app": "552172779717587730",
            "event_name": name, "source": "oa_profile", "app_id": APP_ID, "timestamp": stamp}


def oa_event(name: str, message: dict) -> dict:
    """OA → user direction (receipts, echoes): sender is the OA."""
    return {"app_id": APP_ID, "sender": {"id": OA_ID}, "recipient": {"id": USER},
            "event_name": name, "message": message, "timestamp": STAMP}
