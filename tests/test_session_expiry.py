"""A form posted after the session expired is not lost: sign in again and it is back, unsent.

The session is expired for real: its row is deleted, as Django's clearsessions does.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.utils import timezone

from fugong.core.csrf import csrf_failure
from fugong.dispatch.models import Plan, Report
from tests.conftest import PASSWORD, World
from tests.support.forms import as_lists, submitted


@pytest.fixture
def today_plan(plan: Plan) -> Plan:
    plan.start_date = timezone.localdate() - datetime.timedelta(days=10)
    plan.report_on_rest_days = True
    plan.save()
    return plan


def signed_in(username: str) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def expire(client: Client) -> None:
    Session.objects.filter(session_key=client.cookies["sessionid"].value).delete()


def post_expired_and_sign_in(client: Client, url: str, typed: dict[str, Any], username: str) -> Any:
    """Posts `typed` on an expired session, signs in from the page it lands on, returns the form."""
    refused = client.post(url, typed)
    assert refused.status_code == 302 and refused["Location"].startswith("/login/")
    login_page = client.get(refused["Location"]).content.decode()
    assert "登录已过期，请重新登录后提交" in login_page
    back = client.post(
        refused["Location"], {**submitted(login_page), "username": username, "password": PASSWORD}
    )
    assert back.status_code == 302 and back["Location"] == url
    return client.get(url)


def test_the_report_typed_before_the_session_expired_is_back_after_signing_in_and_not_sent(
    world: World, today_plan: Plan
) -> None:
    e = world.enterprise("nanguan")
    url = f"/dispatch/e/{e.uscc}/report/"
    client = signed_in("reporter")
    typed = {
        **submitted(client.get(url).content),
        "resumed": "1",
        "resumed_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "baseline_headcount": "480",
        "reported_back": "300",
        "isolated": "20",
        "on_duty": "260",
        "capacity_pct": "55",
        "measures": ["temperature", "masks"],
        "problems": "缺口罩",
    }
    expire(client)
    form = post_expired_and_sign_in(client, url, typed, "reporter")
    page = form.content.decode()
    assert "已恢复您登录前填写的内容，尚未提交" in page
    shown, fresh = as_lists(submitted(page)), ("client_id", "csrfmiddlewaretoken")  # new for each page
    assert {k: shown[k] for k in typed if k not in fresh} == {k: as_lists(typed)[k] for k in typed if k not in fresh}
    assert not Report.objects.exists()  # restored, never submitted by itself
    assert client.post(url, submitted(page)).status_code == 302
    report = Report.objects.get()
    assert (report.on_duty, report.measures, report.problems) == (260, ["temperature", "masks"], "缺口罩")
    # once: reloading the form shows the saved report, not the kept fields again
    assert "已恢复您登录前填写的内容" not in client.get(url).content.decode()


def test_the_enterprise_form_typed_before_the_session_expired_is_back_after_signing_in(world: World) -> None:
    e = world.enterprise("nanguan")
    url = f"/enterprises/{e.uscc}/edit/"
    client = signed_in("changchun")
    typed = {**submitted(client.get(url).content), "contact_name": "王芳", "baseline_headcount": "500"}
    expire(client)
    page = post_expired_and_sign_in(client, url, typed, "changchun").content.decode()
    shown = submitted(page)
    assert (shown["contact_name"], shown["baseline_headcount"]) == ("王芳", "500")
    e.refresh_from_db()
    assert (e.contact_name, e.baseline_headcount) == ("", 480)


def test_the_plan_form_typed_before_the_session_expired_is_back_after_signing_in(world: World) -> None:
    client = signed_in("province")
    url = "/dispatch/plans/new/"
    typed = {**submitted(client.get(url).content), "title": "全省商贸企业日调度", "owner_region": "220000"}
    expire(client)
    page = post_expired_and_sign_in(client, url, typed, "province").content.decode()
    assert submitted(page)["title"] == "全省商贸企业日调度" and not Plan.objects.exists()


def test_a_kept_form_is_for_its_own_page_only(world: World, today_plan: Plan) -> None:
    e = world.enterprise("nanguan")
    client = signed_in("reporter")
    url = f"/dispatch/e/{e.uscc}/report/"
    typed = {**submitted(client.get(url).content), "problems": "缺口罩"}
    expire(client)
    refused = client.post(url, typed)
    client.post("/login/", {"username": "reporter", "password": PASSWORD})
    home = client.get(f"/dispatch/e/{e.uscc}/").content.decode()
    assert "已恢复" not in home
    assert refused.status_code == 302 and "缺口罩" in client.get(url).content.decode()


def test_a_report_refused_by_the_csrf_check_is_kept_and_shown_again_in_chinese(
    world: World, today_plan: Plan
) -> None:
    """The form was open in one tab while the clerk signed out and in again in another: its token
    is stale. The typed report comes back to be submitted again, with a Chinese explanation."""
    e = world.enterprise("nanguan")
    url = f"/dispatch/e/{e.uscc}/report/"
    client = Client(enforce_csrf_checks=True)
    login_page = client.get("/login/").content
    client.post("/login/", {**submitted(login_page), "username": "reporter", "password": PASSWORD})
    typed = {
        **submitted(client.get(url).content),
        "csrfmiddlewaretoken": "stale-token-from-an-old-page-0123456789abcdef0123456789abcdef01",
        "resumed": "1",
        "baseline_headcount": "480",
        "reported_back": "300",
        "isolated": "20",
        "on_duty": "260",
        "capacity_pct": "55",
        "problems": "缺口罩",
    }
    client.cookies["csrftoken"] = "a-different-cookie-0123456789abcdef0123456789abcdef0123456789ab"
    refused = client.post(url, typed)
    assert refused.status_code == 403
    assert "页面已过期（安全校验未通过），您填写的内容已保留" in refused.content.decode()
    assert f'href="{url}">返回原页面继续填写' in refused.content.decode()
    page = client.get(url).content.decode()
    assert "已恢复您登录前填写的内容，尚未提交" in page
    shown = submitted(page)
    assert (shown["on_duty"], shown["problems"]) == ("260", "缺口罩")
    assert not Report.objects.exists()
    assert client.post(url, shown).status_code == 302
    assert Report.objects.get().on_duty == 260


def test_a_page_refused_by_the_csrf_check_without_a_session_explains_in_chinese(db: Any) -> None:
    response = csrf_failure(RequestFactory().get("/"))
    assert response.status_code == 403 and "页面已过期或缺少安全校验" in response.content.decode()
