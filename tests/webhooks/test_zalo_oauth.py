"""The Zalo OA's OAuth v4 tokens and ZNS templates as tables (the rest of the provider is in
test_zalo.py and test_zalo_webhook.py). Payload shapes follow
/work/shared/reference/zalo-oa-api.md (§1.3–1.5, §2.2–2.6, §3, §4); ids stay strings."""

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from webhooks.zalo import oauth, zns
from webhooks.zalo.channel import send_request
from tests.webhooks.zalo_payloads import APP_ID, NOW, mock

# --- oauth ----------------------------------------------------------------------------------------

OAUTH = "https://oauth.test"


def test_challenge_of_a_known_verifier():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"     # RFC 7636 appendix B
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert expected == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert oauth.challenge(verifier) == expected


def test_new_verifier_is_43_base64url_characters():
    first, second = oauth.new_verifier(), oauth.new_verifier()
    assert len(first) == 43 and first != second
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_permission_url():
    url = oauth.permission_url(OAUTH + "/", APP_ID, "https://cdht.test/zalo/callback?x=1", "v" * 43,
                               "state-42")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "oauth.test", "/v4/oa/permission")
    assert parse_qs(parts.query) == {"app_id": [APP_ID],
                                     "redirect_uri": ["https://cdht.test/zalo/callback?x=1"],
                                     "code_challenge": [oauth.challenge("v" * 43)],
                                     "state": ["state-42"]}


TOKEN_URL = OAUTH + "/v4/oa/access_token"
TOKEN_REQUESTS = [
    ("refresh", oauth.refresh_request(OAUTH + "/", APP_ID, "app-secret", "refresh-1"),
     {"refresh_token": "refresh-1", "app_id": APP_ID, "grant_type": "refresh_token"}),
    ("exchange", oauth.exchange_request(OAUTH, APP_ID, "app-secret", "code-1", "verifier-1"),
     {"code": "code-1", "app_id": APP_ID, "grant_type": "authorization_code",
      "code_verifier": "verifier-1"}),
]


@pytest.mark.parametrize("req, form", [c[1:] for c in TOKEN_REQUESTS], ids=[c[0] for c in TOKEN_REQUESTS])
def test_token_request(req, form):
    assert (req.method, req.url) == ("POST", TOKEN_URL)
    assert req.headers == {"secret_key": "app-secret",
                           "Content-Type": "application/x-www-form-urlencoded"}
    assert req.data == form and req.json is None
    # On the wire: a form body and the secret in a header, never in the body.
    with mock() as rsps:
        rsps.add(responses.POST, TOKEN_URL, json={"access_token": "a", "refresh_token": "r"},
                 match=[matchers.urlencoded_params_matcher(form),
                        matchers.header_matcher({"secret_key": "app-secret"})])
        assert send_request(requests.Session(), req)[0] == 200


GOOD_TOKENS = [
    ("expires_in a string", {"access_token": "a1", "refresh_token": "r1", "expires_in": "90000"},
     timedelta(hours=25)),
    ("expires_in a number", {"access_token": "a1", "refresh_token": "r1", "expires_in": 3600},
     timedelta(hours=1)),
    ("expires_in missing", {"access_token": "a1", "refresh_token": "r1"}, timedelta(hours=25)),
    ("expires_in not a number", {"access_token": "a1", "refresh_token": "r1", "expires_in": "soon"},
     timedelta(hours=25)),
]


@pytest.mark.parametrize("body, lifetime", [c[1:] for c in GOOD_TOKENS], ids=[c[0] for c in GOOD_TOKENS])
def test_read_tokens(body, lifetime):
    assert oauth.read_tokens(200, body, NOW) == oauth.TokenPair("a1", "r1", NOW + lifetime)


BAD_TOKENS = [
    ("HTTP 200 error body", {"error": -14014, "error_name": "Invalid refresh token",
                             "error_reason": "refresh token is used",
                             "ref_doc": "https://developers.zalo.me"}, "-14014"),
    ("error_description only", {"error": -14005, "error_description": "Invalid code"}, "Invalid code"),
    ("missing refresh_token", {"access_token": "a1", "expires_in": "90000"}, "no token"),
    ("empty access_token", {"access_token": "", "refresh_token": "r1", "expires_in": "90000"},
     "no token"),
    ("refresh_token null", {"access_token": "a1", "refresh_token": None}, "no token"),
    ("tokens not strings", {"access_token": 1, "refresh_token": ["r1"]}, "no token"),
    ("not a dict", ["access_token", "refresh_token"], "not a JSON object"),
    ("not JSON", None, "not a JSON object"),
]


@pytest.mark.parametrize("body, text", [c[1:] for c in BAD_TOKENS], ids=[c[0] for c in BAD_TOKENS])
def test_read_tokens_refuses(body, text):
    with pytest.raises(oauth.OAuthError, match=text):
        oauth.read_tokens(200, body, NOW)


# --- zns ------------------------------------------------------------------------------------------

TEMPLATES = [
    ("unset", None, {}),
    ("empty", "", {}),
    ("valid", '{"reminder": "7895417a7d3f9461cd2e", "result": "a1b2"}',
     {"reminder": "7895417a7d3f9461cd2e", "result": "a1b2"}),
]


@pytest.mark.parametrize("setting, expected", [c[1:] for c in TEMPLATES], ids=[c[0] for c in TEMPLATES])
def test_templates(setting, expected):
    assert zns.templates(setting) == expected


@pytest.mark.parametrize("setting", ["{reminder: 1}", '["7895417a7d3f9461cd2e"]', '{"reminder": 5}',
                                     '"7895417a"'],
                         ids=["not JSON", "a list", "a number as id", "a string"])
def test_templates_invalid(setting):
    with pytest.raises(ValueError):
        zns.templates(setting)


def test_template_request():
    req = zns.template_request("https://business.test/", "tok-1", "+84912345678",
                               "7895417a7d3f9461cd2e", {"name": "Nguyễn Văn An", "total": "91"},
                               "reminder-12-2026")
    assert (req.method, req.url) == ("POST", "https://business.test/message/template")
    assert req.headers["access_token"] == "tok-1"
    assert req.json == {"phone": "84912345678", "template_id": "7895417a7d3f9461cd2e",
                        "template_data": {"name": "Nguyễn Văn An", "total": "91"},
                        "tracking_id": "reminder-12-2026"}
