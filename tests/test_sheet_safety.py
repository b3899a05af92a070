"""Every workbook the system writes keeps what users typed as text: no formula, no live link.

Each writer gets formula-like text in an enterprise name, 防疫措施, 突出问题, 政策建议, a plan's
own item and the plan's title; the file's XML must hold no formula cell, the text must read back
as typed behind the one documented guard (a leading apostrophe), and numbers must stay numbers.
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from fugong.briefing import export
from fugong.core import sheets
from fugong.core.models import Job
from fugong.core.tables import read_sheets
from fugong.dispatch.models import Plan, Report
from fugong.dispatch.sheets import template as report_template
from fugong.dispatch.sheets.reading import check_import_reports
from fugong.dispatch.sheets.result import result_workbook
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Region
from tests.conftest import World
from tests.support.reports import DAY, at
from tests.support.scenarios import scenario
from tests.support.sheets import REPORT_HEADER, report_row

NASTY = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2",
    "@SUM(A1)",
    "\t=1+1",
]
HYPERLINK, CMD, PLUS, MINUS, AT, TAB = NASTY


def formulas(data: bytes) -> list[str]:
    """Every formula cell (<f>) in every worksheet of the file."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    found = []
    for name in archive.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            found += re.findall(r"<f[ >].*?</f>|<f/>", archive.read(name).decode())
    return found


def grid(data: bytes, index: int = 0) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(index).to_python()


def cells(data: bytes) -> set[Any]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {v for name in book.sheet_names for r in book.get_sheet_by_name(name).to_python() for v in r}


def assert_safe(data: bytes, *typed: str) -> None:
    assert formulas(data) == []
    written = cells(data)
    for text in typed:
        assert sheets.guard(text) in written, text  # as typed, behind the apostrophe
        assert text not in written
    back = {v for sheet in read_sheets(data, "x.xlsx") for r in sheet.rows for v in r}
    assert set(typed) <= back  # and the importer reads them as typed


def test_the_guard_is_an_apostrophe_before_a_formula_trigger_only() -> None:
    assert [sheets.guard(t) for t in NASTY] == ["'" + t for t in NASTY]
    assert sheets.guard("长春南关汽车零部件有限公司") == "长春南关汽车零部件有限公司"
    assert sheets.guard("'引号开头") == "'引号开头" and sheets.unguard("'引号开头") == "'引号开头"
    assert all(sheets.unguard(sheets.guard(t)) == t for t in [*NASTY, "普通文字", "", "'"])


@pytest.fixture
def nasty(world: World, plan: Plan) -> Plan:
    """The scenario, with formula-like text wherever a user types it."""
    scenario(world)
    nanguan = world.enterprise("nanguan")  # found by its name: before the name changes
    Enterprise.objects.filter(pk=nanguan.pk).update(name=HYPERLINK)
    Report.objects.filter(enterprise=nanguan, date=DAY).update(
        measures=[CMD], problem_tags=[], problems=PLUS, suggestions=MINUS, extra={"orders": AT}
    )
    plan.title = AT
    plan.extra_fields = [{"key": "orders", "label": TAB, "type": "text"}]
    plan.save()
    return plan


def test_the_official_sheet_by_enterprise_writes_names_and_answers_as_text(
    world: World, nasty: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "e.xlsx"
    export.by_enterprise(path, nasty, DAY, Region.objects.get(code="220000"), world.user("province"))
    data = path.read_bytes()
    assert_safe(data, HYPERLINK, CMD, PLUS, MINUS)
    rows = grid(data)
    assert rows[0][0] == sheets.guard(f"{AT}调度表")
    nanguan = next(r for r in rows if r[1] == sheets.guard(HYPERLINK))
    assert nanguan[6:10] == [480, 300, 20, 260] and nanguan[10] == 55  # numbers stay numbers
    assert all(isinstance(v, float) for v in nanguan[6:11])


def test_the_official_sheet_by_region_writes_the_plan_title_as_text(
    world: World, nasty: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "r.xlsx"
    export.by_region(path, nasty, DAY, Region.objects.get(code="220000"), world.user("province"))
    data = path.read_bytes()
    assert formulas(data) == []
    rows = grid(data)
    assert rows[0][0] == sheets.guard(f"{AT}调度汇总表")
    assert isinstance(rows[-1][2], float) and rows[-1][2] == 4  # the totals stay numbers


def test_the_background_export_job_writes_text_as_text(world: World, nasty: Plan, settings: Any) -> None:
    settings.FUGONG_BACKGROUND_EXPORT_ROWS = 1
    client = world.client("changchun")
    response = client.get(f"/dispatch/export.xlsx?plan={nasty.pk}&date={DAY}")
    assert response.status_code == 302
    call_command("run_jobs", "--once", stdout=io.StringIO())
    job = Job.objects.get(kind="dispatch_export")
    data = client.get(f"/jobs/{job.pk}/result.xlsx").content
    assert_safe(data, HYPERLINK, CMD, PLUS, MINUS)


def test_the_fill_in_template_writes_names_titles_and_the_plans_items_as_text(
    world: World, nasty: Plan, tmp_path: Path
) -> None:
    path = tmp_path / "t.xlsx"
    count = report_template.write_template(
        nasty, DAY, Region.objects.get(code="220100"), world.user("changchun"), path
    )
    data = path.read_bytes()
    assert count == 2
    assert_safe(data, HYPERLINK, TAB)
    rows = grid(data)
    assert rows[0][0] == sheets.guard(f"{AT}填报表")
    header = rows[report_template.HEADER_ROW]
    assert sheets.guard(TAB) in header  # the plan's own item, as its header
    nanguan = next(r for r in rows if r[1] == sheets.guard(HYPERLINK))
    assert nanguan[header.index("在册员工")] == 480  # the pre-filled headcount is a number


def test_the_import_result_sheet_writes_the_uploaded_cells_as_text(world: World, plan: Plan) -> None:
    plan.lock_after_days = None
    plan.save()
    header = [*REPORT_HEADER, "突出问题", "政策建议"]
    upload = sheets_csv(
        [
            header,
            [*report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"), PLUS, MINUS],
            [*report_row(world, "chaoyang", "是", 120, 20, 0, 30, "50%"), CMD, AT],  # 30 > 20: refused
        ]
    )
    # a CSV holds the text as typed; a clerk's Excel would hold the formula itself
    result = check_import_reports(
        world.user("province"), upload, "调度表.csv", plan=plan, day=DAY, now=at(DAY, 15), dry_run=True
    )
    data = result_workbook(result)
    assert_safe(data, PLUS, MINUS, CMD, AT)
    rows = grid(data)
    assert rows[1][3] == "480" and rows[1][-1].startswith("已导入")  # a CSV's cells were text: kept so


def test_a_written_template_imports_its_guarded_text_as_typed(world: World, plan: Plan) -> None:
    """The guard is for the spreadsheet only: a report's text round-trips through the system's sheets."""
    plan.lock_after_days = None
    plan.save()
    upload = sheets_csv(
        [
            [*REPORT_HEADER, "突出问题"],
            [*report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"), f"'{PLUS}"],
        ]
    )
    check_import_reports(world.user("province"), upload, "调度表.csv", plan=plan, day=DAY, now=at(DAY, 15))
    assert Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY).problems == PLUS
    assert Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY).on_duty == 280
    assert Decimal(65) == Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY).capacity_pct


def sheets_csv(rows: list[list[Any]]) -> bytes:
    from tests.support import sheets as builders

    return builders.csv_bytes(rows)
