"""The reporting pages: the enterprise's home, its report form (its own or on its behalf), a report's history."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from fugong.core import audit
from fugong.core.access import Action, access_object
from fugong.core.errors import DomainError, ValidationFailed
from fugong.core.kept_forms import restored_post
from fugong.core.models import Channel
from fugong.dispatch.models import Report, ReportRevision
from fugong.dispatch.params import day_param
from fugong.dispatch.plans.periods import is_reporting_day, period_of
from fugong.dispatch.plans.selection import plans_covering
from fugong.dispatch.reports import corrections, stale, submit
from fugong.dispatch.reports.fields import LABELS, MEASURES, PROBLEM_TAGS
from fugong.dispatch.reports.forms import initial_values, raw_from_post, same_as
from fugong.dispatch.reports.self_reports import shown_value
from fugong.dispatch.reports.submit import ConfirmationRequired
from fugong.enterprises.models import Enterprise


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
        "reports": Report.objects.filter(enterprise=enterprise)
        .annotate(corrected=Exists(ReportRevision.objects.filter(report=OuterRef("pk"), correction=True)))
        .order_by("-date")[:30],
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
    *,
    base_revision: int,
    confirmed: list[str] | None = None,
) -> HttpResponse:
    """The form with `values` exactly as given (typed ones after a refusal, never re-read from
    the stored report), each warning with the reporter's tick kept, and after a stale-revision
    refusal the stored values beside the typed ones, based on the stored revision. A tick for a
    warning that no longer applies is dropped, never carried along unseen."""
    plans = plans_covering(enterprise, day)
    details = error.details if isinstance(error, DomainError) else {}
    ticked = set(confirmed or [])
    warnings = [
        {**w, "ticked": w.get("code") in ticked}
        for w in [*details.get("confirmed", []), *details.get("warnings", [])]
    ]
    if not isinstance(error, ConfirmationRequired):  # the warnings were not looked at this time
        shown_codes = {w.get("code") for w in warnings}
        warnings += [
            {"code": code, "message": f"（已勾选）{confirmation_label(code)}", "ticked": True}
            for code in sorted(ticked - shown_codes)
        ]
    is_stale = isinstance(error, stale.StaleRevision)
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
        "warnings": warnings,
        "field_errors": {e["field"] for e in details.get("errors", [])},
        "base_revision": details.get("revision", base_revision) if is_stale else base_revision,
        "stored": stale.side_by_side(values, details.get("current")) if is_stale else [],
        "last": Report.objects.filter(enterprise=enterprise, date__lt=day).order_by("-date").first(),
    }
    return render(request, "dispatch/report_form.html", context, status=error.status if error else 200)


CONFIRMATIONS = {
    "over_baseline": "报到人数超过在册员工",
    "duty_plus_isolated": "实际到岗与隔离之和超过报到人数",
    "unchanged_7_days": "已连续7天填报相同的数字",
    "overwrite_self_report": "覆盖企业自行报送的数字",
    "clears_stored_values": "清空已保存的内容",
    "baseline_change": "在册员工与登记数相差较大",
}


def confirmation_label(code: str) -> str:
    """What a confirmation code confirmed, for a tick kept while the warnings were not re-checked."""
    if code.startswith("jump_"):
        return f"{LABELS.get(code[5:], code[5:])}变化较大"
    return CONFIRMATIONS.get(code, code)


def posted_revision(post: Any) -> int | None:
    """The form's base_revision; None when a page without it posts (the old one-tap button)."""
    text = (post.get("base_revision") or "").strip()
    if not text:
        return None
    try:
        return max(int(text), 0)
    except ValueError:
        raise ValidationFailed(f"参数 base_revision 应为整数，现为“{text[:20]}”") from None


@login_required
def report_form(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = submit.access_enterprise_for_report(request.user, uscc)
    day = day_param(request)
    today_report = Report.objects.filter(enterprise=enterprise, date=day).first()
    last = Report.objects.filter(enterprise=enterprise, date__lt=day).order_by("-date").first()
    stored_revision = today_report.revision_count if today_report else 0
    kept = restored_post(request) if request.method != "POST" else None
    if kept is not None:  # typed before the session expired: shown to check, not submitted
        kept_base = posted_revision(kept)  # the revision it was typed on: a change since is caught
        return render_report_form(
            request,
            enterprise,
            day,
            raw_from_post(kept, plans_covering(enterprise, day)),
            base_revision=stored_revision if kept_base is None else kept_base,
            confirmed=kept.getlist("confirm"),
        )
    if request.method != "POST":
        return render_report_form(
            request,
            enterprise,
            day,
            initial_values(enterprise, today_report, last),
            base_revision=stored_revision,
        )
    plans = plans_covering(enterprise, day)
    if request.POST.get("same_as_last") and last is not None:
        raw = same_as(last, day)
    else:
        raw = raw_from_post(request.POST, plans)
    base_revision = posted_revision(request.POST)
    confirm = request.POST.getlist("confirm")
    try:
        result = submit.check_submit_report(
            request.user,
            enterprise,
            day,
            raw,
            channel=Channel.WEB,
            client_id=request.POST.get("client_id", ""),
            confirm=confirm,
            base_revision=base_revision,
        )
    except DomainError as exc:
        return render_report_form(
            request,
            enterprise,
            day,
            {**raw, "measures": raw.get("measures") or []},
            exc,
            base_revision=stored_revision if base_revision is None else base_revision,
            confirmed=confirm,
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
        (r, [(LABELS.get(k, k), shown_value(k, old), shown_value(k, new)) for k, (old, new) in r.changes.items()])
        for r in report.revisions.select_related("by").order_by("-number")
    ]
    notes = [corrections.note(report.date, r.at, r.number) for r, _ in reversed(revisions) if r.correction]
    context = {
        "report": report,
        "revisions": [
            (r, changes, audit.channel_label(r.channel), "、".join(confirmation_label(c) for c in r.confirmed))
            for r, changes in revisions
        ],
        "corrections": notes,
    }
    return render(request, "dispatch/report_detail.html", context)
