"""The import page, its job and result sheet, and the import_reports command."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from fugong.core import jobs
from fugong.core.models import Job
from fugong.dispatch.models import Plan, Report
from tests.conftest import World
from tests.support import sheets
from tests.support.reports import DAY
from tests.support.sheets import REPORT_HEADER, report_row


@pytest.fixture
def open_plan(plan: Plan) -> Plan:
    """The plan without its 3-day lock: these tests run years after DAY."""
    plan.lock_after_days = None
    plan.save()
    return plan


def good_and_bad(world: World) -> bytes:
    return sheets.xlsx(
        (
            "调度表",
            [
                ["长春市外贸企业复工情况调度表"],
                REPORT_HEADER,
                report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%"),
                report_row(world, "chaoyang", "是", 120, 20, 0, 30, "50%"),
            ],
        )
    )


def upload(world: World, plan: Plan, data: bytes, persona: str = "changchun", **fields: Any) -> Any:
    client = world.client(persona)
    return client.post(
        "/dispatch/import/",
        {
            "plan": plan.pk,
            "date": DAY.isoformat(),
            "region": "220100",
            "file": SimpleUploadedFile("长春.xlsx", data),
            **fields,
        },
        follow=True,
    ), client


def test_a_small_sheet_is_imported_at_once_and_the_job_page_says_so(world: World, open_plan: Plan) -> None:
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")])
    )
    response, _ = upload(world, open_plan, data)
    page = response.content.decode()
    assert response.status_code == 200 and "导入完成" in page and "导入1行" in page
    assert Report.objects.get(date=DAY).revisions.get().channel == "excel"


def test_rejected_rows_are_listed_and_the_result_sheet_marks_them(world: World, open_plan: Plan) -> None:
    response, client = upload(world, open_plan, good_and_bad(world))
    page = response.content.decode()
    assert "未写入任何数据" in page and "实际到岗人数(30)大于报到人数(20)" in page
    assert Report.objects.count() == 0
    job = Job.objects.get()
    download = client.get(f"/jobs/{job.pk}/result.xlsx")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "长春市外贸企业复工情况调度表"  # the sheet as it came, titles and all
    assert rows[1][-1] == "导入结果"
    assert str(rows[2][-1]).startswith("已导入") and str(rows[3][-1]).startswith("拒绝：实际到岗人数(30)")
    assert world.client("jilin").get(f"/jobs/{job.pk}/result.xlsx").status_code == 404  # not theirs


def test_a_big_sheet_waits_for_the_worker_with_progress(world: World, open_plan: Plan, settings: Any) -> None:
    settings.FUGONG_BACKGROUND_IMPORT_BYTES = 100
    data = sheets.xlsx(
        ("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")])
    )
    response, client = upload(world, open_plan, data)
    assert "排队中" in response.content.decode() and Report.objects.count() == 0
    assert jobs.run_one()
    job = Job.objects.get()
    assert job.status == Job.Status.DONE and (job.progress_done, job.progress_total) == (1, 1)
    assert "导入完成" in client.get(f"/jobs/{job.pk}/").content.decode()
    assert Report.objects.count() == 1


def test_an_unreadable_file_fails_the_job_with_its_reason(world: World, open_plan: Plan) -> None:
    response, _ = upload(world, open_plan, sheets.docx_like())
    assert "Word 文档" in response.content.decode() and Report.objects.count() == 0


def test_a_region_outside_the_users_scope_is_refused(world: World, open_plan: Plan) -> None:
    client = world.client("changchun")
    response = client.post(
        "/dispatch/import/",
        {
            "plan": open_plan.pk,
            "date": DAY.isoformat(),
            "region": "220200",
            "file": SimpleUploadedFile("a.xlsx", b"x"),
        },
    )
    assert response.status_code == 404 and not Job.objects.exists()


def test_the_command_exits_1_and_writes_nothing_on_rejected_rows(
    world: World, open_plan: Plan, tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "长春.xlsx"
    path.write_bytes(good_and_bad(world))
    result_path = tmp_path / "结果.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_reports", str(path), plan=open_plan.pk, date=DAY.isoformat(), result=str(result_path)
        )
    assert exit_info.value.code == 1 and Report.objects.count() == 0
    out = capsys.readouterr().out
    assert "第4行" in out and "未写入任何数据" in out
    assert result_path.exists()


def test_the_command_imports_a_good_sheet(world: World, open_plan: Plan, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "长春.csv"
    path.write_bytes(
        sheets.csv_bytes([REPORT_HEADER, report_row(world, "nanguan", "是", 480, 300, 10, 280, "65%")])
    )
    call_command("import_reports", str(path), plan=open_plan.pk, date=DAY.isoformat())
    assert "导入完成" in capsys.readouterr().out
    assert Report.objects.get().revisions.get().channel == "cli"
