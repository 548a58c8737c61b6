"""Small HTTP helpers every provider's blueprint uses."""

import json
import re

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

MAX_BODY = 64 * 1024


class BodyTooLarge(ValueError):
    pass


def read_body(limit: int = MAX_BODY) -> bytes:
    """The raw request body, refusing more than `limit` bytes. Reads one byte past the
    limit: a chunked body has no Content-Length, and werkzeug would silently cut it."""
    request.max_content_length = limit + 1
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:   # a Content-Length over the limit
        raise BodyTooLarge(f"request body too large (at most {limit // 1024} KB)") from None
    if len(raw) > limit:
        raise BodyTooLarge(f"request body too large (at most {limit // 1024} KB)")
    return raw


def json_or_none(raw: bytes):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):   # bad UTF-8, or nesting deeper than Python's stack
        return None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def storable(value: str) -> bool:
    """Encodable as UTF-8 (JSON may carry lone surrogates, "\\ud800", that are not)."""
    try:
        value.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def clean_id(value: str, max_len: int = 128) -> bool:
    """Fit to be a stored id or address: short, no control characters, valid Unicode."""
    return 0 < len(value) <= max_len and not _CONTROL.search(value) and storable(value)
