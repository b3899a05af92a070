"""Submitting the daily report: validation, warnings, revisions, idempotency, deadlines, locks."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from fugong.core.errors import Conflict, ValidationFailed
from fugong.dispatch.figures.completeness import completeness
from fugong.dispatch.models import Report, ReportRevision
from fugong.dispatch.reports.submit import (
    ConfirmationRequired,
    PeriodLocked,
    check_submit_report,
    do_unlock_period,
)
from fugong.regions.models import Region
from tests.conftest import World
from tests.support.reports import DAY, at, figures, submit


def test_a_first_report_is_created_with_one_revision(world: World, plan: Any) -> None:
    result = submit(world, "reporter", figures())
    assert result.created
    report = Report.objects.get()
    assert (report.on_duty, report.capacity_pct, report.revision_count) == (260, 55, 1)
    revision = report.revisions.get()
    assert (revision.channel, revision.on_behalf, revision.by and revision.by.username) == (
        "web",
        False,
        "reporter",
    )


def test_a_change_adds_a_revision_with_old_and_new_and_overwrites_nothing(world: World, plan: Any) -> None:
    submit(world, "reporter", figures())
    # over the enterprise's own report only when confirmed (tests/test_self_reports.py)
    submit(world, "changchun", figures(on_duty=270), now=at(DAY, 11), confirm=["overwrite_self_report"])
    report = Report.objects.get()
    assert report.on_duty == 270
    first, second = report.revisions.order_by("number")
    assert first.data["on_duty"] == 260
    assert second.changes == {"on_duty": [260, 270]}
    assert second.on_behalf and second.by is not None and second.by.username == "changchun"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (figures(isolated=320), "报到后隔离人数(320)大于报到人数(300)"),
        (figures(on_duty=530), "实际到岗人数(530)大于报到人数(300)"),
        (figures(resumed=False, capacity_pct=None), "未复工企业的实际到岗人数应为0，现为260"),
        (figures(capacity_pct=250), "实际产能恢复比例：比例不能超过200%，现为250.00%"),
        (figures(reported_back=-3), "报到人数：不能小于0，现为-3"),
        (figures(on_duty="很多"), "实际到岗：“很多”不是数字"),
        (figures(capacity_pct=None), "已复工企业请填写实际产能恢复比例"),
        (figures(resumed=None), "是否已开复工（是/否）"),
        (figures(resumed_on="2020-03-01"), "复工日期2020-03-01晚于填报日期2020-02-17"),
        ({**figures(), "measures": ["测温", "跳舞"]}, "“跳舞”不是可选的防疫措施"),
    ],
)
def test_hard_rules_refuse_with_a_message_naming_the_values(
    world: World, plan: Any, raw: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        submit(world, "reporter", raw)
    assert message in caught.value.message
    assert not Report.objects.exists()


def test_more_back_than_on_the_books_needs_confirming(world: World, plan: Any) -> None:
    with pytest.raises(ConfirmationRequired) as caught:
        submit(world, "reporter", figures(reported_back=520, on_duty=500))
    assert caught.value.details["warnings"][0]["code"] == "over_baseline"
    assert "报到人数(520)大于在册员工(480)" in caught.value.message
    submit(world, "reporter", figures(reported_back=520, on_duty=500), confirm=["over_baseline"])
    assert Report.objects.get().revisions.get().confirmed == ["over_baseline"]


def test_an_unusual_jump_needs_confirming(world: World, plan: Any) -> None:
    for offset, on_duty in enumerate([250, 255, 260, 258]):
        day = DAY - datetime.timedelta(days=4 - offset)
        submit(world, "reporter", figures(on_duty=on_duty), day=day, now=at(day, 9))
    with pytest.raises(ConfirmationRequired) as caught:
        submit(world, "reporter", figures(on_duty=30))
    assert "实际到岗由上次的258人变为30人，变化异常" in caught.value.message
    submit(world, "reporter", figures(on_duty=275))  # a normal day-to-day change passes


def test_a_jump_confirmed_once_is_not_asked_again_while_its_value_stays(world: World, plan: Any) -> None:
    for offset, on_duty in enumerate([250, 255, 260, 258]):
        day = DAY - datetime.timedelta(days=4 - offset)
        submit(world, "reporter", figures(on_duty=on_duty), day=day, now=at(day, 9))
    first = submit(
        world, "reporter", figures(on_duty=30, capacity_pct=5), confirm=["jump_on_duty", "jump_capacity_pct"]
    )
    # a later edit of the day keeps 实际到岗 30: only the changed figure's jump is asked again
    with pytest.raises(ConfirmationRequired) as caught:
        submit(world, "reporter", figures(on_duty=30, capacity_pct=90), base_revision=1)
    assert [w["code"] for w in caught.value.details["warnings"]] == ["jump_capacity_pct"]
    again = submit(
        world, "reporter", figures(on_duty=30, capacity_pct=5, problems="补充说明"), base_revision=1
    )
    assert again.report.pk == first.report.pk and again.report.problems == "补充说明"
    assert sorted(again.revision.confirmed) == ["jump_capacity_pct", "jump_on_duty"]  # kept in the history
    with pytest.raises(ConfirmationRequired, match="实际到岗由上次的258人变为31人"):  # a new value: asked
        submit(world, "reporter", figures(on_duty=31, capacity_pct=5), base_revision=2)


def test_seven_identical_days_need_confirming(world: World, plan: Any) -> None:
    for back in range(6, 0, -1):
        day = DAY - datetime.timedelta(days=back)
        submit(world, "reporter", figures(), day=day, now=at(day, 9))
    with pytest.raises(ConfirmationRequired, match="已连续7天填报完全相同的数字"):
        submit(world, "reporter", figures())


def test_the_same_client_id_and_payload_returns_the_same_report(world: World, plan: Any) -> None:
    first = submit(world, "reporter", figures(), client_id="phone-1")
    again = submit(world, "reporter", figures(), client_id="phone-1")
    assert again.report.pk == first.report.pk and again.revision is None
    assert ReportRevision.objects.count() == 1


def test_the_same_client_id_with_other_figures_is_a_conflict(world: World, plan: Any) -> None:
    submit(world, "reporter", figures(), client_id="phone-1")
    with pytest.raises(Conflict, match="已用于该企业的另一份不同填报"):
        submit(world, "reporter", figures(on_duty=250), client_id="phone-1")


def test_a_new_client_id_for_the_same_day_makes_a_new_revision(world: World, plan: Any) -> None:
    submit(world, "reporter", figures(), client_id="phone-1")
    submit(world, "reporter", figures(), client_id="phone-2")
    assert Report.objects.get().revision_count == 2


def test_a_future_day_is_refused(world: World, plan: Any) -> None:
    with pytest.raises(ValidationFailed, match="不能填报未来日期"):
        submit(world, "reporter", figures(), day=DAY + datetime.timedelta(days=1), now=at(DAY, 23, 59))


def test_an_enterprise_no_plan_covers_is_told_so(world: World) -> None:
    with pytest.raises(ValidationFailed, match="没有需要填报的调度任务"):
        submit(world, "reporter", figures())


def tally(world: World, plan: Any, day: datetime.date = DAY) -> dict[str, Any]:
    node = completeness(plan, day, Region.objects.get(code="220100"), world.user("province"))
    return node.tally.as_dict()


def test_155959_shanghai_is_on_time_and_160000_is_late_with_the_server_in_utc(
    world: World, plan: Any, settings: Any
) -> None:
    assert settings.TIME_ZONE == "Asia/Shanghai"
    utc = datetime.UTC
    check_submit_report(
        world.user("reporter"),
        world.enterprise("nanguan"),
        DAY,
        figures(),
        channel="web",
        now=datetime.datetime(2020, 2, 17, 7, 59, 59, tzinfo=utc),
    )
    check_submit_report(
        world.user("liaison"),
        world.enterprise("chaoyang"),
        DAY,
        figures(baseline_headcount=120, reported_back=100, isolated=0, on_duty=90),
        channel="web",
        now=datetime.datetime(2020, 2, 17, 8, 0, 0, tzinfo=utc),
    )
    t = tally(world, plan)
    assert (t["expected"], t["submitted"], t["on_time"], t["late"], t["missing"]) == (2, 2, 1, 1, 0)


def test_a_late_report_is_accepted_and_a_revision_keeps_the_first_receipt_time(
    world: World, plan: Any
) -> None:
    submit(world, "reporter", figures(), now=at(DAY, 15, 30))
    submit(world, "reporter", figures(on_duty=261), now=at(DAY, 17))
    assert tally(world, plan)["on_time"] == 1
    assert Report.objects.get().received_at == at(DAY, 15, 30)


def test_a_locked_period_refuses_until_a_dispatcher_unlocks_it(world: World, plan: Any) -> None:
    submit(world, "reporter", figures(), now=at(DAY, 10))
    later = at(DAY + datetime.timedelta(days=4), 9)
    with pytest.raises(PeriodLocked, match="的填报已锁定"):
        submit(world, "reporter", figures(on_duty=250), now=later)
    with pytest.raises(ValidationFailed, match="请填写解锁理由"):
        do_unlock_period(world.user("changchun"), plan, world.enterprise("nanguan"), DAY, "")
    do_unlock_period(
        world.user("changchun"), plan, world.enterprise("nanguan"), DAY, "企业报错上岗人数，申请更正"
    )
    submit(world, "reporter", figures(on_duty=250), now=later)
    assert Report.objects.get().on_duty == 250


def test_the_day_before_the_lock_still_accepts_changes(world: World, plan: Any) -> None:
    submit(world, "reporter", figures(), now=at(DAY, 10))
    submit(world, "reporter", figures(on_duty=250), now=at(DAY + datetime.timedelta(days=3), 23, 59))
    assert Report.objects.get().on_duty == 250


def post(client: Any, payload: dict[str, Any]) -> Any:
    return client.post("/api/v1/reports", json.dumps(payload), content_type="application/json")


def api_payload(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "enterprise": world.enterprise("nanguan").uscc,
        "date": str(datetime.date.today()),
        **figures(),
        **overrides,
    }


def test_the_api_is_idempotent_on_client_id(world: World, plan: Any) -> None:
    client = world.client("reporter")
    first = post(client, api_payload(world, client_id="c-1"))
    assert first.status_code == 201, first.content
    again = post(client, api_payload(world, client_id="c-1"))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert len(again.json()["revisions"]) == 1
    conflict = post(client, api_payload(world, client_id="c-1", on_duty=100))
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    newer = post(client, api_payload(world, client_id="c-2", on_duty=250))
    assert newer.status_code == 200 and len(newer.json()["revisions"]) == 2


def test_the_api_asks_for_confirmation_with_warning_codes(world: World, plan: Any) -> None:
    response = post(world.client("reporter"), api_payload(world, reported_back=500, isolated=0, on_duty=490))
    assert response.status_code == 422
    body = response.json()
    assert (
        body["code"] == "confirmation_required" and body["details"]["warnings"][0]["code"] == "over_baseline"
    )
    ok = post(
        world.client("reporter"),
        api_payload(world, reported_back=500, isolated=0, on_duty=490, confirm=["over_baseline"]),
    )
    assert ok.status_code == 201


REPORT_STATUS = {
    "province": 201,
    "changchun": 201,
    "jilin": 404,
    "leader": 403,
    "liaison": 404,
    "reporter": 201,
    "handler": 403,
    "outsider": 404,
    "admin": 201,
}


@pytest.mark.parametrize("persona", list(REPORT_STATUS))
def test_who_may_report_for_an_enterprise(world: World, plan: Any, persona: str) -> None:
    response = post(world.client(persona), api_payload(world))
    assert response.status_code == REPORT_STATUS[persona], response.content


def test_reports_list_and_detail_follow_scope(world: World, plan: Any) -> None:
    report_id = post(world.client("reporter"), api_payload(world)).json()["id"]
    assert world.client("changchun").get(f"/api/v1/reports/{report_id}").status_code == 200
    assert world.client("jilin").get(f"/api/v1/reports/{report_id}").status_code == 404
    listed = (
        world.client("province").get(f"/api/v1/reports?plan={plan.pk}&date={datetime.date.today()}").json()
    )
    assert listed["count"] == 1 and listed["items"][0]["revisions"][0]["channel"] == "api"
    assert world.client("jilin").get(f"/api/v1/reports?date={datetime.date.today()}").json()["count"] == 0


def test_a_weekly_key_project_plan_adds_its_own_fields(world: World, plan: Any) -> None:
    from fugong.dispatch.models import Plan

    Plan.objects.create(
        title="重点项目周调度",
        owner_region_id="220000",
        start_date=datetime.date(2020, 2, 1),
        cadence="weekly",
        selector={"enterprises": [world.enterprise("nanguan").uscc]},
        extra_fields=[
            {
                "key": "planned_investment",
                "label": "计划投资",
                "type": "decimal",
                "unit": "万元",
                "required": True,
            },
            {"key": "workers_on_site", "label": "在岗工人", "type": "int", "required": False},
        ],
    )
    submit(world, "reporter", figures())  # Monday: the weekly figures are not due yet
    friday = DAY + datetime.timedelta(days=4)
    with pytest.raises(ValidationFailed, match="计划投资：必须填写"):
        submit(world, "reporter", figures(), day=friday, now=at(friday, 10))
    extra = {"planned_investment": "1,250.5", "workers_on_site": "86"}
    submit(world, "reporter", {**figures(), "extra": extra}, day=friday, now=at(friday, 10))
    assert Report.objects.get(date=friday).extra == {"planned_investment": "1250.50", "workers_on_site": 86}
