"""A fake Zalo for tests: the OA API, the OAuth token endpoint and ZNS, on 127.0.0.1.

It speaks the documented protocol (errors inside HTTP 200, `access_token` header,
single-use refresh tokens) and records every request, so a test can check what the
bot sent and how. It also sends signed webhook events to the app, as Zalo does.
"""

import itertools
import json
import random
import threading
import time
from urllib.parse import unquote

from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from werkzeug.wrappers import Request, Response

from webhooks.zalo.signature import sign

APP_ID, OA_ID, OA_SECRET, APP_SECRET = "4000000000000000001", "3000000000000000002", "oa-secret", "app-secret"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class FakeZalo:
    def __init__(self, refresh_delay: float = 0.0, faults: float = 0.0, stall: float = 1.0,
                 seed: int = 9, clock=time.time):
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.access, self.refresh = "access-0", "refresh-0"
        self.used_refresh: set[str] = set()
        self.cs: list[dict] = []           # every CS request: {"token", "json"}
        self.refresh_calls: list[dict] = []
        self.zns: list[dict] = []
        self.refresh_delay = refresh_delay
        # Fault injection: a `faults` share of CS calls fail, evenly among: a timeout before
        # Zalo takes the message (it stalls `stall` seconds, then drops it), a timeout
        # after it took it (delivered, then the answer stalls), HTTP 500, and error -32.
        self.faults, self.stall, self.random = faults, stall, random.Random(seed)
        self.clock = clock   # Zalo's clock, for the times in the conversation history
        self.delivered: list[dict] = []    # CS messages Zalo took: user, text, message_id, time
        self.injected: list[str] = []
        self.in_flight = 0                 # requests being answered now
        # wsgiref, not werkzeug's dev server: Zalo's header is `access_token`, and
        # werkzeug drops headers with underscores.
        self.server = make_server("127.0.0.1", 0, self.wsgi, server_class=_ThreadingServer,
                                  handler_class=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()

    def revoke_access(self) -> None:
        """Zalo invalidates the access token (the next CS call answers -216)."""
        with self.lock:
            self.access = "revoked-" + self.access

    # -- the API --------------------------------------------------------------
    def wsgi(self, environ, start_response):
        with self.lock:
            self.in_flight += 1
        try:
            return self._answer(environ, start_response)
        finally:
            with self.lock:
                self.in_flight -= 1

    def wait_idle(self, seconds: float = 10.0) -> None:
        """Until no request is being answered: one the client gave up on may still be
        about to record its message (a test that reads the history next must wait)."""
        deadline = time.monotonic() + seconds
        while self.in_flight:
            assert time.monotonic() < deadline, "the fake Zalo is still answering"
            time.sleep(0.01)

    def _answer(self, environ, start_response):
        request = Request(environ)
        if request.path == "/v2.0/oa/conversation" and request.method == "GET":
            body = self._conversation(request)
        else:
            handler = {"/v3.0/oa/message/cs": self._cs, "/v4/oa/access_token": self._token,
                       "/message/template": self._zns}.get(request.path)
            body = handler(request) if handler and request.method == "POST" else {"error": 404}
        if body == "HTTP 500":
            return Response("Internal Server Error", status=500)(environ, start_response)
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def _fault(self) -> str | None:
        with self.lock:
            if self.faults and self.random.random() < self.faults:
                kind = self.random.choice(["timeout-before", "timeout-after", "500", "-32"])
                self.injected.append(kind)
                return kind
        return None

    def _conversation(self, request):
        """The latest messages with a user, newest first, at most 10 (OA's own: src 0)."""
        try:
            query = json.loads(unquote(request.args.get("data", "")))
        except ValueError:
            return {"error": -201, "message": "data is invalid"}
        if request.headers.get("access_token") != self.access:
            return {"error": -216, "message": "Access token is invalid"}
        user, count = query.get("user_id"), min(int(query.get("count", 10)), 10)
        with self.lock:
            mine = [m for m in self.delivered if m["user"] == user][::-1][:count]
        return {"error": 0, "message": "Success", "data": [
            {"src": 0, "time": m["time"], "type": "text", "message": m["text"],
             "message_id": m["message_id"], "from_id": OA_ID, "to_id": user} for m in mine]}

    def _cs(self, request):
        payload = request.get_json(silent=True) or {}
        token = request.headers.get("access_token")
        with self.lock:
            self.cs.append({"token": token, "json": payload})
            if token != self.access:
                return {"error": -216, "message": "Access token is invalid"}
        text = (payload.get("message") or {}).get("text")
        user = (payload.get("recipient") or {}).get("user_id")
        if not isinstance(text, str) or not text or len(text) > 2000 or not isinstance(user, str):
            return {"error": -201, "message": "message is invalid"}
        fault = self._fault()
        if fault == "timeout-before":
            time.sleep(self.stall)
            return {"error": -1, "message": "the client gave up long ago"}
        if fault == "500":
            return "HTTP 500"
        if fault == "-32":
            return {"error": -32, "message": "Your OA reached limit call api"}
        message_id = f"zmsg-{next(self.counter)}"
        with self.lock:
            self.delivered.append({"user": user, "text": text, "message_id": message_id,
                                   "time": int(self.clock() * 1000)})
        if fault == "timeout-after":
            time.sleep(self.stall)
        return {"error": 0, "message": "Success", "data": {"message_id": message_id, "user_id": user}}

    def _token(self, request):
        form = request.form.to_dict()
        time.sleep(self.refresh_delay)
        with self.lock:
            self.refresh_calls.append({"secret_key": request.headers.get("secret_key"), **form})
            if (form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh
                    or request.headers.get("secret_key") != APP_SECRET):
                return {"error": -14014, "error_name": "invalid_grant",
                        "error_reason": "Invalid refresh token."}
            n = next(self.counter)
            self.used_refresh.add(self.refresh)
            self.access, self.refresh = f"access-{n}", f"refresh-{n}"
            return {"access_token": self.access, "refresh_token": self.refresh, "expires_in": "90000"}

    def _zns(self, request):
        with self.lock:
            self.zns.append({"token": request.headers.get("access_token"), "json": request.get_json()})
        return {"error": 0, "message": "Success", "data": {"msg_id": f"zns-{next(self.counter)}"}}

    # -- webhooks, the way Zalo sends them -----------------------------------------
    @staticmethod
    def event(event_name: str, user: str, text: str | None = None, msg_id: str | None = None,
              **extra) -> dict:
        stamp = str(int(time.time() * 1000))
        if event_name in ("follow", "unfollow"):
            return {"oa_id": OA_ID, "follower": {"id": user}, "event_name": event_name,
                    "app_id": APP_ID, "timestamp": stamp, **extra}
        return {"app_id": APP_ID, "sender": {"id": user}, "recipient": {"id": OA_ID},
                "event_name": event_name, "timestamp": stamp,
                "message": {"text": text or "", "msg_id": msg_id or f"msg-{time.time_ns()}"}, **extra}

    @staticmethod
    def deliver(app_url: str, body: dict, secret: str = OA_SECRET, retry: int | None = None):
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   "X-ZEvent-Signature": sign(raw, body["timestamp"], APP_ID, secret)}
        if retry:
            headers["num_retry"] = str(retry)
        return requests.post(f"{app_url}/webhooks/zalo", data=raw, headers=headers, timeout=10)


def zalo_settings(fake: FakeZalo) -> dict:
    return {"zalo_app_id": APP_ID, "zalo_oa_id": OA_ID, "zalo_oa_secret": OA_SECRET,
            "zalo_app_secret": APP_SECRET, "zalo_openapi_url": fake.url,
            "zalo_oauth_url": fake.url, "zalo_business_url": fake.url}
