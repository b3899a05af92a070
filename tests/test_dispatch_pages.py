"""The dispatch pages as each persona sees them: the mobile form, one-tap, the board, reminders."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from fugong.dispatch.models import Plan, Report
from fugong.dispatch.reports.submit import check_submit_report
from fugong.notify.models import Notification
from tests.conftest import World
from tests.support.personas import P, row

#                                  province chgchun jilin leader liaison reporter handler outsider admin
PAGES = {
    "/dispatch/board/": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    "/dispatch/e/{nanguan}/": row(200, 200, 404, 200, 404, 200, 200, 404, 200),
    "/dispatch/e/{nanguan}/report/": row(200, 200, 404, 403, 404, 200, 403, 404, 200),
    "/dispatch/e/{chaoyang}/report/": row(200, 200, 404, 403, 200, 404, 403, 404, 200),
    "/dispatch/plans/": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    "/dispatch/plans/new/": row(200, 200, 200, 403, 403, 403, 403, 403, 200),
    # out of scope: the person's own board (or where to look instead), with a notice (defaults.py)
    "/dispatch/board/?region=220200": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
}


@pytest.fixture
def today_plan(plan: Plan) -> Plan:
    plan.start_date = timezone.localdate() - datetime.timedelta(days=10)
    plan.report_on_rest_days = True
    plan.save()
    return plan


@pytest.mark.parametrize("persona", P)
def test_dispatch_pages_answer_each_persona_as_the_matrix_says(
    world: World, today_plan: Plan, persona: str
) -> None:
    client = world.client(persona)
    got = {}
    for path in PAGES:
        url = path.replace("{nanguan}", world.enterprise("nanguan").uscc).replace(
            "{chaoyang}", world.enterprise("chaoyang").uscc
        )
        got[path] = client.get(url).status_code
    assert got == {path: statuses[persona] for path, statuses in PAGES.items()}


def form(**overrides: Any) -> dict[str, Any]:
    return {
        "resumed": "1",
        "baseline_headcount": "480",
        "reported_back": "300",
        "isolated": "20",
        "on_duty": "260",
        "capacity_pct": "55",
        "measures": ["temperature", "masks"],
        "client_id": "f-1",
        **overrides,
    }


def test_the_form_submits_and_the_home_page_says_reported(world: World, today_plan: Plan) -> None:
    e = world.enterprise("nanguan")
    client = world.client("reporter")
    assert "今日尚未报送" in client.get(f"/dispatch/e/{e.uscc}/").content.decode()
    response = client.post(f"/dispatch/e/{e.uscc}/report/", form())
    assert response.status_code == 302
    page = client.get(f"/dispatch/e/{e.uscc}/").content.decode()
    assert "今日已报送" in page and "到岗 260 / 在册 480 人" in page
    assert Report.objects.get(enterprise=e).measures == ["temperature", "masks"]


def test_the_form_shows_a_hard_error_in_chinese_and_keeps_what_was_typed(
    world: World, today_plan: Plan
) -> None:
    e = world.enterprise("nanguan")
    response = world.client("reporter").post(f"/dispatch/e/{e.uscc}/report/", form(on_duty="530"))
    page = response.content.decode()
    assert response.status_code == 422
    assert "实际到岗人数(530)大于报到人数(300)" in page and 'value="530"' in page
    assert not Report.objects.exists()


def test_a_warning_is_confirmed_with_a_tick(world: World, today_plan: Plan) -> None:
    e = world.enterprise("nanguan")
    client = world.client("reporter")
    first = client.post(
        f"/dispatch/e/{e.uscc}/report/", form(reported_back="520", on_duty="490", isolated="0")
    )
    assert first.status_code == 422 and 'name="confirm" value="over_baseline"' in first.content.decode()
    second = client.post(
        f"/dispatch/e/{e.uscc}/report/",
        form(reported_back="520", on_duty="490", isolated="0", confirm="over_baseline"),
    )
    assert second.status_code == 302 and Report.objects.get().reported_back == 520


def test_same_as_yesterday_is_one_tap(world: World, today_plan: Plan) -> None:
    e = world.enterprise("nanguan")
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    check_submit_report(
        world.user("reporter"),
        e,
        yesterday,
        {
            "resumed": True,
            "baseline_headcount": 480,
            "reported_back": 300,
            "isolated": 20,
            "on_duty": 260,
            "capacity_pct": 55,
            "problems": "缺口罩",
        },
        channel="web",
    )
    client = world.client("reporter")
    assert "与昨日相同，一键报送" in client.get(f"/dispatch/e/{e.uscc}/").content.decode()
    assert (
        client.post(f"/dispatch/e/{e.uscc}/report/", {"same_as_last": "1", "client_id": "same-1"}).status_code
        == 302
    )
    report = Report.objects.get(enterprise=e, date=today)
    assert (report.on_duty, report.capacity_pct, report.problems) == (260, 55, "")


def test_a_liaison_reports_on_behalf_and_it_is_recorded(world: World, today_plan: Plan) -> None:
    e = world.enterprise("chaoyang")
    response = world.client("liaison").post(
        f"/dispatch/e/{e.uscc}/report/", form(baseline_headcount="120", reported_back="100", on_duty="80")
    )
    assert response.status_code == 302
    revision = Report.objects.get(enterprise=e).revisions.get()
    assert revision.on_behalf and revision.by is not None and revision.by.username == "liaison"
    detail = world.client("changchun").get(f"/dispatch/reports/{revision.report_id}/").content.decode()
    assert "代报" in detail


def test_the_board_counts_and_lists_the_missing_with_phone_and_liaison(
    world: World, today_plan: Plan
) -> None:
    client = world.client("changchun")
    page = client.get(f"/dispatch/board/?plan={today_plan.pk}").content
    text = page.decode()
    assert "长春市" in text and "长春朝阳食品有限公司" in text and "tel:0431-88880000" in text
    node = client.get(f"/dispatch/board/?plan={today_plan.pk}").context["node"]
    assert (node.tally.expected, node.tally.submitted, node.tally.missing) == (2, 0, 2)


def test_reminding_the_missing_notifies_their_reporters_and_liaisons(world: World, today_plan: Plan) -> None:
    client = world.client("changchun")
    response = client.post(
        "/dispatch/board/remind/",
        {"plan": today_plan.pk, "region": "220100", "date": str(timezone.localdate())},
    )
    assert response.status_code == 302
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"reporter", "liaison"}
    inbox = world.client("reporter").get("/api/v1/notifications").json()
    assert inbox["count"] == 1 and "请尽快报送" in inbox["items"][0]["title"]
    assert (
        world.client("leader")
        .post("/dispatch/board/remind/", {"plan": today_plan.pk, "region": "220100"})
        .status_code
        == 403
    )


def test_a_reports_history_reads_in_the_reporters_words_not_codes(world: World, today_plan: Plan) -> None:
    e = world.enterprise("chaoyang")
    client = world.client("liaison")
    first = form(
        resumed="0", baseline_headcount="120", reported_back="0", isolated="0", on_duty="0", capacity_pct=""
    )
    assert client.post(f"/dispatch/e/{e.uscc}/report/", {**first, "measures": ["masks"]}).status_code == 302
    report = Report.objects.get(enterprise=e)
    changed = form(baseline_headcount="120", reported_back="100", on_duty="80", client_id="f-2")
    changed["base_revision"] = str(report.revision_count)
    assert client.post(f"/dispatch/e/{e.uscc}/report/", changed).status_code == 302
    page = world.client("changchun").get(f"/dispatch/reports/{report.pk}/").content.decode()
    assert "网页" in page and "否 → 是" in page and "测温" in page
    for code in (">web<", "False", "True", "'temperature'", "temperature"):
        assert code not in page, code
