"""Signing in and out, the failed-login throttle (more in test_sign_in_throttle), passwords and API tokens."""

from __future__ import annotations

import json
import re

from django.test import Client

from fugong.accounts.models import ApiToken
from tests.conftest import PASSWORD, World


def test_a_user_signs_in_and_lands_on_home(world: World) -> None:
    client = Client()
    response = client.post("/login/", {"username": "changchun", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "长春市" in client.get("/").content.decode()


def test_a_wrong_password_says_so_and_how_many_tries_are_left(world: World) -> None:
    response = Client().post("/login/", {"username": "changchun", "password": "wrong"})
    assert response.status_code == 401
    assert "用户名或密码错误，请检查后重试（再失败4次需等待1分钟才能再试）" in response.content.decode()


def test_five_failures_make_the_account_wait_a_minute_even_for_the_right_password(world: World) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "changchun", "password": "wrong"})
    response = client.post("/login/", {"username": "changchun", "password": PASSWORD})
    assert response.status_code == 429
    assert re.search(r"账号“changchun”登录失败次数过多，请(1分钟|\d+秒)后再试", response.content.decode())
    api = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "changchun", "password": PASSWORD}),
        content_type="application/json",
    )
    assert api.status_code == 429 and 50 < api.json()["details"]["retry_after"] <= 60
    assert api["Retry-After"] == str(api.json()["details"]["retry_after"])


def test_logout_ends_the_session(world: World) -> None:
    client = world.client("changchun")
    assert client.post("/logout/").status_code == 302
    assert client.get("/enterprises/").status_code == 302


def test_a_password_change_takes_effect(world: World) -> None:
    client = world.client("leader")
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Jilin-2020-new", "new_password2": "Jilin-2020-new"},
    )
    assert response.status_code == 302
    assert Client().login(username="leader", password="Jilin-2020-new")


def test_a_token_is_issued_used_listed_and_revoked(world: World) -> None:
    client = Client()
    issued = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "changchun", "password": PASSWORD, "name": "市局对接"}),
        content_type="application/json",
    ).json()
    assert issued["token"].startswith("fg_")
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/v1/enterprises", headers=bearer).json()["count"] == 2
    tokens = client.get("/api/v1/auth/tokens", headers=bearer).json()
    assert [t["name"] for t in tokens["items"]] == ["市局对接"]
    assert client.delete(f"/api/v1/auth/tokens/{issued['id']}", headers=bearer).status_code == 204
    assert client.get("/api/v1/enterprises", headers=bearer).status_code == 401
    assert ApiToken.objects.get(pk=issued["id"]).key_hash != issued["token"]


def test_the_token_page_shows_a_new_token_once(world: World) -> None:
    client = world.client("jilin")
    first = client.post("/tokens/", {"name": "脚本"}).content.decode()
    assert "只显示这一次" in first
    again = client.get("/tokens/").content.decode()
    assert "只显示这一次" not in again and "脚本" in again


def test_a_token_without_a_purpose_is_refused(world: World) -> None:
    response = world.client("jilin").post("/tokens/", {"name": " "})
    assert response.status_code == 422
    assert "请填写令牌用途" in response.content.decode()


def test_wrong_credentials_for_a_token_get_401_json(world: World) -> None:
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "changchun", "password": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
