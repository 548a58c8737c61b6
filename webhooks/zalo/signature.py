"""Zalo's webhook signature: `X-ZEvent-Signature: mac=<sha256 hex>`.

Not an HMAC: a plain SHA-256 of app id + raw body + the body's `timestamp` +
the OA secret key (the one on the app's Webhook page, not the app secret).
Public integrations disagree on the first term (app id or OA id), so both are
tried and the one that matched is reported, to narrow it later.
"""

import hashlib
import hmac

from ..http import storable


def expected_mac(first: str, raw: bytes, timestamp: str, oa_secret: str) -> str:
    return hashlib.sha256(first.encode() + raw + timestamp.encode() + oa_secret.encode()).hexdigest()


def verify(raw: bytes, header: str | None, timestamp: str, app_id: str | None,
           oa_id: str | None, oa_secret: str) -> str | None:
    """"app_id" or "oa_id" (which first term matched), or None."""
    if not header or not oa_secret or not storable(timestamp):
        return None   # JSON can carry a lone surrogate ("\udfff"): no timestamp Zalo signed
    got = header.strip()
    if got.lower().startswith("mac="):
        got = got[4:]
    got = got.strip().lower().encode("utf-8", "replace")   # any header, even non-ASCII
    for label, first in (("app_id", app_id), ("oa_id", oa_id)):
        # constant-time compare: the signature must not leak through timing
        if first and hmac.compare_digest(expected_mac(first, raw, timestamp, oa_secret).encode(), got):
            return label
    return None


def timestamp_of(body: dict, header: str | None) -> str:
    """The signature's timestamp term: the body's `timestamp` as Zalo wrote it (a string,
    or a JSON integer), else the X-ZEvent-Timestamp header. Any other JSON value (an object,
    a float, true) is no timestamp of Zalo's, and its str() would only be guesswork."""
    stamp = body.get("timestamp")
    if isinstance(stamp, int) and not isinstance(stamp, bool):
        stamp = str(stamp)   # json.loads refuses integers str() could not write back
    return stamp if isinstance(stamp, str) and stamp else header or ""


def sign(raw: bytes, timestamp: str, first: str, oa_secret: str) -> str:
    """The header value Zalo would send (for tests and the load generator)."""
    return "mac=" + expected_mac(first, raw, timestamp, oa_secret)
