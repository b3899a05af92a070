"""A third party never overwrites an enterprise's own report of the day, nor clears a stored
value with a blank, unless that person explicitly chooses to (issue 12, §1.3) — on every way in:
the sheet import (function, page, job, command), the on-behalf form and a dispatcher's API token."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from python_calamine import CalamineWorkbook

from fugong.core.models import Job
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.dispatch.reports.submit import ConfirmationRequired, check_submit_report
from fugong.dispatch.sheets.reading import check_import_reports
from tests.conftest import PASSWORD, World
from tests.support import sheets
from tests.support.reports import DAY, OWN, at, own_report

# the county's sheet with the columns only an enterprise fills
HEADER = [*sheets.REPORT_HEADER, "防疫措施", "问题类别", "突出问题"]


@pytest.fixture
def open_plan(plan: Plan) -> Plan:
    """No lock: the page and API tests run years after DAY."""
    plan.lock_after_days = None
    plan.save()
    return plan


def county_sheet(world: World) -> bytes:
    """The county's figures for nanguan (实际上岗 73), its 措施/类别/问题 columns left blank."""
    return sheets.xlsx(
        (
            "调度表",
            [HEADER, sheets.report_row(world, "nanguan", "是", 480, 300, 10, 73, 55, None, None, None)],
        )
    )


def run(world: World, data: bytes, persona: str = "changchun", **options: Any) -> Any:
    plan = Plan.objects.get()
    return check_import_reports(
        world.user(persona), data, "调度表.xlsx", plan=plan, day=DAY, now=at(DAY, 15), **options
    )


# the sheet import --------------------------------------------------------------------------


def test_an_import_leaves_an_enterprises_own_report_alone_and_says_so(world: World, open_plan: Plan) -> None:
    own_report(world)
    result = run(world, county_sheet(world))
    outcome = result.outcomes[0]
    assert outcome.status == "kept" and "企业已于 11:47 自行报送，未覆盖" in outcome.message
    assert result.written and not result.rejected  # skipped, not rejected: the import does not fail
    assert "企业已自行报送未覆盖1行" in result.summary()
    report = Report.objects.get(date=DAY)
    assert (report.on_duty, report.revision_count) == (70, 1)
    assert report.measures == ["temperature", "disinfection"] and report.problems == OWN["problems"]


def test_an_import_overwrites_when_asked_but_blank_cells_clear_nothing(world: World, open_plan: Plan) -> None:
    own_report(world)
    result = run(world, county_sheet(world), overwrite_self_reports=True)
    assert result.outcomes[0].status == "imported"
    assert "已按您的选择覆盖企业 11:47 自行报送的数据" in result.outcomes[0].message
    report = Report.objects.get(date=DAY)
    assert report.on_duty == 73
    assert report.measures == ["temperature", "disinfection"]  # the blank 防疫措施 cell cleared nothing
    assert (report.problem_tags, report.problems) == (["logistics"], OWN["problems"])
    assert report.revisions.get(number=2).changes == {"on_duty": [70, 73]}


def test_an_import_overwrites_only_the_enterprises_named(world: World, open_plan: Plan) -> None:
    own_report(world)
    other = run(world, county_sheet(world), overwrite_self_reports={world.enterprise("chaoyang").uscc})
    assert other.outcomes[0].status == "kept"
    named = run(world, county_sheet(world), overwrite_self_reports={world.enterprise("nanguan").uscc})
    assert named.outcomes[0].status == "imported" and Report.objects.get(date=DAY).on_duty == 73


def test_blank_cells_never_clear_a_stored_value_of_a_third_partys_report(
    world: World, open_plan: Plan
) -> None:
    run(
        world,
        sheets.xlsx(
            (
                "调度表",
                [
                    HEADER,
                    sheets.report_row(
                        world, "nanguan", "是", 480, 300, 10, 70, 55, "测温", "物流运输不畅", "缺工"
                    ),
                ],
            )
        ),
    )
    again = run(world, county_sheet(world))  # nobody's own report: no choice needed, still no clearing
    assert again.outcomes[0].status == "imported"
    report = Report.objects.get(date=DAY)
    assert (report.on_duty, report.measures, report.problem_tags, report.problems) == (
        73,
        ["temperature"],
        ["logistics"],
        "缺工",
    )


def test_an_unchanged_row_over_an_own_report_is_simply_unchanged(world: World, open_plan: Plan) -> None:
    own_report(world)
    same = sheets.xlsx(
        (
            "调度表",
            [HEADER, sheets.report_row(world, "nanguan", "是", 480, 300, 10, 70, 55, None, None, None)],
        )
    )
    assert run(world, same).outcomes[0].status == "unchanged"


def test_an_enterprises_own_reporter_may_import_over_its_own_report(world: World, open_plan: Plan) -> None:
    own_report(world)
    result = run(world, county_sheet(world), persona="reporter")
    assert result.outcomes[0].status == "imported" and Report.objects.get(date=DAY).on_duty == 73


def test_the_job_page_lists_the_rows_left_alone_and_offers_to_overwrite_them(
    world: World, open_plan: Plan
) -> None:
    own_report(world)
    client = world.client("changchun")
    response = client.post(
        "/dispatch/import/",
        {
            "plan": open_plan.pk,
            "date": DAY.isoformat(),
            "region": "220100",
            "file": SimpleUploadedFile("长春.xlsx", county_sheet(world)),
        },
        follow=True,
    )
    page = response.content.decode()
    nanguan = world.enterprise("nanguan")
    assert "导入完成" in page and "企业已于 11:47 自行报送，未覆盖" in page
    assert f"覆盖以下企业自行报送的数据：{nanguan.name}（{nanguan.uscc}）" in page
    assert Report.objects.get(date=DAY).on_duty == 70
    first = Job.objects.get()
    download = client.get(f"/jobs/{first.pk}/result.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_index(0).to_python()
    assert rows[1][-1] == "企业已自行报送，未覆盖：企业已于 11:47 自行报送，未覆盖"

    unticked = client.post("/dispatch/import/", {"rerun": first.pk}, follow=True)
    assert "请勾选“覆盖以下企业自行报送的数据”" in unticked.content.decode()
    assert Report.objects.get(date=DAY).on_duty == 70

    ticked = client.post("/dispatch/import/", {"rerun": first.pk, "overwrite": nanguan.uscc}, follow=True)
    assert "导入1行" in ticked.content.decode()
    report = Report.objects.get(date=DAY)
    assert report.on_duty == 73 and report.measures == ["temperature", "disinfection"]
    assert (
        world.client("jilin")
        .post("/dispatch/import/", {"rerun": first.pk, "overwrite": nanguan.uscc})
        .status_code
        == 404
    )


def test_the_command_keeps_own_reports_unless_told_to_overwrite(
    world: World, open_plan: Plan, tmp_path: Path, capsys: Any
) -> None:
    own_report(world)
    path = tmp_path / "长春.xlsx"
    path.write_bytes(county_sheet(world))
    call_command("import_reports", str(path), plan=open_plan.pk, date=DAY.isoformat())
    out = capsys.readouterr().out
    assert "企业已于 11:47 自行报送，未覆盖" in out and "--overwrite-self-reports" in out
    assert Report.objects.get(date=DAY).on_duty == 70
    call_command(
        "import_reports", str(path), "--overwrite-self-reports", plan=open_plan.pk, date=DAY.isoformat()
    )
    assert "导入1行" in capsys.readouterr().out
    assert Report.objects.get(date=DAY).on_duty == 73


# the on-behalf form and the API ---------------------------------------------------------------


def form_post(values: dict[str, Any], confirm: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "resumed": "1" if values["resumed"] else "0",
        "baseline_headcount": values["baseline_headcount"],
        "reported_back": values["reported_back"],
        "isolated": values["isolated"],
        "on_duty": values["on_duty"],
        "capacity_pct": values["capacity_pct"],
        "measures": values.get("measures", []),
        "problem_tags": values.get("problem_tags", []),
        "problems": values.get("problems", ""),
        "date": DAY.isoformat(),
        "confirm": list(confirm),
    }


def test_the_on_behalf_form_shows_the_enterprises_own_values_before_overwriting(
    world: World, open_plan: Plan
) -> None:
    own_report(world)
    nanguan = world.enterprise("nanguan")
    client = world.client("changchun")
    url = f"/dispatch/e/{nanguan.uscc}/report/"
    response = client.post(url, form_post({**OWN, "on_duty": 73}))
    page = response.content.decode()
    assert (
        "企业已于 11:47 自行报送当日情况" in page
        and "实际到岗 70" in page
        and "防疫措施落实 测温、消毒" in page
    )
    assert "实际到岗 70 → 73" in page and 'value="overwrite_self_report"' in page
    assert Report.objects.get(date=DAY).on_duty == 70
    client.post(url, form_post({**OWN, "on_duty": 73}, ["overwrite_self_report"]))
    report = Report.objects.get(date=DAY)
    assert report.on_duty == 73 and report.revisions.get(number=2).on_behalf


def test_the_on_behalf_form_asks_before_a_blank_clears_a_stored_value(world: World, open_plan: Plan) -> None:
    check_submit_report(
        world.user("changchun"), world.enterprise("nanguan"), DAY, OWN, channel="web", now=at(DAY, 10)
    )  # the county's own earlier entry: no self-report, only the blanks are asked about
    values = {**OWN, "problems": ""}
    with pytest.raises(ConfirmationRequired) as refused:
        check_submit_report(
            world.user("changchun"), world.enterprise("nanguan"), DAY, values, channel="web", now=at(DAY, 11)
        )
    assert [w["code"] for w in refused.value.details["warnings"]] == ["clears_stored_values"]
    assert "开工后突出问题（原为：物流受阻，原料运不进来）" in refused.value.message
    check_submit_report(
        world.user("changchun"),
        world.enterprise("nanguan"),
        DAY,
        values,
        channel="web",
        now=at(DAY, 11),
        confirm=["clears_stored_values"],
    )
    assert Report.objects.get(date=DAY).problems == ""


def api(world: World, persona: str, body: dict[str, Any]) -> Any:
    """A script with the persona's API token (not a browser session)."""
    client = Client()
    answer = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": persona, "password": PASSWORD}),
        content_type="application/json",
    )
    token = answer.json()["token"]
    return client.post(
        "/api/v1/reports",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_dispatchers_token_gets_the_confirmation_too_and_unsent_fields_are_kept(
    world: World, open_plan: Plan
) -> None:
    own_report(world)
    nanguan = world.enterprise("nanguan")
    body = {
        "enterprise": nanguan.uscc,
        "date": DAY.isoformat(),
        "resumed": True,
        "baseline_headcount": 480,
        "reported_back": 300,
        "isolated": 10,
        "on_duty": 73,
        "capacity_pct": 55,
    }
    refused = api(world, "changchun", body)
    assert refused.status_code == 422
    warning = refused.json()["details"]["warnings"][0]
    assert warning["code"] == "overwrite_self_report" and "企业已于 11:47 自行报送" in warning["message"]
    assert Report.objects.get(date=DAY).on_duty == 70
    accepted = api(world, "changchun", {**body, "confirm": ["overwrite_self_report"]})
    assert accepted.status_code == 200
    data = accepted.json()
    assert data["on_duty"] == 73 and data["measures"] == ["temperature", "disinfection"]  # not sent: kept
    assert data["problems"] == OWN["problems"] and data["capacity_pct"] in ("55.00", 55, "55")


def test_the_enterprises_own_reporter_is_not_asked(world: World, open_plan: Plan) -> None:
    own_report(world)
    own_report(world, on_duty=73)  # its own correction: no confirmation
    assert Report.objects.get(date=DAY).on_duty == 73
    assert not ReportRevision.objects.filter(on_behalf=True).exists()


def test_capacity_is_shown_without_trailing_zeros(world: World, open_plan: Plan) -> None:
    own_report(world)
    with pytest.raises(ConfirmationRequired) as refused:
        check_submit_report(
            world.user("changchun"),
            world.enterprise("nanguan"),
            DAY,
            {**OWN, "capacity_pct": Decimal("60.5")},
            channel="web",
            now=at(DAY, 15),
        )
    assert "实际产能恢复比例 55% → 60.5%" in refused.value.message


def test_a_big_sheet_run_by_the_worker_keeps_own_reports_and_its_overwrite_run_too(
    world: World, open_plan: Plan, settings: Any
) -> None:
    from fugong.core import jobs

    settings.FUGONG_BACKGROUND_IMPORT_BYTES = 100  # every upload waits for run_jobs
    own_report(world)
    client = world.client("changchun")
    client.post(
        "/dispatch/import/",
        {
            "plan": open_plan.pk,
            "date": DAY.isoformat(),
            "file": SimpleUploadedFile("长春.xlsx", county_sheet(world)),
        },
    )
    assert jobs.run_one()
    first = Job.objects.get()
    assert first.result["kept"] == [
        {"uscc": world.enterprise("nanguan").uscc, "name": world.enterprise("nanguan").name}
    ]
    assert "企业已于 11:47 自行报送，未覆盖" in first.result["rows"][0]["message"]
    assert Report.objects.get(date=DAY).on_duty == 70
    client.post("/dispatch/import/", {"rerun": first.pk, "overwrite": world.enterprise("nanguan").uscc})
    assert jobs.run_one()
    assert Report.objects.get(date=DAY).on_duty == 73
