"""Old days do not change quietly: a change to a day older than yesterday is flagged to the
county, shown on the report and counted in the figures' footnote; new plans lock after 7 days."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.utils import timezone
from docx import Document

from fugong.dispatch.models import Plan, Report
from fugong.dispatch.reports.corrections import corrections
from fugong.dispatch.reports.submit import PeriodLocked, check_submit_report
from fugong.notify.models import Notification
from fugong.regions.models import Region
from tests.conftest import World

TODAY = timezone.localdate()


@pytest.fixture
def open_plan(plan: Plan) -> Plan:
    """A plan with no lock configured, running for the last two weeks, every day."""
    plan.start_date = TODAY - datetime.timedelta(days=14)
    plan.report_on_rest_days = True
    plan.lock_after_days = None
    plan.save()
    return plan


def figures(**overrides: Any) -> dict[str, Any]:
    return {
        "resumed": True,
        "baseline_headcount": 480,
        "reported_back": 300,
        "isolated": 20,
        "on_duty": 260,
        "capacity_pct": 55,
        **overrides,
    }


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def report_on(world: World, day: datetime.date, now: datetime.datetime, **overrides: Any) -> Any:
    return check_submit_report(
        world.user("reporter"), world.enterprise("nanguan"), day, figures(**overrides), channel="web", now=now
    )


def test_a_change_to_a_day_older_than_yesterday_is_flagged_to_the_county(
    world: World, open_plan: Plan
) -> None:
    old = TODAY - datetime.timedelta(days=3)
    report_on(world, old, noon(old))
    result = report_on(world, old, noon(TODAY), on_duty=200)
    assert result.revision.correction
    notice = Notification.objects.get(user__username="changchun")  # the dispatchers nearest above
    assert notice.title == f"长春南关汽车零部件有限公司更正了{old.month}月{old.day}日的日报"
    assert f"{old.month}月{old.day}日的日报于{TODAY.month}月{TODAY.day}日修改（reporter）" in notice.body
    assert notice.url == f"/dispatch/reports/{result.report.pk}/"
    assert not Notification.objects.filter(user__username__in=["jilin", "reporter"]).exists()
    page = world.client("reporter").get(notice.url).content.decode()
    assert f"更正：{old.month}月{old.day}日的日报于{TODAY.month}月{TODAY.day}日修改" in page


def test_yesterdays_report_may_be_changed_without_a_flag(world: World, open_plan: Plan) -> None:
    yesterday = TODAY - datetime.timedelta(days=1)
    report_on(world, yesterday, noon(yesterday))
    result = report_on(world, yesterday, noon(TODAY), on_duty=200)
    assert not result.revision.correction and not Notification.objects.exists()
    assert (
        "更正："
        not in world.client("reporter").get(f"/dispatch/reports/{result.report.pk}/").content.decode()
    )


def test_a_late_first_report_of_an_old_day_is_flagged_as_such(world: World, open_plan: Plan) -> None:
    old = TODAY - datetime.timedelta(days=5)
    result = report_on(world, old, noon(TODAY))
    assert result.revision.correction
    page = world.client("changchun").get(f"/dispatch/reports/{result.report.pk}/").content.decode()
    assert f"补报：{old.month}月{old.day}日的日报于{TODAY.month}月{TODAY.day}日首次报送" in page


def test_the_figures_footnote_counts_the_enterprises_that_corrected_earlier_days(
    world: World, open_plan: Plan
) -> None:
    old = TODAY - datetime.timedelta(days=4)
    report_on(world, old, noon(old))
    report_on(world, old, noon(TODAY), on_duty=200)
    report_on(world, old, noon(TODAY), on_duty=210)  # one enterprise, twice: counted once
    province, jilin = Region.objects.get(code="220000"), Region.objects.get(code="220200")
    assert corrections(open_plan, TODAY, province).count == 1
    assert corrections(open_plan, TODAY, province).footnote == "其中1户更正了以往日期的填报"
    assert corrections(open_plan, TODAY, jilin).count == 0
    assert corrections(open_plan, old, province).count == 0  # counted on the day it was made
    board = world.client("province").get(f"/dispatch/board/?plan={open_plan.pk}&date={TODAY}&region=220000")
    assert "其中1户更正了以往日期的填报" in board.content.decode()
    dashboard = world.client("province").get(
        f"/dispatch/dashboard/?plan={open_plan.pk}&date={TODAY}&region=220000"
    )
    assert "其中1户更正了以往日期的填报" in dashboard.content.decode()
    home = world.client("reporter").get(f"/dispatch/e/{world.enterprise('nanguan').uscc}/").content.decode()
    assert '<span class="tag">更正</span>' in home
    brief = world.client("province").get(f"/dispatch/brief/?plan={open_plan.pk}&date={TODAY}&region=220000")
    assert "当日有1户企业更正了以往日期的填报" in brief.content.decode()
    docx = world.client("province").get(
        f"/dispatch/brief.docx?plan={open_plan.pk}&date={TODAY}&region=220000"
    )
    assert "当日有1户企业更正了以往日期的填报" in "".join(
        p.text for p in Document(io.BytesIO(docx.content)).paragraphs
    )


def test_new_plans_lock_after_seven_days_unless_told_otherwise(world: World) -> None:
    client = world.client("province")
    base = {"title": "全省工业企业日调度", "owner_region": "220000", "start_date": "2026-11-01"}
    default = client.post("/api/v1/plans", base, content_type="application/json")
    never = client.post("/api/v1/plans", {**base, "lock_after_days": None}, content_type="application/json")
    assert (default.json()["lock_after_days"], never.json()["lock_after_days"]) == (7, None)
    assert (
        'name="lock_after_days" inputmode="numeric" value="7"'
        in client.get("/dispatch/plans/new/").content.decode()
    )
    assert Plan.objects.create(title="t", owner_region_id="220000", start_date=TODAY).lock_after_days == 7


def test_a_week_old_day_is_locked_by_the_default(world: World) -> None:
    plan = Plan.objects.create(
        title="全省外贸企业日调度",
        owner_region_id="220000",
        start_date=TODAY - datetime.timedelta(days=20),
        report_on_rest_days=True,
        selector={"sectors": ["外贸"]},
    )
    old = TODAY - datetime.timedelta(days=9)
    with pytest.raises(PeriodLocked, match="已锁定"):
        report_on(world, old, noon(TODAY))
    assert not Report.objects.exists() and plan.lock_after_days == 7


def test_an_import_of_an_old_day_is_flagged_with_one_notice_per_dispatcher(
    world: World, open_plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fugong.dispatch.reports import corrections as module
    from fugong.dispatch.sheets.reading import check_import_reports
    from tests.support import sheets
    from tests.support.sheets import REPORT_HEADER, report_row

    monkeypatch.setattr(module, "ONE_BY_ONE", 1)  # two rows are "many" here: one summary notice
    old = TODAY - datetime.timedelta(days=3)
    data = sheets.xlsx(
        (
            "调度表",
            [
                REPORT_HEADER,
                report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"),
                report_row(world, "chaoyang", "否", 120, 20, 0, 0, 0),
            ],
        )
    )
    result = check_import_reports(
        world.user("province"), data, "调度表.xlsx", plan=open_plan, day=old, now=noon(TODAY)
    )
    assert result.written
    assert set(Report.objects.values_list("revisions__correction", flat=True)) == {True}
    notice = Notification.objects.get()
    assert notice.user.username == "changchun"
    assert notice.title == f"2户企业{old.month}月{old.day}日的日报被更正" and "（province）" in notice.body
    assert corrections(open_plan, TODAY, Region.objects.get(code="220000")).count == 2
