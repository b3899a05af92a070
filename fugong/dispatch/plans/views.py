"""Pages for plan administration: list, create, edit, coverage, and unlocking a period."""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fugong.accounts.models import Department
from fugong.core.access import Action, access_object, may_anywhere, require_action
from fugong.core.cells import CellError, parse_date
from fugong.core.errors import DomainError, ValidationFailed
from fugong.core.kept_forms import restored_post
from fugong.core.models import Channel
from fugong.core.versions import StaleVersion, side_by_side
from fugong.dispatch.models import WEEKDAYS, AttendanceBasis, Cadence, PeriodUnlock, Plan
from fugong.dispatch.plans import actions as plan_actions
from fugong.dispatch.plans.selection import CRITERIA, plan_enterprises
from fugong.dispatch.reports import submit
from fugong.enterprises.models import Enterprise, SectorTag, Tier


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.visible_to(request.user).select_related("owner_region", "owner_department")
    changeable = set(Plan.objects.visible_to(request.user, Action.CHANGE).values_list("pk", flat=True))
    return render(request, "dispatch/plan_list.html", {"plans": plans, "changeable": changeable})


def plan_form_raw(request: HttpRequest, post: QueryDict | None = None) -> dict[str, Any]:
    post = request.POST if post is None else post
    selector: dict[str, Any] = {
        "regions": [
            c.strip() for c in post.get("selector_regions", "").replace("，", ",").split(",") if c.strip()
        ],
        "sectors": post.getlist("selector_sectors"),
        "tiers": post.getlist("selector_tiers"),
        "above_scale": {"true": True, "false": False}.get(post.get("selector_above_scale", "")),
        "enterprises": [c.strip() for c in post.get("selector_enterprises", "").split() if c.strip()],
    }
    for key in CRITERIA:  # the apps' criteria: ids, comma separated (a non-number is refused by name)
        parts = [p for p in re.split(r"[,，、\s]+", post.get(f"selector_{key}", "")) if p]
        if parts:
            selector[key] = [int(p) if p.isdigit() and len(p) < 19 else p for p in parts]
    extra_text = post.get("extra_fields") or ""
    try:
        extra = json.loads(extra_text or "[]")
    except json.JSONDecodeError as exc:
        extra = f"（第{exc.lineno}行第{exc.colno}列有语法错误）"
    raw: dict[str, Any] = {
        name: post.get(name, "")
        for name in plan_actions.PLAN_FIELDS
        if name not in ("selector", "extra_fields")
    }
    raw.update(
        selector=selector,
        extra_fields=extra,
        report_on_rest_days=bool(post.get("report_on_rest_days")),
        active=bool(post.get("active")),
        owner_department=post.get("owner_department") or None,
    )
    raw["extra_fields_text"] = extra_text  # shown again as typed if the form comes back
    return raw


def shown_fields(values: dict[str, Any]) -> dict[str, Any]:
    """A plan's values as the form shows them (the selector by its parts), to compare typed with stored."""
    selector = values.get("selector") or {}
    out = {k: v for k, v in values.items() if k not in ("selector", "extra_fields", "extra_fields_text")}
    keys = ("regions", "sectors", "tiers", "enterprises", *CRITERIA)
    out.update({f"selector_{k}": selector.get(k) for k in keys})
    out["selector_above_scale"] = selector.get("above_scale")
    out["extra_fields"] = [spec.get("key") for spec in values.get("extra_fields") or [] if isinstance(spec, dict)]
    return out


SELECTOR_LABELS = {
    "selector_regions": "纳入区划",
    "selector_sectors": "行业标签",
    "selector_tiers": "重点层级",
    "selector_enterprises": "指定企业",
    "selector_above_scale": "规模以上",
}


def render_plan_form(
    request: HttpRequest,
    plan: Plan | None,
    values: dict[str, Any],
    error: Any = None,
    base_version: str | None = None,
) -> HttpResponse:
    """The form with `values` as typed; after a stale-version refusal the stored values beside
    them and the stored version as the new base."""
    stale = plan is not None and isinstance(error, StaleVersion)
    if stale:
        assert plan is not None
        plan.refresh_from_db()
        stored = side_by_side(
            shown_fields(values),
            shown_fields(values_of(plan)),
            {
                **plan_actions.LABELS,
                **SELECTOR_LABELS,
                **{f"selector_{k}": c.label for k, c in CRITERIA.items()},
                "extra_fields": "附加填报项",
            },
        )
        base_version = error.details["version"]
    context = {
        "base_version": base_version,
        "stored": stored if stale else [],
        "plan": plan,
        "values": values,
        "error": error,
        "cadences": Cadence.choices,
        "bases": AttendanceBasis.choices,
        "weekdays": WEEKDAYS,
        "sectors": SectorTag.objects.filter(active=True),
        "tiers": [t for t in Tier.choices if t[0]],
        "departments": Department.objects.visible_to(request.user, Action.CHANGE).select_related("region"),
        "criteria_fields": [
            {
                "name": f"selector_{key}",
                "label": criterion.label,
                "text": ",".join(str(v) for v in (values.get("selector") or {}).get(key) or []),
            }
            for key, criterion in CRITERIA.items()
        ],
        "extra_json": values["extra_fields_text"]
        if "extra_fields_text" in values
        else json.dumps(values.get("extra_fields") or [], ensure_ascii=False, indent=1),
    }
    return render(request, "dispatch/plan_form.html", context, status=error.status if error else 200)


def values_of(plan: Plan) -> dict[str, Any]:
    values = {name: getattr(plan, name) for name in plan_actions.PLAN_FIELDS}
    values["owner_region"] = plan.owner_region_id
    values["owner_department"] = plan.owner_department_id
    values["deadline_time"] = plan.deadline_time.strftime("%H:%M")
    values["reminder_times"] = "、".join(plan.reminder_times)
    return values


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CHANGE)
    kept = restored_post(request) if request.method != "POST" else None
    if kept is not None:  # typed before the session expired: to check, not submitted
        return render_plan_form(request, None, plan_form_raw(request, kept))
    if request.method != "POST":
        defaults = {
            "cadence": "daily",
            "deadline_time": "16:00",
            "reminder_times": "14:00、15:30",
            "start_date": timezone.localdate(),
            "active": True,
            "selector": {},
            "deadline_weekday": 4,
            "attendance_basis": "resumed",
            "lock_after_days": plan_actions.DEFAULT_LOCK_AFTER_DAYS,
        }
        return render_plan_form(request, None, defaults)
    raw = plan_form_raw(request)
    try:
        plan = plan_actions.check_save_plan(request.user, raw, channel=Channel.WEB)
    except DomainError as exc:
        return render_plan_form(request, None, raw, exc)
    messages.success(request, f"已新建调度任务“{plan.title}”")
    return redirect("plan_detail", plan_id=plan.pk)


@login_required
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = access_object(Plan.objects.select_related("owner_region"), request.user, Action.CHANGE, pk=plan_id)
    kept = restored_post(request) if request.method != "POST" else None
    if kept is not None:  # typed before the session expired: to check, not submitted
        base = kept.get("base_version") or plan_actions.version(plan)
        return render_plan_form(request, plan, plan_form_raw(request, kept), base_version=base)
    if request.method != "POST":
        return render_plan_form(request, plan, values_of(plan), base_version=plan_actions.version(plan))
    raw = plan_form_raw(request)
    base_version = request.POST.get("base_version") or None
    try:
        plan_actions.check_save_plan(request.user, raw, plan, channel=Channel.WEB, base_version=base_version)
    except DomainError as exc:
        return render_plan_form(request, plan, raw, exc, base_version)
    messages.success(request, "已保存")
    return redirect("plan_detail", plan_id=plan.pk)


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = access_object(
        Plan.objects.select_related("owner_region", "owner_department"), request.user, pk=plan_id
    )
    today = timezone.localdate()
    context = {
        "plan": plan,
        "covered": plan_enterprises(plan, today).visible_to(request.user).count(),
        "can_edit": Plan.objects.visible_to(request.user, Action.CHANGE).filter(pk=plan.pk).exists(),
        "can_print_codes": may_anywhere(request.user, Action.CHANGE),  # as the QR sheet requires
        "unlocks": PeriodUnlock.objects.filter(
            plan=plan, enterprise__in=Enterprise.objects.visible_to(request.user)
        )
        .select_related("enterprise", "by")
        .order_by("-at")[:20],
    }
    return render(request, "dispatch/plan_detail.html", context)


@login_required
@require_POST
def plan_unlock(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = access_object(Plan.objects.all(), request.user, pk=plan_id)
    enterprise = access_object(
        Enterprise.objects.select_related("region"),
        request.user,
        Action.CHANGE,
        uscc=request.POST.get("enterprise", "").strip().upper(),
    )
    try:
        day = parse_date(request.POST.get("date"))
    except CellError as exc:
        raise ValidationFailed(f"日期有误：{exc}") from None
    if day is None:
        raise ValidationFailed("请填写要解锁的日期")
    submit.do_unlock_period(request.user, plan, enterprise, day, request.POST.get("reason", ""))
    messages.success(request, f"已解锁{enterprise.name}{day}的填报")
    return redirect("plan_detail", plan_id=plan.pk)
