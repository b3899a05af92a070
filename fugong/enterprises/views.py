"""Pages of the registry: list with filters, detail with history, create/edit, import."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from pydantic import ValidationError as PydanticError

from fugong.accounts import invitations
from fugong.accounts.models import User
from fugong.core import audit, jobs
from fugong.core.access import Action, access_object, require_action
from fugong.core.errors import DomainError, NotFound, TooManyAttempts, ValidationFailed
from fugong.core.kept_forms import restored_post
from fugong.core.middleware import accepts_uploads
from fugong.core.models import Channel
from fugong.core.versions import StaleVersion, side_by_side
from fugong.enterprises import actions, importing
from fugong.enterprises.fields import FIELDS, FIELDS_BY_NAME
from fugong.enterprises.filters import EnterpriseFilter, filter_enterprises
from fugong.enterprises.models import Enterprise, SectorTag, Tier
from fugong.regions.models import Level, Region


def read_filters(request: HttpRequest) -> EnterpriseFilter:
    values: dict[str, Any] = {
        k: v for k, v in request.GET.items() if k in EnterpriseFilter.model_fields and v != ""
    }
    try:
        return EnterpriseFilter(**values)
    except PydanticError:
        raise ValidationFailed("筛选条件有误，请重新选择") from None


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    filters = read_filters(request)
    qs = filter_enterprises(Enterprise.objects.visible_to(request.user), filters, request.user)
    page = Paginator(qs.select_related("region", "industry").order_by("region_id", "name"), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "regions": region_choices(request.user),
        "sectors": SectorTag.objects.filter(active=True),
        "tiers": Tier.choices,
        "query": query.urlencode(),
    }
    return render(request, "enterprises/list.html", context)


def region_choices(user: Any) -> list[tuple[str, str]]:
    """Regions down to county level the user can filter by, in tree order, indented by depth."""
    regions = (
        Region.objects.visible_to(user)
        .exclude(level=Level.TOWN)
        .order_by("path")
        .only("code", "name", "depth")
    )
    return [(r.code, "　" * r.depth + r.name) for r in regions]


def labelled_history(enterprise: Enterprise) -> list[tuple[Any, list[tuple[str, Any, Any]]]]:
    """Audit events with field names in Chinese, for the detail page."""
    events = audit.history("enterprise", str(enterprise.pk))[:50]
    return [
        (
            e,
            [
                (FIELDS_BY_NAME[k].label if k in FIELDS_BY_NAME else k, old, new)
                for k, (old, new) in e.changes.items()
            ],
        )
        for e in events
    ]


@login_required
def enterprise_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = access_object(
        Enterprise.objects.select_related("region", "industry"), request.user, uscc=uscc.upper()
    )
    can_edit = Enterprise.objects.visible_to(request.user, Action.CHANGE).filter(pk=enterprise.pk).exists()
    context = {
        "e": enterprise,
        "can_edit": can_edit,
        "history": labelled_history(enterprise),
        # who reports for it, for those who may change it (the phones masked even so)
        "reporters": invitations.reporters_of(enterprise) if can_edit else [],
    }
    return render(request, "enterprises/detail.html", context)


@login_required
@require_POST
def enterprise_invite(request: HttpRequest, uscc: str) -> HttpResponse:
    """A dispatcher's 重发邀请 to one of the enterprise's reporters."""
    enterprise = access_object(Enterprise.objects.all(), request.user, Action.CHANGE, uscc=uscc.upper())
    raw = str(request.POST.get("account", ""))
    account = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if account is None:
        raise NotFound("找不到该填报员账号")
    try:
        invitations.do_resend_invitation(request.user, account, enterprise=enterprise, channel=Channel.WEB)
    except (TooManyAttempts, ValidationFailed) as exc:  # said on the page it came from
        messages.error(request, exc.message)
    else:
        messages.success(request, "邀请短信已排队发送")
    return redirect("enterprise_detail", uscc=enterprise.uscc)


def form_values(post: QueryDict) -> dict[str, Any]:
    raw: dict[str, Any] = {spec.name: post.get(spec.name, "") for spec in FIELDS}
    raw["sectors"] = post.getlist("sectors")  # none ticked clears the tags
    raw["above_scale"] = "是" if post.get("above_scale") else "否"
    return raw


def render_form(
    request: HttpRequest,
    enterprise: Enterprise | None,
    raw: dict[str, Any],
    error: Any,
    base_version: str | None = None,
) -> HttpResponse:
    """The form with `raw` as typed; after a stale-version refusal the stored values beside the
    typed ones, and the stored version as the new base (resubmitting is then a knowing choice)."""
    errors = {e["field"]: e["message"] for e in (error.details.get("errors", []) if error else [])}
    stale = isinstance(error, StaleVersion)
    context = {
        "e": enterprise,
        "raw": raw,
        "error": error,
        "field_errors": errors,
        "sectors": SectorTag.objects.filter(active=True),
        "tiers": Tier.choices,
        "base_version": error.details["version"] if stale else base_version,
        "stored": side_by_side(raw, error.details["current"], actions.LABELS) if stale else [],
    }
    return render(request, "enterprises/form.html", context, status=error.status if error else 200)


def initial_values(enterprise: Enterprise) -> dict[str, Any]:
    raw: dict[str, Any] = {
        spec.name: getattr(enterprise, spec.name, "") for spec in FIELDS if spec.name != "sectors"
    }
    raw["region"] = enterprise.region_id
    raw["industry"] = enterprise.industry_id or ""
    raw["sectors"] = [s.name for s in enterprise.sectors.all()]
    return {k: ("" if v is None else v) for k, v in raw.items()}


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CHANGE)
    if request.method != "POST":
        kept = restored_post(request)  # typed before the session expired: to check, not submitted
        raw = form_values(kept) if kept is not None else {"active_from": "", "sectors": []}
        return render_form(request, None, raw, None)
    raw = form_values(request.POST)
    try:
        enterprise = actions.check_create_enterprise(request.user, raw, channel=Channel.WEB)
    except DomainError as exc:
        return render_form(request, None, raw, exc)
    messages.success(request, f"已登记“{enterprise.name}”")
    return redirect("enterprise_detail", uscc=enterprise.uscc)


@login_required
def enterprise_edit(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = access_object(Enterprise.objects.all(), request.user, Action.CHANGE, uscc=uscc.upper())
    if request.method != "POST":
        kept = restored_post(request)  # typed before the session expired: to check, not submitted
        if kept is not None:
            base = kept.get("base_version") or actions.version(enterprise)
            return render_form(request, enterprise, form_values(kept), None, base)
        return render_form(request, enterprise, initial_values(enterprise), None, actions.version(enterprise))
    raw = form_values(request.POST)
    raw.pop("uscc", None)
    base_version = request.POST.get("base_version") or None
    try:
        actions.check_update_enterprise(
            request.user, enterprise, raw, channel=Channel.WEB, base_version=base_version
        )
    except DomainError as exc:
        return render_form(request, enterprise, raw, exc, base_version)
    messages.success(request, "已保存")
    return redirect("enterprise_detail", uscc=enterprise.uscc)


@accepts_uploads
@login_required
def enterprise_import(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CHANGE)
    context: dict[str, Any] = {"max_mb": settings.FUGONG_MAX_UPLOAD_BYTES // 1048576}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = ValidationFailed("请选择要导入的文件（.xlsx、.xls 或 .csv）")
        elif upload.size and upload.size > settings.FUGONG_MAX_UPLOAD_BYTES:
            context["error"] = ValidationFailed(
                f"文件过大（{upload.size / 1048576:.1f} MB），上限为{context['max_mb']} MB；请分成几个文件导入"
            )
        elif upload.size and upload.size > settings.FUGONG_BACKGROUND_IMPORT_BYTES:
            flags = {
                "dry_run": bool(request.POST.get("dry_run")),
                "partial": bool(request.POST.get("partial")),
                "accounts": bool(request.POST.get("accounts")),
            }
            job = jobs.enqueue(
                "enterprise_import",
                user=request.user,
                title=f"导入企业名单：{upload.name}",
                payload={"filename": upload.name or "", **flags},
                data=upload.read(),
            )
            return redirect("job_detail", job_id=job.pk)
        else:
            try:
                context["result"] = importing.check_import_enterprises(
                    request.user,
                    upload.read(),
                    upload.name or "",
                    channel=Channel.EXCEL,
                    dry_run=bool(request.POST.get("dry_run")),
                    partial=bool(request.POST.get("partial")),
                    accounts=bool(request.POST.get("accounts")),
                )
            except DomainError as exc:
                context["error"] = exc
    status = context["error"].status if context.get("error") else 200
    return render(request, "enterprises/import.html", context, status=status)
