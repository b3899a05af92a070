"""A local stand-in for WeCom's and DingTalk's sign-in servers, on 127.0.0.1.

It answers the calls `fugong/accounts/sso_providers.py` makes, as the providers document them: WeCom's
gettoken, auth/getuserinfo and auth/getuserdetail (HTTP 200 with errcode; 40029 for a bad code),
DingTalk's oauth2/userAccessToken (HTTP 400 for a bad code) and contact/users/me. A test makes
a person sign in at the provider with `issue(person)`, which returns the one-time code the
browser would bring back; a code works once, and `expire(code)` ages it as a slow person would.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_server import serving

CORP_ID, CORP_SECRET, AGENT_ID = "ww-test-corp", "wecom-secret", "1000002"
APP_KEY, APP_SECRET = "ding-test-app", "ding-secret"


@dataclass(frozen=True)
class PersonAtProvider:
    subject: str  # WeCom userid / DingTalk unionId
    name: str
    mobile: str = ""
    member: bool = True  # WeCom: a member of the corp (an outsider gets only an openid)


@dataclass
class FakeProvider:
    port: int = 0
    codes: dict[str, PersonAtProvider] = field(default_factory=dict)
    tokens: dict[str, PersonAtProvider] = field(default_factory=dict)  # DingTalk's user tokens
    tickets: dict[str, PersonAtProvider] = field(default_factory=dict)  # WeCom's user tickets
    calls: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def issue(self, person: PersonAtProvider) -> str:
        code = secrets.token_hex(8)
        self.codes[code] = person
        return code

    def expire(self, code: str) -> None:
        self.codes.pop(code, None)

    def settings(self) -> dict[str, str]:
        """The settings that point an install at this provider."""
        return {
            "FUGONG_WECOM_CORP_ID": CORP_ID,
            "FUGONG_WECOM_AGENT_ID": AGENT_ID,
            "FUGONG_WECOM_SECRET": CORP_SECRET,
            "FUGONG_WECOM_LOGIN_URL": f"{self.url}/wwlogin/sso/login",
            "FUGONG_WECOM_OAUTH_URL": f"{self.url}/connect/oauth2/authorize",
            "FUGONG_WECOM_API_URL": self.url,
            "FUGONG_DINGTALK_APP_KEY": APP_KEY,
            "FUGONG_DINGTALK_APP_SECRET": APP_SECRET,
            "FUGONG_DINGTALK_LOGIN_URL": f"{self.url}/oauth2/auth",
            "FUGONG_DINGTALK_API_URL": self.url,
        }


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def route(self, method: str) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            body = json.loads(raw or b"{}")
            with lock:
                fake.calls.append(f"{method} {parts.path}")
                self.answer(*handle(fake, method, parts.path, query, body, self.headers))

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as port:
        fake.port = port
        yield fake


def handle(
    fake: FakeProvider, method: str, path: str, query: dict[str, str], body: dict[str, Any], headers: Any
) -> tuple[int, dict[str, Any]]:
    if path == "/cgi-bin/gettoken":
        if (query.get("corpid"), query.get("corpsecret")) != (CORP_ID, CORP_SECRET):
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": "wecom-app-token", "expires_in": 7200}
    if path == "/cgi-bin/auth/getuserinfo":
        person = fake.codes.pop(query.get("code", ""), None)
        if query.get("access_token") != "wecom-app-token":
            return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
        if person is None:
            return 200, {"errcode": 40029, "errmsg": "invalid code"}
        if not person.member:
            return 200, {"errcode": 0, "errmsg": "ok", "openid": "o-" + person.subject}
        ticket = secrets.token_hex(8)
        fake.tickets[ticket] = person
        return 200, {"errcode": 0, "errmsg": "ok", "userid": person.subject, "user_ticket": ticket}
    if path == "/cgi-bin/auth/getuserdetail" and method == "POST":
        person = fake.tickets.pop(body.get("user_ticket", ""), None)
        if person is None:
            return 200, {"errcode": 40129, "errmsg": "invalid user_ticket"}
        return 200, {"errcode": 0, "errmsg": "ok", "userid": person.subject, "name": person.name,
                     "mobile": person.mobile}  # fmt: skip
    if path == "/v1.0/oauth2/userAccessToken" and method == "POST":
        if (body.get("clientId"), body.get("clientSecret")) != (APP_KEY, APP_SECRET):
            return 401, {"code": "InvalidClient", "message": "client secret invalid"}
        person = fake.codes.pop(body.get("code", ""), None)
        if person is None or body.get("grantType") != "authorization_code":
            return 400, {"code": "invalidAuthCode", "message": "authCode is invalid or expired"}
        token = secrets.token_hex(8)
        fake.tokens[token] = person
        return 200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200, "corpId": "ding-corp"}
    if path == "/v1.0/contact/users/me":
        person = fake.tokens.get(headers.get("x-acs-dingtalk-access-token", ""))
        if person is None:
            return 401, {"code": "InvalidAuthentication", "message": "token invalid"}
        return 200, {"nick": person.name, "unionId": person.subject, "openId": "o-" + person.subject,
                     "mobile": person.mobile, "stateCode": "86"}  # fmt: skip
    return 404, {"code": "NotFound", "message": path}
