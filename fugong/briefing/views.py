"""Pages for the daily brief and the downloads (brief .docx, official-form .xlsx)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from fugong.briefing import brief, export, export_jobs
from fugong.briefing.dashboard import dashboard_data
from fugong.briefing.maps import map_for
from fugong.core import audit
from fugong.dispatch.figures.completeness import breadcrumbs
from fugong.dispatch.figures.defaults import Choice, choice_for_download, choice_for_page
from fugong.dispatch.reports.corrections import corrections


@login_required
def brief_page(request: HttpRequest) -> HttpResponse:
    choice = choice_for_page(request)
    context: dict[str, Any] = {"choice": choice, "plan": choice.plan, "regions": choice.regions(request.user)}
    if choice.plan is None or choice.region is None:
        return render(request, "briefing/brief.html", context)
    result = brief.build(choice.plan, choice.day, choice.region, request.user)
    rows = [brief.table_row(f, result) for f in [*result.today.rows, result.today.total]]
    context |= {"brief": result, "headers": brief.TABLE_HEADERS, "rows": rows, "query": choice.query()}
    return render(request, "briefing/brief.html", context)


@login_required
def brief_docx(request: HttpRequest) -> HttpResponseBase:
    choice = choice_for_download(request, "brief")
    if not isinstance(choice, Choice):
        return choice
    plan, day, region = choice.plan, choice.day, choice.region
    assert plan is not None and region is not None
    data = brief.docx_bytes(brief.build(plan, day, region, request.user))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = attachment(f"调度日报-{region.name}-{day}.docx")
    audit.record_download(request, "export.brief", plan, f"调度日报-{region.name}-{day}.docx", region=region.code, date=day)
    return response


@login_required
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    """The official-form sheet; a big region's is written by a job (its page offers the file)."""
    choice = choice_for_download(request, "brief")
    if not isinstance(choice, Choice):
        return choice
    plan, day, region = choice.plan, choice.day, choice.region
    assert plan is not None and region is not None
    by_region = request.GET.get("by") == "region"
    if not by_region and export_jobs.is_big(plan, day, region, request.user):
        job = export_jobs.enqueue_export(request.user, plan, day, region)
        return redirect("job_detail", job.pk)
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        write = export.by_region if by_region else export.by_enterprise
        write(path, plan, day, region, request.user)
        stream = path.open("rb")
    finally:
        path.unlink()  # the open handle keeps the data readable until the response is sent
    filename = export_jobs.export_filename(region, day, by_region)
    audit.record_download(request, "export.official_sheet", plan, filename, region=region.code, date=day)
    return FileResponse(stream, as_attachment=True, filename=filename)


def attachment(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


DEFINITIONS = {
    "resumption": "复工率 = 已复工企业数 ÷ 纳入调度的企业数（按各企业当日或最近一次填报）",
    "attendance_resumed": "到岗率（已复工企业）= 已复工企业的实际到岗人数 ÷ 其在册员工数",
    "attendance_all": "到岗率（全部企业）= 实际到岗人数 ÷ 全部纳入企业的在册员工数",
    "capacity": "产能恢复率 = 已复工企业产能恢复比例的加权平均，权重为正常日产值（未填时用在册员工数）",
    "submitted": "报送率 = 当日已报送企业数 ÷ 应报企业数",
}


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    choice = choice_for_page(request)
    plan, day, region = choice.plan, choice.day, choice.region
    context: dict[str, Any] = {"choice": choice, "plans": choice.plans, "regions": choice.regions(request.user)}
    if plan is None or region is None:
        return render(request, "briefing/dashboard.html", context)
    attendance_key = "attendance_all" if plan.attendance_basis == "all" else "attendance_resumed"
    context |= {
        "plan": plan,
        "day": day,
        "region": region,
        "data": dashboard_data(plan, day, region, request.user),
        "ancestors": breadcrumbs(request.user, plan, region),
        "definitions": {**DEFINITIONS, "attendance": DEFINITIONS[attendance_key]},
        "map": map_for(region.code),
        "corrections": corrections(plan, day, region),  # 其中N户更正了以往日期的填报
    }
    return render(request, "briefing/dashboard.html", context)
