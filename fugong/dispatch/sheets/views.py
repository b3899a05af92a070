"""The page where a county or city uploads filled dispatch sheets (or a liaison their firms')."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fugong.core import jobs
from fugong.core.access import Action, access_object, require_action
from fugong.core.errors import DomainError, ValidationFailed
from fugong.core.middleware import accepts_uploads
from fugong.core.models import Job
from fugong.dispatch.figures import defaults
from fugong.dispatch.models import Plan
from fugong.dispatch.params import day_param, int_param
from fugong.dispatch.sheets.jobs import KIND
from fugong.regions.models import access_node


@accepts_uploads
@login_required
def report_import(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.REPORT)
    choice = defaults.choose(request)  # the form opens on the same defaults as the board
    if request.method != "POST":
        for note in choice.notes:
            messages.warning(request, note)
    context: dict[str, Any] = {
        "plans": choice.plans,
        "plan": choice.plan,
        "day": choice.day,
        "region": choice.region,
        "max_mb": settings.FUGONG_MAX_UPLOAD_BYTES // 1048576,
    }
    if request.method == "POST":
        try:
            if request.POST.get("rerun"):
                return rerun_overwriting(request)
            return start_import(request)
        except DomainError as exc:
            context["error"] = exc
            return render(request, "dispatch/import.html", context, status=exc.status)
    return render(request, "dispatch/import.html", context)


def start_import(request: HttpRequest) -> HttpResponse:
    """Checks what can be checked at once, then hands the file to a job: small files are run
    before answering, big ones by `run_jobs` while the job page shows progress."""
    plan = access_object(
        Plan.objects.select_related("owner_region"), request.user, pk=int_param(request.POST, "plan")
    )
    day = day_param(request)
    code = request.POST.get("region") or ""
    region = access_node(request.user, code, Action.REPORT) if code else None
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationFailed("请选择要导入的填报表（.xlsx、.xls 或 .csv）")
    if upload.size and upload.size > settings.FUGONG_MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            f"文件过大（{upload.size / 1048576:.1f} MB），上限为{settings.FUGONG_MAX_UPLOAD_BYTES // 1048576} MB；"
            "请按区县分成几个文件导入"
        )
    job = jobs.enqueue(
        KIND,
        user=request.user,
        title=f"导入填报表：{upload.name}（{day:%Y年%m月%d日}）",
        payload={
            "plan": plan.pk,
            "date": day.isoformat(),
            "region": region.code if region else "",
            "filename": upload.name or "",
            "dry_run": bool(request.POST.get("dry_run")),
            "confirm_warnings": bool(request.POST.get("confirm_warnings")),
        },
        data=upload.read(),
    )
    if not upload.size or upload.size <= settings.FUGONG_BACKGROUND_IMPORT_BYTES:
        jobs.run_now(job)
    return redirect("job_detail", job_id=job.pk)


def rerun_overwriting(request: HttpRequest) -> HttpResponse:
    """The job page's choice "覆盖以下企业自行报送的数据：…": the same rows again, overwriting the
    own reports of exactly the enterprises the page named and the user ticked. The upload itself
    is dropped when a job ends; its result sheet holds the rows as they were read (values, one
    more column that the import ignores), so that is what is imported again."""
    earlier = access_object(Job.objects.filter(kind=KIND), request.user, pk=int_param(request.POST, "rerun"))
    ticked = [code for value in request.POST.getlist("overwrite") for code in value.split(",")]
    chosen = sorted({code.strip().upper() for code in ticked if code.strip()})
    if not chosen:
        raise ValidationFailed("请勾选“覆盖以下企业自行报送的数据”后再提交；不勾选则保留企业自行报送的数据，无需重新导入")
    data = bytes(earlier.result_file or b"")
    job = jobs.enqueue(
        KIND,
        user=request.user,
        title=f"{earlier.title}（覆盖{len(chosen)}家企业自行报送的数据）",
        payload={**earlier.payload, "dry_run": False, "overwrite_self_reports": chosen},
        data=data,
    )
    if len(data) <= settings.FUGONG_BACKGROUND_IMPORT_BYTES:
        jobs.run_now(job)
    return redirect("job_detail", job_id=job.pk)
