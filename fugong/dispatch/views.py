"""Pages of the daily dispatch: the enterprise's home and form, the dispatcher's board, plans."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fugong.core.access import Action, access_object, scope_for
from fugong.core.cells import CellError, parse_date
from fugong.core.errors import DomainError, ValidationFailed
from fugong.core.models import Channel
from fugong.dispatch import actions
from fugong.dispatch.actions import ConfirmationRequired
from fugong.dispatch.completeness import (
    breadcrumbs,
    completeness,
    default_node,
    missing_and_late,
    missing_enterprises,
)
from fugong.dispatch.fields import LABELS, MEASURES, PROBLEM_TAGS
from fugong.dispatch.forms import initial_values, raw_from_post, same_as
from fugong.dispatch.models import Plan, Report
from fugong.dispatch.periods import is_reporting_day, period_of
from fugong.dispatch.selection import plans_covering
from fugong.enterprises.models import Enterprise
from fugong.notify.actions import do_notify_enterprises
from fugong.notify.reminders import rounds_sent
from fugong.regions.models import access_node

EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)


def int_param(data: Any, name: str) -> int:
    try:
        return int(data.get(name, ""))
    except ValueError:
        raise ValidationFailed(f"参数 {name} 应为整数") from None


def day_param(request: HttpRequest, name: str = "date") -> datetime.date:
    first, second = (request.POST, request.GET) if request.method == "POST" else (request.GET, request.POST)
    text = first.get(name) or second.get(name)
    if not text:
        return timezone.localdate()
    try:
        day = parse_date(text)
    except CellError as exc:
        raise ValidationFailed(f"日期有误：{exc}") from None
    assert day is not None
    if not EARLIEST <= day <= LATEST:
        raise ValidationFailed(f"日期{day}超出范围（{EARLIEST.year}—{LATEST.year}年）")
    return day


@login_required
def enterprise_home(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = access_object(Enterprise.objects.select_related("region"), request.user, uscc=uscc.upper())
    today = timezone.localdate()
    plans = plans_covering(enterprise, today)
    today_report = Report.objects.filter(enterprise=enterprise, date=today).first()
    deadlines = [(plan, period_of(plan, today)) for plan in plans if is_reporting_day(plan, today)]
    context = {
        "e": enterprise,
        "today": today,
        "plans": plans,
        "deadlines": deadlines,
        "today_report": today_report,
        "late": bool(today_report and any(today_report.received_at >= p.deadline for _, p in deadlines)),
        "reports": Report.objects.filter(enterprise=enterprise).order_by("-date")[:30],
        "can_report": Enterprise.objects.visible_to(request.user, Action.REPORT)
        .filter(pk=enterprise.pk)
        .exists(),
    }
    return render(request, "dispatch/enterprise_home.html", context)


def render_report_form(
    request: HttpRequest,
    enterprise: Enterprise,
    day: datetime.date,
    values: dict[str, Any],
    error: Any = None,
) -> HttpResponse:
    plans = plans_covering(enterprise, day)
    context = {
        "e": enterprise,
        "day": day,
        "values": values,
        "error": error,
        "plans": plans,
        "extra_specs": [spec for plan in plans for spec in plan.extra_fields],
        "measures": MEASURES,
        "problem_tags": PROBLEM_TAGS,
        "client_id": uuid.uuid4().hex,
        "warnings": error.details.get("warnings", []) if isinstance(error, ConfirmationRequired) else [],
        "field_errors": {e["field"] for e in error.details.get("errors", [])} if error else set(),
        "last": Report.objects.filter(enterprise=enterprise, date__lt=day).order_by("-date").first(),
    }
    return render(request, "dispatch/report_form.html", context, status=error.status if error else 200)


@login_required
def report_form(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = actions.access_enterprise_for_report(request.user, uscc)
    day = day_param(request)
    today_report = Report.objects.filter(enterprise=enterprise, date=day).first()
    last = Report.objects.filter(enterprise=enterprise, date__lt=day).order_by("-date").first()
    if request.method != "POST":
        return render_report_form(request, enterprise, day, initial_values(enterprise, today_report, last))
    plans = plans_covering(enterprise, day)
    if request.POST.get("same_as_last") and last is not None:
        raw = same_as(last, day)
    else:
        raw = raw_from_post(request.POST, plans)
    try:
        result = actions.check_submit_report(
            request.user,
            enterprise,
            day,
            raw,
            channel=Channel.WEB,
            client_id=request.POST.get("client_id", ""),
            confirm=request.POST.getlist("confirm"),
        )
    except DomainError as exc:
        return render_report_form(
            request, enterprise, day, {**raw, "measures": raw.get("measures") or []}, exc
        )
    messages.success(
        request,
        f"{day:%m月%d日}的情况已报送" if result.revision or result.created else "内容没有变化，无需重复报送",
    )
    return redirect("enterprise_home", uscc=enterprise.uscc)


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access_object(Report.objects.select_related("enterprise__region"), request.user, pk=report_id)
    revisions = [
        (r, [(LABELS.get(k, k), old, new) for k, (old, new) in r.changes.items()])
        for r in report.revisions.select_related("by").order_by("-number")
    ]
    return render(request, "dispatch/report_detail.html", {"report": report, "revisions": revisions})


def chosen_plan(request: HttpRequest) -> tuple[list[Plan], Plan | None]:
    """The active plans the user may see, and the one asked for (?plan=), else the first."""
    plans = list(
        Plan.objects.visible_to(request.user)
        .filter(active=True)
        .select_related("owner_region")
        .order_by("id")
    )
    wanted = request.GET.get("plan")
    return plans, next((p for p in plans if str(p.pk) == wanted), plans[0] if plans else None)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("region")
    chosen_region = access_node(request.user, code) if code else None
    plans, plan = chosen_plan(request)
    if plan is None:
        return render(request, "dispatch/board.html", {"plans": []})
    day = day_param(request)
    region = chosen_region or default_node(request.user, plan)
    if region is None:
        return render(request, "dispatch/board.html", {"plans": plans, "plan": plan, "no_region": True})
    node = completeness(plan, day, region, request.user)
    missing, late = missing_and_late(plan, day, region, request.user)
    context = {
        "plans": plans,
        "plan": plan,
        "day": day,
        "region": region,
        "node": node,
        "missing": missing,
        "late": late,
        "ancestors": breadcrumbs(request.user, plan, region),
        "period": period_of(plan, day),
        "reporting_day": is_reporting_day(plan, day),
        "rounds": rounds_sent(plan, day),
        "can_remind": scope_for(request.user).allows(Action.CHANGE),
    }
    return render(request, "dispatch/board.html", context)


@login_required
@require_POST
def remind(request: HttpRequest) -> HttpResponse:
    plan = access_object(
        Plan.objects.select_related("owner_region"), request.user, pk=int_param(request.POST, "plan")
    )
    region = access_node(request.user, request.POST.get("region"), Action.CHANGE)
    day = day_param(request)
    missing = missing_enterprises(plan, day, region, request.user)
    wanted = request.POST.getlist("enterprise")
    ids = list((missing.filter(uscc__in=wanted) if wanted else missing).values_list("pk", flat=True))
    deadline = period_of(plan, day).deadline
    sent = do_notify_enterprises(
        request.user,
        ids,
        title=f"请尽快报送{day:%m月%d日}复工情况",
        body_for=lambda e: (
            f"“{plan.title}”要求于{timezone.localtime(deadline):%m月%d日%H:%M}前报送，{e.name}尚未报送。"
        ),
        url_for=lambda e: reverse("report_form", args=[e.uscc]) + f"?date={day}",
        channel=Channel.WEB,
    )
    messages.success(request, f"已向{len(ids)}户未报企业的填报员和联络员发送提醒{sent}条")
    return redirect(f"{reverse('board')}?plan={plan.pk}&date={day}&region={region.code}")
