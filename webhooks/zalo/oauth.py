"""OAuth v4 for an Official Account: the permission URL with PKCE, and the token
requests. Pure: building requests and reading answers; the host keeps the tokens
(one row per OA) and takes the lock, because a refresh token works only once.
"""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from .messages import HttpRequest

ACCESS_LIFETIME = timedelta(hours=25)     # when an answer leaves out expires_in


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime


class OAuthError(Exception):
    """Zalo refused, or answered something that is not a token pair. Never stored."""


def new_verifier() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def permission_url(oauth_url: str, app_id: str, redirect_uri: str, verifier: str,
                   state: str) -> str:
    query = urlencode({"app_id": app_id, "redirect_uri": redirect_uri,
                       "code_challenge": challenge(verifier), "state": state})
    return f"{oauth_url.rstrip('/')}/v4/oa/permission?{query}"


def _token_request(oauth_url: str, app_secret: str, form: dict[str, str]) -> HttpRequest:
    return HttpRequest("POST", f"{oauth_url.rstrip('/')}/v4/oa/access_token",
                       headers={"secret_key": app_secret,
                                "Content-Type": "application/x-www-form-urlencoded"},
                       data=form)


def refresh_request(oauth_url: str, app_id: str, app_secret: str, refresh_token: str) -> HttpRequest:
    return _token_request(oauth_url, app_secret, {"refresh_token": refresh_token, "app_id": app_id,
                                                  "grant_type": "refresh_token"})


def exchange_request(oauth_url: str, app_id: str, app_secret: str, code: str,
                     verifier: str) -> HttpRequest:
    return _token_request(oauth_url, app_secret, {"code": code, "app_id": app_id,
                                                  "grant_type": "authorization_code",
                                                  "code_verifier": verifier})


def read_tokens(status: int, body: Any, now: datetime) -> TokenPair:
    """A token pair, only if both tokens are there: Zalo answers errors with HTTP 200
    and `error_name`/`error_reason`, and an answer without a refresh token must
    never replace a working one."""
    if not isinstance(body, dict):
        raise OAuthError(f"HTTP {status}: not a JSON object")
    access, refresh = body.get("access_token"), body.get("refresh_token")
    if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
        reason = body.get("error_reason") or body.get("error_description") or body.get("message")
        raise OAuthError(f"HTTP {status}: error {body.get('error')} "
                         f"{body.get('error_name') or ''} {reason or 'no token in the answer'}".strip())
    seconds = body.get("expires_in")
    lifetime = timedelta(seconds=int(seconds)) if str(seconds).isdigit() else ACCESS_LIFETIME
    return TokenPair(access, refresh, now + lifetime)
