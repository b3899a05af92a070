"""A write based on an older version than the stored one is refused with both values shown.

Two tabs (two GETs, then two POSTs) on the report form, the on-behalf form, the enterprise
form and the plan form, and two API clients on POST /reports and PATCH /enterprises/{uscc}.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from fugong.dispatch.models import Plan, Report
from tests.conftest import World
from tests.support.forms import submitted


@pytest.fixture
def today_plan(plan: Plan) -> Plan:
    plan.start_date = timezone.localdate() - datetime.timedelta(days=10)
    plan.report_on_rest_days = True
    plan.save()
    return plan


def figures(**overrides: Any) -> dict[str, Any]:
    return {
        "resumed": "1",
        "baseline_headcount": "480",
        "reported_back": "300",
        "isolated": "20",
        "on_duty": "70",
        "capacity_pct": "55",
        "measures": ["temperature"],
        **overrides,
    }


def report_url(world: World, key: str = "nanguan") -> str:
    return f"/dispatch/e/{world.enterprise(key).uscc}/report/"


@pytest.mark.parametrize(("who", "key"), [("reporter", "nanguan"), ("changchun", "nanguan")])
def test_a_second_tab_opened_earlier_does_not_undo_the_first_tabs_change(
    world: World, today_plan: Plan, who: str, key: str
) -> None:
    client = world.client(who)
    url = report_url(world, key)
    assert client.post(url, {**submitted(client.get(url).content), **figures()}).status_code == 302
    first_tab = submitted(client.get(url).content)
    second_tab = submitted(client.get(url).content)
    assert client.post(url, {**first_tab, "on_duty": "73"}).status_code == 302
    refused = client.post(url, {**second_tab, "capacity_pct": "60"})
    page = refused.content.decode()
    assert refused.status_code == 409
    clock = f"{timezone.localtime(Report.objects.get().updated_at):%H:%M}"
    assert f"该日报已于 {clock} 被 {who}（网页） 修改为 实际到岗 73，请核对后再提交" in page
    # both values side by side: what this tab typed (70) and what is stored (73)
    assert "<th>实际到岗</th><td>70</td><td>73</td>" in page
    assert "<th>实际产能恢复比例</th><td>60</td><td>55</td>" in page
    assert (Report.objects.get().on_duty, Report.objects.get().capacity_pct) == (73, 55)
    # resubmitting what the page shows is a knowing choice: based on the stored revision now
    again = submitted(refused.content)
    assert (again["on_duty"], again["capacity_pct"], again["base_revision"]) == ("70", "60", "2")
    assert client.post(url, again).status_code == 302
    report = Report.objects.get()
    assert (report.on_duty, report.capacity_pct, report.revision_count) == (70, 60, 3)


def test_two_tabs_filling_a_new_day_do_not_overwrite_each_other(world: World, today_plan: Plan) -> None:
    client = world.client("reporter")
    url = report_url(world)
    first_tab, second_tab = submitted(client.get(url).content), submitted(client.get(url).content)
    assert first_tab["base_revision"] == "0"
    assert client.post(url, {**first_tab, **figures(on_duty="73")}).status_code == 302
    refused = client.post(url, {**second_tab, **figures()})
    assert refused.status_code == 409 and "报送 " in refused.content.decode()
    assert "实际到岗 73" in refused.content.decode() and Report.objects.get().on_duty == 73


def test_the_one_tap_button_is_refused_when_another_tab_reported_meanwhile(
    world: World, today_plan: Plan
) -> None:
    client = world.client("reporter")
    e = world.enterprise("nanguan")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    client.post(f"{report_url(world)}?date={yesterday}", {"date": yesterday.isoformat(), **figures()})
    home = client.get(f"/dispatch/e/{e.uscc}/").content
    one_tap = submitted(home, action=report_url(world))
    assert one_tap.get("same_as_last") == "1" and one_tap["base_revision"] == "0"
    other_tab = submitted(client.get(report_url(world)).content)
    assert client.post(report_url(world), {**other_tab, **figures(on_duty="73")}).status_code == 302
    refused = client.post(report_url(world), one_tap)
    assert refused.status_code == 409 and Report.objects.get(date=timezone.localdate()).on_duty == 73


def api_post(client: Any, payload: dict[str, Any]) -> Any:
    return client.post("/api/v1/reports", payload, content_type="application/json")


def api_payload(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "enterprise": world.enterprise("nanguan").uscc,
        "date": timezone.localdate().isoformat(),
        "resumed": True,
        "reported_back": 300,
        "isolated": 20,
        "on_duty": 70,
        "capacity_pct": 55,
        **overrides,
    }


def test_the_api_refuses_a_stale_base_revision_with_the_stored_values(world: World, today_plan: Plan) -> None:
    one, two = world.client("reporter"), world.client("reporter")  # two tabs, two scripts
    created = api_post(one, api_payload(world, base_revision=0))
    assert created.status_code == 201 and created.json()["revision"] == 1
    assert api_post(one, api_payload(world, on_duty=73, base_revision=1)).status_code == 200
    refused = api_post(two, api_payload(world, capacity_pct=60, base_revision=1))
    body = refused.json()
    assert refused.status_code == 409 and body["code"] == "stale_revision"
    assert body["details"]["current"]["on_duty"] == 73 and body["details"]["revision"] == 2
    assert body["details"]["changed"] == ["on_duty"]
    assert "被 reporter（接口） 修改为 实际到岗 73，请核对后再提交" in body["message"]
    assert api_post(two, api_payload(world, capacity_pct=60, base_revision=2)).status_code == 200
    assert Report.objects.get().revision_count == 3


def test_the_api_without_base_revision_keeps_last_write_wins(world: World, today_plan: Plan) -> None:
    client = world.client("reporter")
    assert api_post(client, api_payload(world)).status_code == 201
    assert api_post(client, api_payload(world, on_duty=73)).status_code == 200
    assert api_post(client, api_payload(world, on_duty=75)).status_code == 200
    assert Report.objects.get().on_duty == 75


def test_a_client_id_retry_answers_with_its_report_even_when_its_base_is_stale_by_now(
    world: World, today_plan: Plan
) -> None:
    client = world.client("reporter")
    assert api_post(client, api_payload(world, base_revision=0)).status_code == 201
    accepted = api_post(client, api_payload(world, on_duty=73, base_revision=1, client_id="c-73"))
    assert accepted.status_code == 200
    assert api_post(client, api_payload(world, on_duty=75, base_revision=2)).status_code == 200
    retry = api_post(client, api_payload(world, on_duty=73, base_revision=1, client_id="c-73"))
    assert retry.status_code == 200 and retry.json()["id"] == accepted.json()["id"]
    assert Report.objects.get().on_duty == 75  # the retry changed nothing


def test_the_enterprise_form_refuses_a_stale_save_with_both_values(world: World) -> None:
    e = world.enterprise("nanguan")
    client = world.client("changchun")
    url = f"/enterprises/{e.uscc}/edit/"
    first_tab, second_tab = submitted(client.get(url).content), submitted(client.get(url).content)
    assert client.post(url, {**first_tab, "baseline_headcount": "500"}).status_code == 302
    refused = client.post(url, {**second_tab, "contact_name": "王芳"})
    page = refused.content.decode()
    assert refused.status_code == 409
    assert "该企业信息已于" in page and "被 changchun（网页） 修改（在册员工 500），请核对后再提交" in page
    assert "<th>在册员工</th><td>480</td><td>500</td>" in page
    e.refresh_from_db()
    assert (e.baseline_headcount, e.contact_name) == (500, "")
    again = submitted(refused.content)
    assert client.post(url, again).status_code == 302  # knowingly, from the stored version
    e.refresh_from_db()
    assert (e.baseline_headcount, e.contact_name) == (480, "王芳")


def test_patch_enterprises_refuses_a_stale_base_version_in_the_body_or_if_match(world: World) -> None:
    e = world.enterprise("nanguan")
    client = world.client("changchun")
    url = f"/api/v1/enterprises/{e.uscc}"
    version = client.get(url).json()["version"]
    changed = client.patch(url, {"baseline_headcount": 500, "base_version": version}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["version"] != version
    for extra, headers in (({"base_version": version}, {}), ({}, {"If-Match": f'"{version}"'})):
        refused = client.patch(url, {"park": "南关工业园", **extra}, content_type="application/json", headers=headers)
        body = refused.json()
        assert refused.status_code == 409 and body["code"] == "stale_version"
        assert body["details"]["current"]["baseline_headcount"] == 500 and body["details"]["changed"] == ["baseline_headcount"]
    assert client.patch(url, {"park": "南关工业园"}, content_type="application/json").status_code == 200  # no base: as before
    e.refresh_from_db()
    assert (e.baseline_headcount, e.park) == (500, "南关工业园")


def test_the_plan_form_refuses_a_stale_save_with_both_values(world: World, plan: Plan) -> None:
    client = world.client("province")
    url = f"/dispatch/plans/{plan.pk}/edit/"
    first_tab, second_tab = submitted(client.get(url).content), submitted(client.get(url).content)
    assert client.post(url, {**first_tab, "deadline_time": "17:00"}).status_code == 302
    refused = client.post(url, {**second_tab, "lock_after_days": "5"})
    page = refused.content.decode()
    assert refused.status_code == 409 and "该调度任务已于" in page and "截止时间 17:00" in page
    assert "<th>截止时间</th><td>16:00</td><td>17:00</td>" in page
    plan.refresh_from_db()
    assert (plan.deadline_time.hour, plan.lock_after_days) == (17, 3)
    assert client.post(url, submitted(refused.content)).status_code == 302
    plan.refresh_from_db()
    assert (plan.deadline_time.hour, plan.lock_after_days) == (16, 5)
