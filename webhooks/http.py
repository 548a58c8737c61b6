"""Small HTTP helpers every provider's blueprint uses."""

import json

from flask import request

MAX_BODY = 64 * 1024


class BodyTooLarge(ValueError):
    pass


def read_body(limit: int = MAX_BODY) -> bytes:
    """The raw request body, refusing more than `limit` bytes. Reads one byte past the
    limit: a chunked body has no Content-Length, and werkzeug would silently cut it."""
    request.max_content_length = limit + 1
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise BodyTooLarge(f"request body too large (at most {limit // 1024} KB)")
    return raw


def json_or_none(raw: bytes):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):   # bad UTF-8, or nesting deeper than Python's stack
        return None
