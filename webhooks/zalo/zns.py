"""ZNS (ZBS template) messages by phone number: for citizens outside the 7-day window.

Template ids per message kind come from CDHT_ZNS_TEMPLATES (JSON); a kind without
a template is not eligible. The fallback chain (bot/delivery/routing.py) sends through
ZaloChannel.send_template; this builds the request.
"""

import json

from .messages import HttpRequest


def templates(setting: str | None) -> dict[str, str]:
    """CDHT_ZNS_TEMPLATES, e.g. '{"reminder": "7895417a7d3f9461cd2e"}'."""
    if not setting:
        return {}
    try:
        value = json.loads(setting)
    except ValueError as exc:
        raise ValueError(f"CDHT_ZNS_TEMPLATES is not valid JSON: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("CDHT_ZNS_TEMPLATES must be a JSON object of kind → template id")
    return value


def zns_phone(e164: str) -> str:
    """"+84912345678" → "84912345678", the form ZNS documents."""
    return e164.lstrip("+")


def template_request(business_url: str, access_token: str, phone_e164: str, template_id: str,
                     data: dict[str, str], tracking_id: str) -> HttpRequest:
    return HttpRequest("POST", f"{business_url.rstrip('/')}/message/template",
                       headers={"access_token": access_token, "Content-Type": "application/json"},
                       json={"phone": zns_phone(phone_e164), "template_id": template_id,
                             "template_data": data, "tracking_id": tracking_id})
