"""Signing in through WeCom (企业微信) and DingTalk (钉钉): each provider's OAuth2 web sign-in as
it publishes it, reduced to two questions — where to send the browser, and who came back.

WeCom (网页授权登录 / 扫码登录): the browser goes to the QR sign-in page (or, inside the WeCom app,
whose User-Agent says "wxwork", to the in-app authorize page that needs no scan) with appid = the
corp id, agentid, redirect_uri and state, and comes back with `?code&state`. The server takes an
app access token (GET /cgi-bin/gettoken?corpid&corpsecret), the person (GET
/cgi-bin/auth/getuserinfo?access_token&code → userid, and a user_ticket when the person agreed to
share their details), then their mobile (POST /cgi-bin/auth/getuserdetail {user_ticket}). It
answers HTTP 200 even when it refuses: the refusal is in `errcode` (40029: the code is invalid,
expired or used).

DingTalk (登录第三方网站): the browser goes to /oauth2/auth with client_id = the app key,
redirect_uri, response_type=code, scope=openid, state and prompt=consent, and comes back with
`?authCode&state`. The server exchanges the code (POST /v1.0/oauth2/userAccessToken {clientId,
clientSecret, code, grantType}) for a user access token and reads the person (GET
/v1.0/contact/users/me with the header x-acs-dingtalk-access-token → unionId, nick, mobile).
It refuses with HTTP 4xx and `{code, message}`.

Every address is a setting (config/settings.py, FUGONG_WECOM_* and FUGONG_DINGTALK_*), so an
intranet install can point at a government edition of either app or at a local proxy. No token
is kept between sign-ins: a sign-in is rare enough to fetch its own.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from fugong.accounts.models import Provider


class ProviderRefused(Exception):
    """The provider did not say who signed in; the text says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Person:
    """Who the provider says came back: its own id for them, their name and mobile ("" if none)."""

    subject: str
    name: str
    mobile: str


@dataclass(frozen=True)
class Config:
    provider: str
    client_id: str  # WeCom's corp id, DingTalk's app key
    secret: str
    agent_id: str  # WeCom's application id; DingTalk has none
    login_url: str
    in_app_url: str  # WeCom's in-app authorize page; DingTalk's sign-in page serves both
    api_url: str

    @property
    def label(self) -> str:
        return Provider(self.provider).label

    @property
    def begin_url(self) -> str:
        return reverse(f"sso_begin_{self.provider}")


def configured() -> list[Config]:
    """The providers this install has keys for, in the order the sign-in page shows them."""
    found = []
    if settings.FUGONG_WECOM_CORP_ID and settings.FUGONG_WECOM_SECRET:
        found.append(
            Config(
                Provider.WECOM,
                settings.FUGONG_WECOM_CORP_ID,
                settings.FUGONG_WECOM_SECRET,
                settings.FUGONG_WECOM_AGENT_ID,
                settings.FUGONG_WECOM_LOGIN_URL,
                settings.FUGONG_WECOM_OAUTH_URL,
                settings.FUGONG_WECOM_API_URL.rstrip("/"),
            )
        )
    if settings.FUGONG_DINGTALK_APP_KEY and settings.FUGONG_DINGTALK_APP_SECRET:
        found.append(
            Config(
                Provider.DINGTALK,
                settings.FUGONG_DINGTALK_APP_KEY,
                settings.FUGONG_DINGTALK_APP_SECRET,
                "",
                settings.FUGONG_DINGTALK_LOGIN_URL,
                settings.FUGONG_DINGTALK_LOGIN_URL,
                settings.FUGONG_DINGTALK_API_URL.rstrip("/"),
            )
        )
    return found


def config_of(provider: str) -> Config | None:
    return next((c for c in configured() if c.provider == provider), None)


def authorize_url(config: Config, redirect_uri: str, state: str, *, in_app: bool) -> str:
    if config.provider == Provider.WECOM:
        if in_app:
            query = {"appid": config.client_id, "redirect_uri": redirect_uri, "response_type": "code",
                     "scope": "snsapi_privateinfo", "state": state, "agentid": config.agent_id}  # fmt: skip
            return f"{config.in_app_url}?{urllib.parse.urlencode(query)}#wechat_redirect"
        query = {"login_type": "CorpApp", "appid": config.client_id, "agentid": config.agent_id,
                 "redirect_uri": redirect_uri, "state": state}  # fmt: skip
        return f"{config.login_url}?{urllib.parse.urlencode(query)}"
    query = {"redirect_uri": redirect_uri, "response_type": "code", "client_id": config.client_id,
             "scope": "openid", "state": state, "prompt": "consent"}  # fmt: skip
    return f"{config.login_url}?{urllib.parse.urlencode(query)}"


def code_of(provider: str, params: Any) -> str:
    """The one-time code the provider sent the browser back with ("" when the person declined)."""
    if provider == Provider.DINGTALK:
        return str(params.get("authCode") or params.get("code") or "")
    return str(params.get("code") or "")


def person(config: Config, code: str) -> Person:
    if config.provider == Provider.WECOM:
        return wecom_person(config, code)
    return dingtalk_person(config, code)


def wecom_person(config: Config, code: str) -> Person:
    query = urllib.parse.urlencode({"corpid": config.client_id, "corpsecret": config.secret})
    token = wecom_answer(call("GET", f"{config.api_url}/cgi-bin/gettoken?{query}"), "取得应用凭证")["access_token"]
    query = urllib.parse.urlencode({"access_token": token, "code": code})
    who = wecom_answer(call("GET", f"{config.api_url}/cgi-bin/auth/getuserinfo?{query}"), "确认登录人")
    if not who.get("userid"):  # an outsider (openid only) is no member of the corp
        raise ProviderRefused("企业微信确认您不是本单位成员，不能用企业微信登录；请使用手机号验证码登录")
    mobile, name = "", ""
    if who.get("user_ticket"):
        url = f"{config.api_url}/cgi-bin/auth/getuserdetail?{urllib.parse.urlencode({'access_token': token})}"
        detail = wecom_answer(call("POST", url, {"user_ticket": who["user_ticket"]}), "读取手机号")
        mobile, name = str(detail.get("mobile") or ""), str(detail.get("name") or "")
    return Person(str(who["userid"]), name, mobile)


def wecom_answer(answer: tuple[int, dict[str, Any]], step: str) -> dict[str, Any]:
    status, body = answer
    if status != 200:
        raise ProviderRefused(f"企业微信{step}失败（HTTP {status}），请稍后再试")
    if body.get("errcode", 0) != 0:
        if body.get("errcode") == 40029:
            raise ProviderRefused("企业微信登录码已失效（超时或已用过），请重新点击“企业微信登录”")
        raise ProviderRefused(f"企业微信{step}失败：errcode {body.get('errcode')} {body.get('errmsg', '')}".strip())
    return body


def dingtalk_person(config: Config, code: str) -> Person:
    payload = {"clientId": config.client_id, "clientSecret": config.secret, "code": code,
               "grantType": "authorization_code"}  # fmt: skip
    answer = call("POST", f"{config.api_url}/v1.0/oauth2/userAccessToken", payload)
    if answer[0] == 400:  # the code is the only thing the browser brought: it is invalid, expired or used
        raise ProviderRefused("钉钉登录码已失效（超时或已用过），请重新点击“钉钉登录”")
    token = dingtalk_answer(answer, "确认登录码")
    headers = {"x-acs-dingtalk-access-token": str(token.get("accessToken", ""))}
    me = dingtalk_answer(call("GET", f"{config.api_url}/v1.0/contact/users/me", headers=headers), "读取登录人")
    if not me.get("unionId"):
        raise ProviderRefused("钉钉没有给出登录人的身份，请重新点击“钉钉登录”")
    return Person(str(me["unionId"]), str(me.get("nick") or ""), str(me.get("mobile") or ""))


def dingtalk_answer(answer: tuple[int, dict[str, Any]], step: str) -> dict[str, Any]:
    status, body = answer
    if status != 200:
        said = f"：{body['message']}" if body.get("message") else ""
        raise ProviderRefused(f"钉钉{step}失败（HTTP {status}{said}），请稍后再试或使用手机号验证码登录")
    return body


def call(
    method: str, url: str, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """One JSON request to the provider: its status and JSON body (empty when not JSON)."""
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=data, method=method,
        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json", **(headers or {})},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=settings.FUGONG_WEBHOOK_TIMEOUT) as response:
            return response.status, parsed(response.read(65536))
    except urllib.error.HTTPError as exc:
        return exc.code, parsed(exc.read(65536))
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        raise ProviderRefused(f"无法连接登录服务（{getattr(exc, 'reason', exc)}），请稍后再试或使用手机号验证码登录") from exc


def parsed(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
