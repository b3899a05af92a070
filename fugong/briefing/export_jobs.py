"""Big official-form exports run as jobs: a province's sheet of tens of thousands of enterprises
is written by `run_jobs` while the page shows progress, then offered for download."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings

from fugong.briefing import export
from fugong.core import jobs
from fugong.core.access import Action, access_object
from fugong.core.models import Job
from fugong.dispatch.figures.completeness import expected_enterprises
from fugong.dispatch.models import Plan
from fugong.regions.models import Region, access_node

KIND = "dispatch_export"


def export_filename(region: Region, day: datetime.date, by_region: bool) -> str:
    return f"调度{'汇总' if by_region else ''}表-{region.name}-{day}.xlsx"


def is_big(plan: Plan, day: datetime.date, region: Region, user: Any) -> bool:
    rows = expected_enterprises(plan, day, region, user).count()
    return rows > int(getattr(settings, "FUGONG_BACKGROUND_EXPORT_ROWS", 5000))


def enqueue_export(user: Any, plan: Plan, day: datetime.date, region: Region) -> Job:
    return jobs.enqueue(
        KIND,
        user=user,
        title=f"导出调度表：{plan.title} {region.name} {day}",
        payload={"plan": plan.pk, "date": day.isoformat(), "region": region.code},
    )


@jobs.handler(KIND)
def run_export(job: Job) -> dict[str, Any]:
    """Written with the requester's scope as it is when the job runs."""
    user, options = job.created_by, job.payload
    plan = access_object(Plan.objects.select_related("owner_region"), user, pk=options["plan"])
    region = access_node(user, options["region"], Action.VIEW)
    day = datetime.date.fromisoformat(options["date"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.xlsx"
        rows = export.by_enterprise(path, plan, day, region, user)
        jobs.attach_file(job, path.read_bytes(), export_filename(region, day, by_region=False))
    return {"summary": f"已导出{region.name}{rows}户企业的调度表", "download": "下载调度表"}
