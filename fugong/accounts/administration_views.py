"""账号管理 pages: a dispatcher's accounts, one account, create, grant/withdraw, disable/enable,
reset. Thin: the actions in accounts.administration check the scope and refuse with a reason.
A page naming an account looks it up first, so one outside the caller's region is a 404 for
everyone (a leader too), never a 403 that says it exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fugong.accounts import administration as admin_actions
from fugong.accounts.delegation import (
    account_refusal,
    administered_memberships_q,
    administered_users,
    in_region,
    membership_refusal,
    with_anchors,
)
from fugong.accounts.models import Department, Membership, User
from fugong.core import audit
from fugong.core.access import Role, administers_somewhere, may_grant
from fugong.core.errors import DomainError
from fugong.core.models import Channel
from fugong.regions.models import Level, Region

PAGE_SIZE = 50


def require_administration(request: HttpRequest) -> None:
    admin_actions.require_administration(request.user)


def region_choices(actor: Any) -> list[tuple[str, str]]:
    """Regions down to county level where the actor may name a dispatcher, leader or admin."""
    regions = Region.objects.visible_to(actor).exclude(level=Level.TOWN).order_by("path")
    return [
        (r.code, "　" * r.depth + r.name)
        for r in regions.only("code", "name", "depth", "path")
        if any(may_grant(actor, role, r.path) for role in (Role.DISPATCHER, Role.LEADER, Role.ADMIN))
    ]


def department_choices(actor: Any) -> list[Department]:
    departments = Department.objects.visible_to(actor).filter(active=True).select_related("region")
    return [d for d in departments if may_grant(actor, Role.HANDLER, d.region.path)]


def role_choices(
    actor: Any, regions: list[tuple[str, str]], departments: list[Department]
) -> list[tuple[str, str]]:
    """The roles the actor may grant somewhere: reporters and liaisons wherever they manage,
    handlers where a department is theirs, region roles where a region is."""
    region_roles = {Role.DISPATCHER, Role.LEADER, Role.ADMIN}
    paths = [r.path for r in Region.objects.filter(code__in=[c for c, _ in regions]).only("path")]
    allowed = []
    for role in Role:
        if role in region_roles:
            ok = any(may_grant(actor, role, p) for p in paths)
        elif role == Role.HANDLER:
            ok = bool(departments)
        else:
            ok = administers_somewhere(actor)
        if ok:
            allowed.append((role.value, role.label))
    return allowed


def grant_form_context(actor: Any) -> dict[str, Any]:
    regions = region_choices(actor)
    departments = department_choices(actor)
    return {
        "regions": regions,
        "departments": departments,
        "roles": role_choices(actor, regions, departments),
    }


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    require_administration(request)
    actor = request.user
    qs = administered_users(actor)
    search = request.GET.get("q", "").strip()[:40]
    role = request.GET.get("role", "")
    if search:
        qs = qs.filter(
            Q(display_name__icontains=search) | Q(phone__contains=search) | Q(username__icontains=search)
        )
    if role in Role.values:
        held = Membership.objects.filter(administered_memberships_q(actor), role=role, active=True)
        qs = qs.filter(pk__in=held.values("user_id"))
    roles = Prefetch(
        "memberships", with_anchors(Membership.objects.filter(active=True)), to_attr="active_roles"
    )
    page = Paginator(qs.order_by("display_name", "pk").prefetch_related(roles), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = []
    for user in page:  # another region's roles are counted, not named
        shown = [m for m in user.active_roles if in_region(actor, m)]
        rows.append((user, shown, len(user.active_roles) - len(shown)))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "q": search,
        "role": role,
        "roles": Role.choices,
        "query": query.urlencode(),
    }
    return render(request, "accounts/manage/list.html", context)


def labelled_history(user: User, memberships: list[Membership]) -> list[tuple[Any, str]]:
    events = admin_actions.account_history(user, [m.pk for m in memberships])[:100]
    return [(e, audit.action_label(e.action)) for e in events]


def render_account(
    request: HttpRequest, user: User, error: DomainError | None = None, typed: Any = None
) -> HttpResponse:
    actor = request.user
    every = list(with_anchors(user.memberships.order_by("-active", "pk")))
    shown = [m for m in every if in_region(actor, m)]  # another region's roles: counted, not named
    context = {
        "account": user,
        "memberships": [(m, m.active and membership_refusal(actor, m) is None) for m in shown],
        "other_roles": sum(1 for m in every if m.active and m not in shown),
        "refusal": account_refusal(actor, user, "停用" if user.is_active else "启用"),
        "sms_only": admin_actions.signs_in_by_sms_only(user),
        "history": labelled_history(user, shown),
        "base_version": admin_actions.account_version(user),
        "error": error,
        "typed": typed or {},
        **grant_form_context(actor),
    }
    return render(request, "accounts/manage/detail.html", context, status=error.status if error else 200)


@login_required
def account_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    return render_account(request, admin_actions.account_for(request.user, user_id))


def anchor_fields(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in ("region", "department", "enterprise")}


@login_required
def account_create(request: HttpRequest) -> HttpResponse:
    require_administration(request)
    actor = request.user
    typed: dict[str, str] = {}
    error = None
    if request.method == "POST":
        typed = {name: request.POST.get(name, "") for name in ("phone", "display_name", "role")}
        typed.update(anchor_fields(request))
        try:
            created = admin_actions.do_create_account(actor, **typed, channel=Channel.WEB)
        except DomainError as exc:
            error = exc
        else:
            # rendered, not redirected: the temporary password is shown this once and never stored
            return render(request, "accounts/manage/created.html", {"created": created})
    field_errors = {e["field"]: e["message"] for e in (error.details.get("errors", []) if error else [])}
    context = {"typed": typed, "error": error, "field_errors": field_errors, **grant_form_context(actor)}
    return render(request, "accounts/manage/form.html", context, status=error.status if error else 200)


@login_required
@require_POST
def account_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    user = admin_actions.account_for(request.user, user_id)
    fields = {"role": request.POST.get("role", ""), **anchor_fields(request)}
    try:
        membership = admin_actions.do_grant_role(
            request.user, user, **fields, base_version=request.POST.get("base_version"), channel=Channel.WEB
        )
    except DomainError as exc:
        return render_account(request, user, exc, fields)
    messages.success(request, f"已授予“{membership}”")
    return redirect("account_detail", user_id=user.pk)


@login_required
@require_POST
def account_withdraw(request: HttpRequest, user_id: int) -> HttpResponse:
    user = admin_actions.account_for(request.user, user_id)
    try:
        membership = admin_actions.membership_of(user, request.POST.get("membership", ""))
        admin_actions.do_withdraw_role(
            request.user, membership, base_version=request.POST.get("base_version"), channel=Channel.WEB
        )
    except DomainError as exc:
        return render_account(request, user, exc)
    messages.success(request, f"已撤销“{membership}”")
    return redirect("account_detail", user_id=user.pk)


# The account as a whole: each change is confirmed on a page of its own (no script needed).
CONFIRMS: dict[str, tuple[str, str, str]] = {
    # name: (what it is called, what it does, the button)
    "disable": (
        "停用",
        "停用后该账号立即不能登录，已登录的网页和手机随即退出，接口令牌全部吊销。",
        "确认停用",
    ),
    "enable": ("启用", "启用后该账号可以重新登录（已吊销的接口令牌不恢复）。", "确认启用"),
    "reset": (
        "重置密码",
        "系统将生成一个临时密码，只在下一页显示一次，请当面或电话告知本人，并请其登录后在“修改密码”中改为自己的密码；该账号已登录的会话随即退出。",
        "生成临时密码",
    ),
    "end_sign_ins": (
        "结束登录",
        "该账号已登录的网页和手机全部退出，接口令牌全部吊销；本人可用短信验证码重新登录。",
        "确认结束登录",
    ),
}


def confirmed_change(name: str, act: Callable[..., Any], done: Callable[[User, Any], str]) -> Any:
    @login_required
    def view(request: HttpRequest, user_id: int) -> HttpResponse:
        user = admin_actions.account_for(request.user, user_id)
        label, explanation, button = CONFIRMS[name]
        error: DomainError | None = None
        if request.method == "POST":
            try:
                result = act(
                    request.user, user, base_version=request.POST.get("base_version"), channel=Channel.WEB
                )
            except DomainError as exc:
                error = exc
            else:
                if name == "reset":  # shown this once, never stored
                    return render(
                        request, "accounts/manage/password.html", {"account": user, "password": result}
                    )
                messages.success(request, done(user, result))
                return redirect("account_detail", user_id=user.pk)
        else:
            reason = account_refusal(request.user, user, label)
            if reason is not None:
                raise admin_actions.refuse(request.user, reason, user)
        context = {
            "account": user,
            "label": label,
            "explanation": explanation,
            "button": button,
            "error": error,
            "base_version": admin_actions.account_version(user),
        }
        return render(request, "accounts/manage/confirm.html", context, status=error.status if error else 200)

    view.__name__ = f"account_{name}"
    return view


account_disable = confirmed_change(
    "disable", admin_actions.do_disable_account, lambda u, r: f"已停用“{u}”，其登录已全部结束"
)
account_enable = confirmed_change("enable", admin_actions.do_enable_account, lambda u, r: f"已启用“{u}”")
account_reset = confirmed_change("reset", admin_actions.do_reset_password, lambda u, r: "")
account_end_sign_ins = confirmed_change(
    "end_sign_ins", admin_actions.do_end_sign_ins, lambda u, r: f"已结束“{u}”的 {r} 个登录会话和令牌"
)
