"""Pages: a background job's progress and outcome (polled by htmx while it runs), and the file
it made for download."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fugong.core import audit
from fugong.core.access import access_object
from fugong.core.errors import NotFound
from fugong.core.models import Job

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access_object(Job.objects.defer("data", "result_file"), request.user, pk=job_id)
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "core/job.html"
    # report imports list every row worth a look; the registry import its rejected rows
    rows = job.result.get("rows") or job.result.get("rejected") or []
    return render(request, template, {"job": job, "rows": rows, "with_status": "rows" in job.result})


@login_required
def job_result(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access_object(Job.objects.defer("data"), request.user, pk=job_id)
    if not job.result_file:
        raise NotFound("这个任务没有可下载的结果文件")
    response = HttpResponse(bytes(job.result_file), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(job.result_filename)}"
    audit.record_download(request, "export.job_file", job, job.result_filename, kind=job.kind)
    return response
