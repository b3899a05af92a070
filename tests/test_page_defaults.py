"""The figures pages open with sensible defaults, and a parameter that cannot be used is said.

One rule (fugong/dispatch/defaults.py) for the board, dashboard, brief, the downloads and the
import page: today, the user's own region, the plan they see most (or last chose).
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from fugong.dispatch.models import Plan
from tests.conftest import World

PAGES = ["/dispatch/board/", "/dispatch/dashboard/", "/dispatch/brief/", "/dispatch/import/"]
DOWNLOADS = ["/dispatch/brief.docx", "/dispatch/export.xlsx", "/dispatch/template.xlsx"]
BAD = [
    "",
    "?plan=abc",
    "?plan=999999",
    "?plan=99999999999999999999999",
    "?date=2020-13-45",
    "?date=1900-01-01",
    "?date=%E6%98%8E%E5%A4%A9",
    "?region=999999",
    "?region=220200",
    "?plan=&date=&region=",
]


def city_plan(world: World) -> Plan:
    """A 长春市 plan covering all of the city's firms (three in the fixtures)."""
    return Plan.objects.create(
        title="长春市规上企业复工日调度", owner_region_id="220100", start_date=datetime.date(2020, 2, 1)
    )


def page(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url, follow=True)
    return response.status_code, response.content.decode() if "html" in response["Content-Type"] else ""


def test_the_brief_opened_with_no_parameters_shows_today_for_the_users_own_region(
    world: World, plan: Plan
) -> None:
    status, html = page(world.client("changchun"), "/dispatch/brief/")
    assert status == 200
    today = timezone.localdate()
    assert f"长春市 · {today:%Y}年{today.month}月{today.day}日" in html
    assert plan.title in html and "参数" not in html


@pytest.mark.parametrize("url", PAGES)
def test_each_page_opens_on_the_plan_with_the_most_enterprises_in_the_users_scope(
    world: World, plan: Plan, url: str
) -> None:
    Plan.objects.filter(pk=plan.pk).update(selector={"enterprises": [world.enterprise("nanguan").uscc]})
    mine = city_plan(world)  # created later, but it covers three of the city's firms, not one
    response = world.client("changchun").get(url)
    assert response.status_code == 200
    assert response.context["plan"] == mine


def test_the_plan_last_chosen_is_where_the_next_page_opens(world: World, plan: Plan) -> None:
    Plan.objects.filter(pk=plan.pk).update(selector={"enterprises": [world.enterprise("nanguan").uscc]})
    mine = city_plan(world)
    client = world.client("changchun")
    assert client.get("/dispatch/board/").context["plan"] == mine
    client.get(f"/dispatch/dashboard/?plan={plan.pk}")
    assert client.get("/dispatch/brief/").context["choice"].plan == plan
    assert client.get("/dispatch/board/").context["plan"] == plan


def test_a_plan_out_of_scope_or_garbage_opens_the_default_and_says_so(world: World, plan: Plan) -> None:
    theirs = Plan.objects.create(
        title="吉林市重点企业日调度", owner_region_id="220200", start_date=datetime.date(2020, 2, 1)
    )
    client = world.client("changchun")
    for asked in (str(theirs.pk), "abc"):
        status, html = page(client, f"/dispatch/brief/?plan={asked}")
        assert status == 200
        assert f"没有编号为“{asked}”的进行中调度任务，或不在您的管辖范围内，已显示“{plan.title}”" in html
        assert "吉林市重点企业日调度" not in html


def test_a_bad_date_shows_today_and_says_which_date_was_not_understood(world: World, plan: Plan) -> None:
    status, html = page(world.client("province"), "/dispatch/board/?date=2020-13-45")
    assert status == 200
    assert "日期“2020-13-45”无法识别" in html and "已显示今天" in html
    today = timezone.localdate()
    assert f"{today.month}月{today.day}日填报情况" in html


def test_a_day_to_come_shows_today_and_says_it_has_no_figures_yet(world: World, plan: Plan) -> None:
    today = timezone.localdate()
    later = today + datetime.timedelta(days=3)
    status, html = page(world.client("province"), f"/dispatch/brief/?date={later.isoformat()}")
    assert status == 200
    assert f"{later.month}月{later.day}日还没有到，尚无数据，已显示今天" in html
    assert f"{later.year}年{later.month}月{later.day}日" not in html


def test_a_region_outside_the_users_scope_shows_their_own_and_says_so(world: World, plan: Plan) -> None:
    status, html = page(world.client("changchun"), "/dispatch/dashboard/?region=220200")
    assert status == 200
    assert "区划“220200”：对象不存在，或不在您的管辖范围内，已显示长春市" in html
    status, html = page(world.client("changchun"), "/dispatch/dashboard/?region=220000")
    assert status == 200
    assert "区划“220000”：“吉林省”不完全在您的管辖范围内，请选择您负责的区划或其下级，已显示长春市" in html


def test_a_download_with_a_bad_parameter_goes_to_its_page_instead_of_sending_another_file(
    world: World, plan: Plan
) -> None:
    client = world.client("changchun")
    response = client.get("/dispatch/brief.docx?plan=abc")
    assert response.status_code == 302
    assert response["Location"].startswith("/dispatch/brief/?")
    _status, html = page(client, response["Location"])
    assert "没有编号为“abc”" in html
    response = client.get("/dispatch/template.xlsx?date=yesterday")
    assert response.status_code == 302 and response["Location"].startswith("/dispatch/import/?")


@pytest.mark.parametrize("url", DOWNLOADS)
def test_a_download_with_no_parameters_is_todays_file_for_the_users_region(
    world: World, plan: Plan, url: str
) -> None:
    response = world.client("changchun").get(url)
    assert response.status_code == 200
    assert "长春市" in response["Content-Disposition"] or "%E9%95%BF%E6%98%A5" in response["Content-Disposition"]
    assert str(timezone.localdate()) in response["Content-Disposition"]


@pytest.mark.parametrize("persona", ["province", "changchun", "jilin", "leader", "admin"])
@pytest.mark.parametrize("query", BAD)
def test_no_page_answers_an_error_for_missing_or_bad_parameters(
    world: World, plan: Plan, persona: str, query: str
) -> None:
    client = world.client(persona)
    for url in PAGES + DOWNLOADS:
        if persona == "leader" and ("import" in url or "template" in url):
            continue  # a leader reports for no one (403 with its reason; not in their navigation)
        response = client.get(url + query, follow=True)
        assert response.status_code == 200, (url + query, response.status_code)


@pytest.mark.parametrize("persona", ["liaison", "reporter", "handler", "outsider"])
def test_people_without_a_region_are_told_where_to_look_instead(world: World, plan: Plan, persona: str) -> None:
    client = world.client(persona)
    for url in ["/dispatch/board/", "/dispatch/dashboard/", "/dispatch/brief/"]:
        status, html = page(client, url + "?plan=abc&date=x")
        assert status == 200, (url, status)
        if persona in ("liaison", "reporter"):
            assert "您负责的是具体企业" in html, url


def test_with_no_plan_at_all_the_pages_say_so(world: World) -> None:
    client = world.client("province")
    for url in ["/dispatch/board/", "/dispatch/dashboard/", "/dispatch/brief/"]:
        status, html = page(client, url)
        assert status == 200 and "没有可查看的调度任务" in html, url
    status, html = page(client, "/dispatch/brief.docx")
    assert status == 200 and "没有可查看的调度任务" in html


GARBAGE = [
    "",
    "?date=x&start=x&end=x",
    "?date=9999-99-99&start=2020-02-30&end=0",
    "?page=abc",
    "?page=99999999999999999999999",
    "?region=x&plan=x&status=x&category=x&enterprise=x&topic=x&unread=x",
    "?q=%E2%80%AE&sector=x&tier=x&above_scale=x",
]
LIST_PAGES = [
    "/",
    "/problems/",
    "/problems/new/",
    "/problems/scorecard/",
    "/enterprises/",
    "/enterprises/new/",
    "/enterprises/import/",
    "/dispatch/plans/",
    "/dispatch/plans/new/",
    "/notifications/",
    "/notifications/settings/",
    "/tokens/",
    "/password/",
]


@pytest.mark.parametrize("persona", ["province", "changchun", "leader", "liaison", "reporter", "handler", "admin"])
def test_no_page_answers_a_server_error_for_garbage_parameters_and_a_refusal_says_why(
    world: World, plan: Plan, persona: str
) -> None:
    client = world.client(persona)
    failing = {}
    for url in LIST_PAGES:
        for query in GARBAGE:
            response = client.get(url + query, follow=True)
            # a hand-made filter or object may be refused (422/404/403), but with a Chinese message
            body = response.content.decode()
            explained = response.status_code < 400 or ('class="error"' in body and "返回首页" in body)
            if response.status_code >= 500 or not explained:
                failing[url + query] = response.status_code
    assert failing == {}


def test_the_scorecard_with_bad_dates_shows_this_month_and_says_so(world: World) -> None:
    status, html = page(world.client("changchun"), "/problems/scorecard/?start=2020-02-30&end=abc")
    assert status == 200
    assert "日期“abc”无法识别" in html and "已显示今天" in html
    assert "日期“2020-02-30”无法识别" in html and "已显示当月1日起" in html
