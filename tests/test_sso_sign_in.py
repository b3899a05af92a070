"""Officials sign in through WeCom and DingTalk (issue 14 §2), against a local fake provider: the
provider's person is linked to the account with their mobile number at the first sign-in, and
nothing — a forged state, a declined consent, a stale code, an unknown person — signs anyone in."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from fugong.accounts.models import ExternalIdentity, Membership, User
from fugong.core.access import Role
from fugong.core.models import AuditEvent
from tests.support.fake_oauth import FakeProvider, PersonAtProvider, fake_provider

PROVIDERS = ["wecom", "dingtalk"]
ZHANG = PersonAtProvider("zhangsan", "张三", "13900001111")


@pytest.fixture
def provider(settings: Any) -> Iterator[FakeProvider]:
    with fake_provider() as fake:
        for name, value in fake.settings().items():
            setattr(settings, name, value)
        yield fake


@pytest.fixture
def official(db: Any) -> User:
    user = User.objects.create_user("cc-dispatcher-zhang", password="x-unused-123", display_name="张三", phone="13900001111")
    Membership.objects.create(user=user, role=Role.DISPATCHER, region_id="220100")
    return user


def start(client: Client, provider: str, query: str = "", **headers: str) -> dict[str, list[str]]:
    """Clicks the provider's button; returns the query the browser takes to the provider."""
    response = client.get(f"/sso/{provider}/{query}", headers=headers)
    assert response.status_code == 302
    return urllib.parse.parse_qs(urllib.parse.urlsplit(response["Location"]).query)


def come_back(client: Client, provider: str, state: str, code: str | None) -> Any:
    params = {"state": state}
    if code is not None:
        params["authCode" if provider == "dingtalk" else "code"] = code
    return client.get(f"/sso/{provider}/callback/?{urllib.parse.urlencode(params)}")


def signed_in_as(client: Client) -> str | None:
    response = client.get("/tokens/")
    return response.context["user"].username if response.status_code == 200 else None


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_first_sign_in_links_by_mobile_and_later_ones_by_the_providers_id(
    name: str, provider: FakeProvider, official: User, client: Client
) -> None:
    sent = start(client, name, "?next=/problems/")
    assert sent["redirect_uri"] == [f"http://testserver/sso/{name}/callback/"]
    response = come_back(client, name, sent["state"][0], provider.issue(ZHANG))
    assert response.status_code == 302 and response["Location"] == "/problems/"
    assert signed_in_as(client) == official.username
    identity = ExternalIdentity.objects.get(provider=name)
    assert (identity.subject, identity.user, identity.name) == ("zhangsan", official, "张三")
    assert AuditEvent.objects.filter(action="sso.link", actor=official).count() == 1

    # the number changed at the provider: the link holds, nothing more is linked or recorded
    other = Client()
    sent = start(other, name)
    changed = PersonAtProvider("zhangsan", "张三", "13700002222")
    assert come_back(other, name, sent["state"][0], provider.issue(changed)).status_code == 302
    assert signed_in_as(other) == official.username
    assert ExternalIdentity.objects.count() == 1 and AuditEvent.objects.filter(action="sso.link").count() == 1


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_state_not_started_here_is_refused_before_the_code_is_spent(
    name: str, provider: FakeProvider, official: User, client: Client
) -> None:
    start(client, name)
    code = provider.issue(ZHANG)
    response = come_back(client, name, "forged-state", code)
    assert response.status_code == 401
    assert "不是从本站发起的" in response.content.decode()
    assert provider.calls == [] and code in provider.codes  # the provider was not even asked
    assert signed_in_as(client) is None


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_state_is_good_for_one_return(name: str, provider: FakeProvider, official: User, client: Client) -> None:
    state = start(client, name)["state"][0]
    assert come_back(client, name, state, provider.issue(ZHANG)).status_code == 302
    client.post("/logout/")
    assert come_back(client, name, state, provider.issue(ZHANG)).status_code == 401


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_declined_consent_signs_nobody_in_and_says_so(
    name: str, provider: FakeProvider, official: User, client: Client
) -> None:
    response = come_back(client, name, start(client, name)["state"][0], None)
    assert response.status_code == 401 and "没有同意" in response.content.decode()
    assert signed_in_as(client) is None


@pytest.mark.parametrize("name", PROVIDERS)
def test_an_expired_code_is_refused_with_what_to_do(
    name: str, provider: FakeProvider, official: User, client: Client
) -> None:
    code = provider.issue(ZHANG)
    provider.expire(code)
    response = come_back(client, name, start(client, name)["state"][0], code)
    assert response.status_code == 401
    assert "登录码已失效" in response.content.decode() and "重新点击" in response.content.decode()
    assert signed_in_as(client) is None


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_person_nobody_enrolled_gets_no_account_and_is_told_whom_to_ask(
    name: str, provider: FakeProvider, official: User, client: Client
) -> None:
    stranger = PersonAtProvider("lisi", "李四", "13600003333")
    response = come_back(client, name, start(client, name)["state"][0], provider.issue(stranger))
    assert response.status_code == 401
    text = response.content.decode()
    assert "还没有对应的复工通账号" in text and "136****3333" in text and "本级调度员" in text
    assert not User.objects.filter(phone="13600003333").exists() and not ExternalIdentity.objects.exists()


def test_a_wecom_outsider_is_no_member_of_the_corp(provider: FakeProvider, official: User, client: Client) -> None:
    outsider = PersonAtProvider("zhangsan", "张三", "13900001111", member=False)
    response = come_back(client, "wecom", start(client, "wecom")["state"][0], provider.issue(outsider))
    assert response.status_code == 401 and "不是本单位成员" in response.content.decode()


def test_a_disabled_account_does_not_sign_in_through_an_app(
    provider: FakeProvider, official: User, client: Client
) -> None:
    assert come_back(client, "dingtalk", start(client, "dingtalk")["state"][0], provider.issue(ZHANG)).status_code == 302
    official.is_active = False
    official.save()
    other = Client()
    response = come_back(other, "dingtalk", start(other, "dingtalk")["state"][0], provider.issue(ZHANG))
    assert response.status_code == 401 and "已停用" in response.content.decode()


def test_inside_the_wecom_app_the_browser_goes_to_the_in_app_page_without_a_scan(
    provider: FakeProvider, client: Client, db: Any
) -> None:
    response = client.get("/sso/wecom/", headers={"User-Agent": "Mozilla/5.0 wxwork/4.1.0 MicroMessenger/7.0.1"})
    assert response["Location"].startswith(f"{provider.url}/connect/oauth2/authorize?")
    assert response["Location"].endswith("#wechat_redirect")
    assert client.get("/sso/wecom/")["Location"].startswith(f"{provider.url}/wwlogin/sso/login?")


def test_an_outside_next_address_is_not_followed(provider: FakeProvider, official: User, client: Client) -> None:
    sent = start(client, "wecom", "?next=https://evil.example/")
    response = come_back(client, "wecom", sent["state"][0], provider.issue(ZHANG))
    assert response.status_code == 302 and response["Location"] == "/"


def test_without_keys_no_provider_is_offered(db: Any, client: Client, settings: Any) -> None:
    settings.FUGONG_WECOM_CORP_ID = settings.FUGONG_DINGTALK_APP_KEY = ""
    assert client.get("/sso/wecom/").status_code == 404
    assert "企业微信登录" not in client.get("/login/").content.decode()


def test_the_sign_in_page_offers_the_configured_providers(provider: FakeProvider, client: Client, db: Any) -> None:
    page = client.get("/login/?next=/problems/").content.decode()
    assert 'href="/sso/wecom/?next=/problems/"' in page and "企业微信登录" in page and "钉钉登录" in page
