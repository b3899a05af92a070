"""Pages: a background job's progress and outcome (polled by htmx while it runs)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fugong.core.access import access_object
from fugong.core.models import Job


@login_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = access_object(Job.objects.defer("data"), request.user, pk=job_id)
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, {"job": job})
