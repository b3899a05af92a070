"""The brief, the official-form spreadsheet and the API agree to the unit."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from docx import Document
from python_calamine import CalamineWorkbook

from fugong.briefing import brief, export
from fugong.core.models import Job
from fugong.dispatch.models import Plan
from fugong.regions.models import Region
from tests.conftest import World
from tests.support.reports import DAY
from tests.support.scenarios import scenario


def sheet_rows(data: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_api_brief_and_spreadsheets_give_the_same_figures(world: World, plan: Plan, tmp_path: Path) -> None:
    scenario(world)
    province = Region.objects.get(code="220000")
    api = world.client("province").get(f"/api/v1/stats/resumption?plan={plan.pk}&date={DAY}").json()["total"]

    text = brief.build(plan, DAY, province, world.user("province")).text()
    assert (
        f"纳入“{plan.title}”调度的企业{api['enterprises']}户，已复工{api['resumed']}户，复工率50.0%" in text
    )
    assert (
        f"在册员工{api['baseline_headcount']}人，已报到{api['reported_back']}人（其中报到后隔离{api['isolated']}人），实际到岗{api['on_duty']}人"
        in text
    )
    assert "已复工企业在册员工600人、实际到岗350人，到岗率（已复工企业）58.3%" in text  # 350 ÷ 600
    assert "产能恢复率（已复工企业加权）57.4%" in text  # (55×480 + 80×50) ÷ 530

    path = tmp_path / "r.xlsx"
    export.by_region(path, plan, DAY, province, world.user("province"))
    totals = sheet_rows(path.read_bytes())[-1]
    assert totals[0] == "合计"
    assert [int(v) for v in totals[2:4] + totals[5:9]] == [
        api["enterprises"],
        api["resumed"],
        api["baseline_headcount"],
        api["reported_back"],
        api["isolated"],
        api["on_duty"],
    ]
    assert totals[4] == 50.0 and totals[9] == 36.5 and totals[12] == 58.3  # 350 ÷ 960, 350 ÷ 600

    path = tmp_path / "e.xlsx"
    rows = export.by_enterprise(path, plan, DAY, province, world.user("province"))
    grid = sheet_rows(path.read_bytes())
    assert rows == api["enterprises"] == len(grid) - 5  # title, unit line, two header rows, totals
    assert grid[-1][6:10] == [
        api["baseline_headcount"],
        api["reported_back"],
        api["isolated"],
        api["on_duty"],
    ]
    states = {row[1]: row[14] for row in grid[4:-1]}
    # received at 09:00 UTC, i.e. 17:00 in Shanghai: after the 16:00 deadline
    assert (
        states["长春南关汽车零部件有限公司"] == "迟报 17:00"
        and states["长春朝阳食品有限公司"] == "未报（沿用02-15）"
    )


def test_the_spreadsheet_has_the_official_two_row_header_frozen_and_a4_landscape(
    world: World, plan: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "e.xlsx"
    export.by_enterprise(path, plan, DAY, Region.objects.get(code="220100"), world.user("changchun"))
    grid = sheet_rows(path.read_bytes())
    assert grid[0][0] == f"{plan.title}调度表" and grid[1][0] == "填报单位：长春市"
    assert grid[2][6] == "员工情况（人）" and grid[3][6:10] == ["在册", "报到", "隔离", "到岗"]
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<mergeCell ref="G3:J3"/>' in xml and '<mergeCell ref="B3:B4"/>' in xml
    assert 'state="frozen"' in xml and 'orientation="landscape"' in xml and 'paperSize="9"' in xml


def test_the_brief_uses_the_plans_attendance_variant(world: World, plan: Plan) -> None:
    scenario(world)
    plan.attendance_basis = "all"
    text = brief.build(plan, DAY, Region.objects.get(code="220000"), world.user("province")).text()
    assert "到岗率（全部企业）36.5%" in text  # 350 ÷ 960


def test_the_pages_download_a_brief_and_a_sheet_within_scope(world: World, plan: Plan) -> None:
    scenario(world)
    client = world.client("changchun")
    page = client.get(f"/dispatch/brief/?plan={plan.pk}&date={DAY}")
    assert page.status_code == 200 and "长春市" in page.content.decode()
    docx = client.get(f"/dispatch/brief.docx?plan={plan.pk}&date={DAY}")
    paragraphs = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    assert any("已复工2户" in p for p in paragraphs)
    sheet = client.get(f"/dispatch/export.xlsx?plan={plan.pk}&date={DAY}")
    assert sheet.status_code == 200 and "attachment" in sheet["Content-Disposition"]
    grid = sheet_rows(sheet.getvalue())
    assert len(grid) - 5 == 2
    # above one's scope: no sheet, but the brief page of one's own region saying why
    above = client.get(f"/dispatch/export.xlsx?plan={plan.pk}&date={DAY}&region=220000")
    assert above.status_code == 302 and above["Location"].startswith("/dispatch/brief/?")
    reporter = world.client("reporter").get(f"/dispatch/brief/?plan={plan.pk}&date={DAY}").content.decode()
    assert "您负责的是具体企业，没有可汇总的区划" in reporter


def test_the_commands_print_the_brief_and_write_the_files(
    world: World, plan: Plan, tmp_path: Path, capsys: Any
) -> None:
    scenario(world)
    call_command(
        "daily_brief",
        "--plan",
        str(plan.pk),
        "--date",
        str(DAY),
        "--region",
        "220000",
        "-o",
        str(tmp_path / "b.docx"),
    )
    out = capsys.readouterr().out
    assert re.search(r"截至2月17日16时，全省纳入.*企业4户，已复工2户", out) and (tmp_path / "b.docx").exists()
    call_command(
        "export_dispatch",
        "--plan",
        str(plan.pk),
        "--date",
        str(DAY),
        "--region",
        "220100",
        "-o",
        str(tmp_path / "x.xlsx"),
    )
    assert "已导出" in capsys.readouterr().out and len(sheet_rows((tmp_path / "x.xlsx").read_bytes())) == 7


def test_the_dashboard_shows_the_same_rates_and_respects_scope(world: World, plan: Plan) -> None:
    scenario(world)
    response = world.client("province").get(f"/dispatch/dashboard/?plan={plan.pk}&date={DAY}")
    data = response.context["data"]
    assert (data["kpis"]["resumption"], data["kpis"]["attendance"], data["kpis"]["capacity"]) == (
        50.0,
        58.3,
        57.4,
    )
    assert data["trend"]["resumption"][-1] == 50.0 and len(data["trend"]["days"]) == 14
    assert {r["name"] for r in data["regions"]} == {"长春市", "吉林市", "长春新区"}
    assert "复工率 = 已复工企业数 ÷ 纳入调度的企业数" in response.content.decode()  # definitions on hover
    above = world.client("changchun").get(f"/dispatch/dashboard/?plan={plan.pk}&date={DAY}&region=220000")
    assert above.context["region"].code == "220100"  # the city's own figures, never the province's
    assert "“吉林省”不完全在您的管辖范围内" in above.content.decode()
    city = world.client("changchun").get(f"/dispatch/dashboard/?plan={plan.pk}&date={DAY}")
    assert city.context["region"].code == "220100" and city.context["data"]["kpis"]["enterprises"] == 2


def test_a_big_regions_sheet_is_written_by_a_job_and_offered_on_its_page(
    world: World, plan: Plan, settings: Any
) -> None:
    scenario(world)
    settings.FUGONG_BACKGROUND_EXPORT_ROWS = 1  # 长春市 has two enterprises: "big" here
    client = world.client("changchun")
    response = client.get(f"/dispatch/export.xlsx?plan={plan.pk}&date={DAY}")
    job = Job.objects.get(kind="dispatch_export")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert "排队中" in client.get(response["Location"]).content.decode()
    call_command("run_jobs", "--once", stdout=io.StringIO())
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "已导出长春市2户企业的调度表" in page and "下载调度表" in page
    sheet = client.get(f"/jobs/{job.pk}/result.xlsx")
    assert (
        "%E8%B0%83%E5%BA%A6%E8%A1%A8-%E9%95%BF%E6%98%A5%E5%B8%82" in sheet["Content-Disposition"]
    )  # 调度表-长春市
    assert len(sheet_rows(sheet.content)) - 5 == 2
    assert world.client("jilin").get(f"/jobs/{job.pk}/result.xlsx").status_code == 404  # someone else's job
    by_region = client.get(f"/dispatch/export.xlsx?plan={plan.pk}&date={DAY}&by=region")
    assert by_region.status_code == 200  # the summary by region is small: always at once
