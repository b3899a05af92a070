"""Behaviour fixed after review: safe reminder text, calmer warnings, races, scope of nodes."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.utils import timezone

from fugong.core.errors import ValidationFailed
from fugong.dispatch.models import PeriodUnlock, Plan, Report
from fugong.dispatch.reports.batch import Batch
from fugong.dispatch.reports.fields import check_report
from fugong.dispatch.reports.submit import (
    ConfirmationRequired,
    check_submit_report,
)
from fugong.notify.models import Notification
from tests.conftest import World
from tests.support.reports import DAY, at, figures, submit


def test_a_plan_title_cannot_reach_into_the_reminder_text(world: World, plan: Plan) -> None:
    plan.title = "{enterprise.__init__.__globals__[settings].SECRET_KEY}"
    plan.start_date = timezone.localdate() - datetime.timedelta(days=3)
    plan.report_on_rest_days = True
    plan.save()
    response = world.client("changchun").post(
        "/dispatch/board/remind/", {"plan": plan.pk, "region": "220100"}
    )
    assert response.status_code == 302
    body = Notification.objects.first().body  # type: ignore[union-attr]
    assert plan.title in body and "fugong-development-key" not in body


def history(days: int, **values: Any) -> list[dict[str, Any]]:
    return [{**figures(**values), "date": DAY - datetime.timedelta(days=i + 1)} for i in range(days)]


def codes(raw: dict[str, Any], earlier: list[dict[str, Any]]) -> set[str]:
    return {w.code for w in check_report(raw, DAY, [], earlier).warnings}


def test_seven_identical_days_warn_once_and_never_for_a_closed_firm() -> None:
    assert codes(figures(), history(6)) == {"unchanged_7_days"}
    assert codes(figures(), history(7)) == set()  # the 8th day: already confirmed on the 7th
    closed = {
        "resumed": False,
        "baseline_headcount": 480,
        "reported_back": 0,
        "isolated": 0,
        "on_duty": 0,
        "capacity_pct": 0,
    }
    assert (
        codes(closed, history(6, resumed=False, reported_back=0, isolated=0, on_duty=0, capacity_pct=0))
        == set()
    )
    gap = history(7)
    del gap[2]  # a missed day breaks the run
    assert codes(figures(), gap) == set()


def test_an_ordinary_ramp_passes_and_a_collapse_is_flagged() -> None:
    ramp = [
        {**h, "on_duty": v, "reported_back": v + 20}
        for h, v in zip(history(5), [300, 240, 190, 150, 120], strict=True)
    ]
    assert codes(figures(reported_back=400, on_duty=380), ramp) == set()
    big = [{**h, "baseline_headcount": 12000, "reported_back": 10500, "on_duty": 10000} for h in history(5)]
    raw = figures(baseline_headcount=12000, reported_back=10500, on_duty=6000)
    assert "jump_on_duty" in codes(raw, big)


def test_a_retry_racing_its_own_first_submission_gets_the_same_report(
    world: World, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = submit(world, "reporter", figures(), client_id="dup-1")
    real_load, loads = Batch.load, list[int]()

    def blind_to_the_first(self: Batch, enterprises: Any, client_ids: Any, *, lock: bool) -> None:
        # the retry was checked before the first submission committed: it saw no earlier client_id
        real_load(self, enterprises, client_ids if loads else [], lock=lock)
        loads.append(1)

    monkeypatch.setattr(Batch, "load", blind_to_the_first)
    again = submit(world, "reporter", figures(), client_id="dup-1")
    assert again.report.pk == first.report.pk and again.revision is None
    assert Report.objects.get().revision_count == 1


def test_an_overlong_client_id_is_refused_not_cut(world: World, plan: Plan) -> None:
    with pytest.raises(ValidationFailed, match="client_id 最长80个字符"):
        submit(world, "reporter", figures(), client_id="x" * 81)


def test_a_resumption_date_for_a_firm_not_resumed_is_refused(world: World, plan: Plan) -> None:
    raw = figures(resumed=False, on_duty=0, capacity_pct=None, resumed_on="2020-02-10")
    with pytest.raises(ValidationFailed, match="未复工企业不应填写复工日期"):
        submit(world, "reporter", raw)


def test_figures_of_a_region_above_ones_own_are_refused(world: World, plan: Plan) -> None:
    client = world.client("changchun")
    assert client.get(f"/api/v1/plans/{plan.pk}/completeness?date={DAY}&region=220000").status_code == 404
    assert client.get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}&region=220000").status_code == 404
    own = client.get(f"/api/v1/plans/{plan.pk}/completeness?date={DAY}").json()
    assert own["region"] == "220100" and own["expected"] == 2
    board = client.get(f"/dispatch/board/?plan={plan.pk}&region=220000", follow=True).content.decode()
    assert "“吉林省”不完全在您的管辖范围内" in board and "长春市 · " in board  # its own figures instead


def test_the_completeness_api_counts_and_sums_children(world: World, plan: Plan) -> None:
    submit(world, "reporter", figures(), now=at(DAY, 17))  # late
    body = world.client("province").get(f"/api/v1/plans/{plan.pk}/completeness?date={DAY}").json()
    assert (body["expected"], body["submitted"], body["on_time"], body["late"], body["missing"]) == (
        5,
        1,
        0,
        1,
        4,
    )
    children = {c["name"]: c for c in body["children"]}
    assert children["长春市"]["late"] == 1 and children["长春新区"]["expected"] == 1
    assert sum(c["expected"] for c in body["children"]) == body["expected"]


def test_unlocks_elsewhere_are_not_shown(world: World, plan: Plan) -> None:
    PeriodUnlock.objects.create(
        plan=plan, enterprise=world.enterprise("changyi"), date=DAY, reason="吉林市的更正理由"
    )
    assert (
        "吉林市的更正理由"
        not in world.client("changchun").get(f"/dispatch/plans/{plan.pk}/").content.decode()
    )
    assert "吉林市的更正理由" in world.client("province").get(f"/dispatch/plans/{plan.pk}/").content.decode()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/plans/{plan}/completeness?date=9999-12-31", 400),
        ("/dispatch/board/?plan={plan}&date=9999-12-31", 200),  # today's board, saying why
        ("/dispatch/board/?plan={plan}&date=abc", 200),
    ],
)
def test_absurd_dates_get_a_message_not_an_error(world: World, plan: Plan, path: str, status: int) -> None:
    response = world.client("province").get(path.format(plan=plan.pk))
    assert response.status_code == status


@pytest.mark.parametrize(
    "selector", [{"regions": 5}, {"tiers": [["x"]]}, {"sectors": [{}]}, {"enterprises": "9122"}]
)
def test_a_malformed_selector_is_refused(world: World, selector: dict[str, Any]) -> None:
    payload = {"title": "x", "owner_region": "220100", "start_date": "2020-02-17", "selector": selector}
    response = world.client("changchun").post(
        "/api/v1/plans", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 422 and "应为文字列表" in response.json()["message"]


def test_confirming_a_warning_once_lets_the_same_figures_through(world: World, plan: Plan) -> None:
    with pytest.raises(ConfirmationRequired):
        check_submit_report(
            world.user("reporter"),
            world.enterprise("nanguan"),
            DAY,
            figures(reported_back=520, on_duty=500),
            channel="web",
            now=at(DAY, 9),
        )


def test_a_city_dispatchers_breadcrumbs_start_at_their_city(world: World, plan: Plan) -> None:
    page = world.client("changchun").get(f"/dispatch/board/?plan={plan.pk}&date={DAY}&region=220102")
    assert [a.code for a in page.context["ancestors"]] == ["220100"]
    province = world.client("province").get(f"/dispatch/board/?plan={plan.pk}&date={DAY}&region=220102")
    assert [a.code for a in province.context["ancestors"]] == ["220000", "220100"]
