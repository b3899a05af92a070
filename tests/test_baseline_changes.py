"""One report's 在册员工 cannot wreck the province's 到岗率 (issue 12, §2.1): a far baseline needs
confirming, is flagged to the county, and counts in the figures only once the county accepts it."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from fugong.core.errors import Forbidden
from fugong.core.models import AuditEvent
from fugong.dispatch.figures import reference, rollups
from fugong.dispatch.models import BaselineChange, Plan, Report
from fugong.dispatch.reports.baselines import check_accept_baseline
from fugong.dispatch.reports.submit import ConfirmationRequired, check_submit_report
from fugong.dispatch.sheets.reading import check_import_reports
from fugong.enterprises.models import Enterprise
from fugong.notify.models import Notification
from fugong.regions.models import Region
from tests.conftest import World
from tests.support import sheets
from tests.support.reports import DAY, at
from tests.support.sheets import REPORT_HEADER, report_row

HUGE = 1_000_000


def figures_of(**overrides: Any) -> dict[str, Any]:
    base = {
        "resumed": True,
        "baseline_headcount": 480,
        "reported_back": 300,
        "isolated": 0,
        "on_duty": 280,
        "capacity_pct": 60,
    }
    return {**base, **overrides}


@pytest.fixture
def open_plan(plan: Plan) -> Plan:
    plan.lock_after_days = None
    plan.save()
    return plan


def submit(world: World, who: str, raw: dict[str, Any], day: datetime.date = DAY, **kw: Any) -> Any:
    return check_submit_report(
        world.user(who), world.enterprise("nanguan"), day, raw, channel="web", now=at(day, 10), **kw
    )


def province_total(plan: Plan, day: datetime.date = DAY) -> reference.Figures:
    return rollups.read(plan, day, Region.objects.get(code="220000")).total


def assert_rollups_equal_recompute(world: World, plan: Plan, day: datetime.date = DAY) -> None:
    for code in ("220000", "220100"):
        node = Region.objects.get(code=code)
        fast = rollups.read(plan, day, node).total.as_dict()
        full = reference.computed(plan, day, node, "region", world.user("province")).total.as_dict()
        assert fast == full, code


def test_a_million_employees_on_the_form_needs_confirming(world: World, open_plan: Plan) -> None:
    client = world.client("reporter")
    url = f"/dispatch/e/{world.enterprise('nanguan').uscc}/report/"
    post = {
        "date": DAY.isoformat(),
        "resumed": "1",
        "baseline_headcount": HUGE,
        "reported_back": 300,
        "isolated": 0,
        "on_duty": 280,
        "capacity_pct": 60,
    }
    page = client.post(url, post).content.decode()
    assert "在册员工由企业库登记的480人变为1000000人" in page and 'value="baseline_change"' in page
    assert not Report.objects.exists()
    client.post(url, {**post, "confirm": ["baseline_change"]})
    report = Report.objects.get()
    assert (report.baseline_headcount, report.counted_baseline) == (HUGE, 480)


def test_the_api_answers_the_warning_with_its_code(world: World, open_plan: Plan) -> None:
    body = {
        "enterprise": world.enterprise("nanguan").uscc,
        "date": DAY.isoformat(),
        **figures_of(baseline_headcount=HUGE),
    }
    client = world.client("reporter")
    refused = client.post("/api/v1/reports", json.dumps(body), content_type="application/json")
    assert refused.status_code == 422
    assert [w["code"] for w in refused.json()["details"]["warnings"]] == ["baseline_change"]
    accepted = client.post(
        "/api/v1/reports",
        json.dumps({**body, "confirm": ["baseline_change"]}),
        content_type="application/json",
    )
    assert accepted.status_code == 201 and Report.objects.get().counted_baseline == 480


def test_an_import_refuses_it_unless_confirmed_then_counts_the_old_baseline(
    world: World, open_plan: Plan
) -> None:
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", HUGE, 300, 0, 280, "60%")])
    )

    def run(**options: Any) -> Any:
        return check_import_reports(
            world.user("province"), data, "调度表.xlsx", plan=open_plan, day=DAY, now=at(DAY, 15), **options
        )

    refused = run()
    assert not refused.written and "在册员工由企业库登记的480人变为1000000人" in refused.rejected[0].message
    before = province_total(open_plan)
    assert run(confirm_warnings=True).written
    report = Report.objects.get()
    assert (report.baseline_headcount, report.counted_baseline) == (HUGE, 480)
    after = province_total(open_plan)
    assert after.baseline_headcount == before.baseline_headcount  # 480 stays 480 in the figures
    assert BaselineChange.objects.get().state == "pending"
    assert_rollups_equal_recompute(world, open_plan)


def test_confirmed_it_is_flagged_to_the_county_and_the_rate_does_not_move(
    world: World, open_plan: Plan
) -> None:
    submit(world, "reporter", figures_of())
    before = province_total(open_plan).attendance_rate_all
    submit(world, "reporter", figures_of(baseline_headcount=HUGE), confirm=["baseline_change"])
    assert province_total(open_plan).attendance_rate_all == before
    assert_rollups_equal_recompute(world, open_plan)
    change = BaselineChange.objects.get()
    assert (change.previous, change.proposed, change.state) == (480, HUGE, "pending")
    notice = Notification.objects.get(user=world.user("changchun"))  # the nearest dispatchers
    assert "在册员工变动待确认" in notice.title and "1000000" in notice.body
    page = world.client("changchun").get("/dispatch/baselines/").content.decode()
    assert "长春南关汽车零部件有限公司" in page and "1000000" in page
    assert "没有待确认" in world.client("jilin").get("/dispatch/baselines/").content.decode()


def test_accepted_it_becomes_the_registrys_and_moves_the_figures(world: World, open_plan: Plan) -> None:
    submit(
        world, "reporter", figures_of(baseline_headcount=600, reported_back=300), confirm=["baseline_change"]
    )
    before = province_total(open_plan)
    change = BaselineChange.objects.get()
    with pytest.raises(Forbidden):
        check_accept_baseline(world.user("jilin"), change, accept=True)  # not their region
    check_accept_baseline(world.user("changchun"), change, accept=True)
    assert Enterprise.objects.get(pk=world.enterprise("nanguan").pk).baseline_headcount == 600
    assert Report.objects.get().counted_baseline is None
    assert AuditEvent.objects.filter(action="enterprise.baseline_accept").get().changes == {
        "baseline_headcount": [480, 600]
    }
    after = province_total(open_plan)
    assert after.baseline_headcount == before.baseline_headcount + 120
    assert_rollups_equal_recompute(world, open_plan)


def test_rejected_the_old_baseline_stays_and_the_reporter_is_told(world: World, open_plan: Plan) -> None:
    submit(world, "reporter", figures_of(baseline_headcount=HUGE), confirm=["baseline_change"])
    client = world.client("changchun")
    change = BaselineChange.objects.get()
    refused = client.post("/dispatch/baselines/", {"change": change.pk, "decision": "reject", "reason": ""})
    assert "请填写不采用的理由" in refused.content.decode()
    client.post(
        "/dispatch/baselines/", {"change": change.pk, "decision": "reject", "reason": "在册应为480人"}
    )
    assert BaselineChange.objects.get().state == "rejected"
    assert Enterprise.objects.get(pk=world.enterprise("nanguan").pk).baseline_headcount == 480
    assert province_total(open_plan).baseline_headcount == 480 + 120 + 300 + 90 + 60
    notice = Notification.objects.get(user=world.user("reporter"))
    assert "未被采用" in notice.title and "在册应为480人" in notice.body


def test_the_next_day_with_the_same_number_is_not_asked_again_and_still_waits(
    world: World, open_plan: Plan
) -> None:
    submit(world, "reporter", figures_of(baseline_headcount=HUGE), confirm=["baseline_change"])
    next_day = DAY + datetime.timedelta(days=1)
    submit(world, "reporter", figures_of(baseline_headcount=HUGE), day=next_day)  # no confirmation needed
    assert Report.objects.get(date=next_day).counted_baseline == 480
    assert BaselineChange.objects.filter(state="pending").count() == 1
    assert_rollups_equal_recompute(world, open_plan, next_day)


def test_a_report_back_near_the_accepted_baseline_withdraws_the_change(world: World, open_plan: Plan) -> None:
    submit(world, "reporter", figures_of(baseline_headcount=HUGE), confirm=["baseline_change"])
    submit(world, "reporter", figures_of(baseline_headcount=485))  # the typo fixed, same day
    assert BaselineChange.objects.get().state == "withdrawn"
    assert Report.objects.get().counted_baseline is None


def test_small_changes_count_at_once(world: World, open_plan: Plan) -> None:
    submit(world, "reporter", figures_of(baseline_headcount=500))  # +20 people, 4 %: no question
    assert Report.objects.get().counted_baseline is None and not BaselineChange.objects.exists()
    assert province_total(open_plan).baseline_headcount == 500 + 120 + 300 + 90 + 60


def test_the_warning_is_refused_without_its_code(world: World, open_plan: Plan) -> None:
    with pytest.raises(ConfirmationRequired) as refused:
        submit(
            world, "reporter", figures_of(baseline_headcount=100, reported_back=90, on_duty=80)
        )  # ⅕ of 480
    assert [w["code"] for w in refused.value.details["warnings"]] == ["baseline_change"]


def test_the_county_reaches_the_list_from_todays_board(world: World, open_plan: Plan) -> None:
    board = world.client("changchun").get(f"/dispatch/board/?plan={open_plan.pk}&date={DAY}&region=220100")
    assert board.status_code == 200 and 'href="/dispatch/baselines/"' in board.content.decode()
    assert world.client("reporter").get("/dispatch/baselines/").status_code == 403
