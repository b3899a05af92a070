"""Everything a user can see is Chinese — Django's own words too — and English stays available."""

from __future__ import annotations

from django.template.loader import get_template
from django.test import Client, RequestFactory

from fugong.accounts.actions import do_create_token
from fugong.accounts.models import User
from fugong.core.middleware import server_error
from fugong.core.models import Channel
from fugong.notify.models import Notification
from tests.conftest import PASSWORD, World


def short_password(client: Client, **headers: str) -> str:
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "q1", "new_password2": "q1"},
        headers=headers,
    )
    assert response.status_code == 400
    return response.content.decode()


def test_the_password_rules_and_their_refusals_are_in_chinese(world: World) -> None:
    text = short_password(world.client("changchun"))
    assert "密码太短，至少需要 8 个字符。" in text  # missing from Django's own catalogue: locale/
    assert "你的密码必须包含至少" in text or "密码必须包含至少" in text  # the rules, shown before one types
    assert "This password" not in text and "Your password" not in text


def test_a_foreign_invested_firm_can_read_them_in_english(world: World) -> None:
    text = short_password(world.client("changchun"), accept_language="en")
    assert "This password is too short. It must contain at least 8 characters." in text


def test_the_admin_speaks_chinese_with_its_own_headers(world: World) -> None:
    User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    client = world.client("admin")
    index = client.get("/admin/").content.decode()
    assert "复工通管理后台" in index and "数据与账号管理" in index
    assert "Django administration" not in index and "Site administration" not in index
    assert "用户与权限" in index and "操作记录" in index
    users = client.get("/admin/accounts/user/").content.decode()
    for column in ("用户名", "姓名", "手机号", "有效"):
        assert column in users, column
    do_create_token(world.user("changchun"), "市局对接", channel=Channel.WEB)  # an empty list has no columns
    tokens = client.get("/admin/accounts/apitoken/").content.decode()
    for column in ("用户", "用途", "前缀", "创建时间", "最近使用", "吊销时间"):
        assert column in tokens, column
    Notification.objects.create(user=world.user("changchun"), title="请于16时前报送")
    notices = client.get("/admin/notify/notification/").content.decode()
    for column in ("发送时间", "收件人", "类别", "标题", "已读时间"):
        assert column in notices, column
    added = client.post(
        "/admin/accounts/user/add/",
        {"username": "x", "password1": "1", "password2": "2", "usable_password": "true"},
    )
    assert "错误：" in added.content.decode() and "Error:" not in added.content.decode()


def test_an_unknown_address_gets_a_chinese_404_page_with_the_way_home(world: World) -> None:
    response = world.client("changchun").get("/no-such-page/")
    text = response.content.decode()
    assert response.status_code == 404
    assert "找不到页面" in text and "返回首页" in text and "/no-such-page/" in text
    assert 'class="topbar"' in text  # the site's look, with its navigation
    assert "Not Found" not in text


def test_the_500_page_is_chinese_and_renders_with_no_request_and_no_database() -> None:
    text = get_template("500.html").render()  # what Django does: no context, no request
    assert "系统出错" in text and "返回首页" in text and 'href="/"' in text
    response = server_error(RequestFactory().get("/dispatch/board/"))
    assert response.status_code == 500 and "系统出错" in response.content.decode()


def test_browsers_get_a_favicon_at_the_usual_address_and_from_every_page(world: World) -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("fugong/favicon.svg")
    icon = Client().get(response["Location"])
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]
    page = Client().get("/login/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page


def test_django_is_set_up_for_chinese_first_and_english_as_well() -> None:
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "zh-hans" and settings.USE_I18N
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    middleware = settings.MIDDLEWARE
    locale = middleware.index("django.middleware.locale.LocaleMiddleware")
    assert middleware.index("django.contrib.sessions.middleware.SessionMiddleware") < locale
    assert locale < middleware.index("django.middleware.common.CommonMiddleware")
