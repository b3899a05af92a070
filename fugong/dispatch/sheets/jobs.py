"""Spreadsheet imports of reports run as jobs: small ones inside the upload's request, big ones
by `run_jobs`, both leaving their outcome and a result sheet on the job page."""

from __future__ import annotations

import datetime
from typing import Any

from fugong.core import jobs
from fugong.core.access import Action, access_object
from fugong.core.models import Channel, Job
from fugong.dispatch.models import Plan
from fugong.dispatch.sheets.reading import ReportImportResult, check_import_reports
from fugong.dispatch.sheets.result import result_workbook
from fugong.regions.models import access_node

MAX_LISTED_ROWS = 2000
KIND = "report_import"


@jobs.handler(KIND)
def run_report_import(job: Job) -> dict[str, Any]:
    """The job re-checks the uploader's scope: it may run after their roles have changed."""
    user, options = job.created_by, job.payload
    plan = access_object(Plan.objects.select_related("owner_region"), user, pk=options["plan"])
    region = access_node(user, options["region"], Action.REPORT) if options.get("region") else None
    result = check_import_reports(
        user,
        bytes(job.data or b""),
        options.get("filename", ""),
        plan=plan,
        day=datetime.date.fromisoformat(options["date"]),
        region=region,
        channel=Channel.EXCEL,
        dry_run=bool(options.get("dry_run")),
        confirm_warnings=bool(options.get("confirm_warnings")),
        overwrite_self_reports=overwrite_choice(options.get("overwrite_self_reports")),
        progress=lambda done, total: jobs.set_progress(job, done, total),
    )
    jobs.attach_file(job, result_workbook(result), result_filename(options.get("filename", "")))
    return result_summary(result)


def overwrite_choice(option: Any) -> bool | frozenset[str]:
    """The payload's choice: true for every row, or the USCCs of the rows the uploader named."""
    if isinstance(option, list):
        return frozenset(str(code) for code in option)
    return bool(option)


def result_filename(uploaded: str) -> str:
    stem = uploaded.rsplit(".", 1)[0] if "." in uploaded else uploaded
    return f"{stem or '调度表'}-导入结果.xlsx"


def result_summary(result: ReportImportResult) -> dict[str, Any]:
    """What the job page lists: the counts, then every row that needs a look (up to a limit)."""
    listed = [o for o in result.outcomes if o.status == "rejected" or o.notes]
    advice = ""
    if result.rejected and not result.written:
        advice = (
            f"有{len(result.rejected)}行未通过检查，本次未写入任何数据。请下载带结果的表格，"
            "按“导入结果”列修改后重新导入。"
        )
    return {
        "summary": result.summary(),
        "written": result.written,
        "advice": advice,
        "rejected_count": len(result.rejected),
        "rows": [
            {"row": o.row, "uscc": o.uscc, "name": o.name, "status": o.status_label, "message": o.message}
            for o in listed[:MAX_LISTED_ROWS]
        ],
        "listed_more": max(0, len(listed) - MAX_LISTED_ROWS),
        # the rows left alone, for the job page's "覆盖以下企业自行报送的数据" choice
        "kept": [{"uscc": o.uscc, "name": o.name} for o in result.kept[:MAX_LISTED_ROWS]],
        "kept_count": len(result.kept),
    }
