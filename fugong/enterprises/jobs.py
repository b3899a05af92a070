"""Background import of big registry files, with progress for the page that started it."""

from __future__ import annotations

from typing import Any

from fugong.core import jobs
from fugong.core.models import Channel, Job
from fugong.enterprises.importing import ImportResult, check_import_enterprises

MAX_REPORTED_ROWS = 2000


@jobs.handler("enterprise_import")
def run_enterprise_import(job: Job) -> dict[str, Any]:
    result = check_import_enterprises(
        job.created_by,
        bytes(job.data or b""),
        job.payload.get("filename", ""),
        channel=Channel.EXCEL,
        dry_run=job.payload.get("dry_run", False),
        partial=job.payload.get("partial", False),
        accounts=job.payload.get("accounts", False),
        progress=lambda done, total: jobs.set_progress(job, done, total),
    )
    return result_summary(result)


def result_summary(result: ImportResult) -> dict[str, Any]:
    """What the job page shows: the counts and every rejected row (up to a limit)."""
    return {
        "summary": result.summary(),
        "written": result.written,
        "rejected": [
            {"row": o.row, "uscc": o.uscc, "name": o.name, "message": o.message}
            for o in result.rejected[:MAX_REPORTED_ROWS]
        ],
        "rejected_count": len(result.rejected),
    }
