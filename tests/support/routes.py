"""Every route of the project, and how the persona × route matrix fills and judges it.

`project_routes()` reads Django's resolver (the Ninja API included, one row per operation and
method), so the list cannot drift from the code. `ROUTES` is the registry: for each route, which
object kinds its path and query parameters name, what a write needs, and whether it is open to
anonymous callers or personal to the caller. A route missing from `ROUTES` fails
`test_every_route_has_an_entry_in_the_matrix_registry`, so nobody adds an unchecked route.

The admin site's generated model routes are covered as a family (`admin_family`): a new
ModelAdmin is checked without an entry, a hand-written admin view is not.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from fugong.core.access import Action

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_METHODS = ("GET", "POST")  # every page is asked both ways: a GET-only view must not fail on a POST
# A work-order move needs some action beyond viewing; which one depends on the move and the role.
ANY_WRITE = (Action.CHANGE, Action.REPORT, Action.HANDLE)
INTAKE = (Action.REPORT, Action.CHANGE)  # the enterprise's side, or staff taking it by phone
# Everyone who sees a work order has a part in it (a leader supervises and urges): which move is
# whose is the flow's table, and a move that is not the caller's is a 409 listing the allowed ones
# (tests/test_problems_transitions.py), not a 403.
MOVES = (Action.VIEW,)
MOVES_NOTE = "a party's move that is not theirs: 409 from the flow"

# Path parameter name → the kind of object it names (tests/support/world.py holds one of each
# kind per side). Query parameters are named per route in `Entry.query`.
PATH_KINDS = {
    "uscc": "enterprise",
    "report_id": "report",
    "problem_id": "problem",
    "plan_id": "plan",
    "job_id": "job",
    "token_id": "token",
    "user_id": "account",
    "attachment_id": "attachment",
    "code": "region",
    "notification_id": "notification",
    "device_id": "device",
    "list_id": "keylist",
}


@dataclass(frozen=True)
class Route:
    """One URL pattern and one HTTP method it answers (pages: GET and POST)."""

    pattern: str  # as the resolver spells it, e.g. "enterprises/<str:uscc>/"
    method: str
    params: tuple[str, ...]  # path parameter names, in order

    @property
    def key(self) -> str:
        return f"{self.method} {self.pattern}" if self.is_api else self.pattern

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")

    @property
    def is_write(self) -> bool:
        return self.method not in READ_METHODS


@dataclass(frozen=True)
class Entry:
    """How the matrix fills and judges one route (or, for a page, both its methods).

    public: anonymous callers are served (no login redirect or 401 expected).
    own: the route works on the caller's own things (password, tokens page, inbox); a write is
        not judged by region scope.
    writes: for a page: "" (GET and POST only read), "post" (a POST writes), "form" (the GET
        is the form of a write too). An API operation writes unless it is a GET.
    query / data: query-string / POST-form parameter → object kind it names (sent in the
        "side" variants). Out of scope → 404, or the very answer a nonexistent object gets
        (the figures pages fall back to the user's defaults and say so).
    filters: query parameter → object kind that only narrows a list (nothing of it may show).
    extra_query / extra_data: fixed parameters the route needs (a date).
    body: JSON body of an API write, made from the values of one side (`values.value(kind)`),
        schema-valid so that scope, not validation, decides an out-of-scope or read-only call;
        `body_kinds` are the object kinds it names.
    action: what a write needs on the route's objects: any one of these actions.
    anywhere: the write's authority is the role's, not per named object (the import page: its
        plan and region only choose the sheet; each row is checked against the caller's scope).
    chooser: without its objects the page only offers a choice (of enterprise): not a write.
    fresh_client: the request ends the session (logout): use a client of its own.
    """

    public: bool = False
    own: bool = False
    writes: str = ""
    query: dict[str, str] = field(default_factory=dict)
    data: dict[str, str] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)
    extra_query: dict[str, str] = field(default_factory=dict)
    extra_data: dict[str, str] = field(default_factory=dict)
    body: Callable[[Any], dict[str, Any]] | None = None
    body_kinds: tuple[str, ...] = ()
    action: tuple[str, ...] = (Action.CHANGE,)
    anywhere: bool = False
    chooser: bool = False
    fresh_client: bool = False
    note: str = ""


DAY = "2020-02-17"
ON_DAY = {"date": DAY}


def _report_body(v: Any) -> dict[str, Any]:
    return {
        "enterprise": v.value("enterprise"),
        "date": DAY,
        "resumed": True,
        "reported_back": 10,
        "isolated": 0,
        "on_duty": 10,
        "capacity_pct": 20,
        "confirm": ["jump_reported_back", "jump_on_duty", "jump_capacity_pct"],
    }


def _problem_body(v: Any) -> dict[str, Any]:
    return {"enterprise": v.value("enterprise"), "category": "物流运输不畅", "title": "矩阵测试", "description": "矩阵测试"}


def _plan_body(v: Any) -> dict[str, Any]:
    # no lock (as the world's plans): a locked 2020 would refuse the later report writes with a 409
    return {
        "title": "矩阵测试任务",
        "owner_region": v.value("region"),
        "start_date": "2020-02-01",
        "lock_after_days": None,
    }


def _list_body(v: Any) -> dict[str, Any]:
    return {"title": "矩阵测试清单", "kind": "foreign_trade", "region": v.value("region")}


def _list_decision_body(v: Any) -> dict[str, Any]:
    return {"enterprises": [v.value("enterprise")], "decision": "approve"}


def _new_enterprise_body(v: Any) -> dict[str, Any]:
    return {"uscc": v.value("new_uscc"), "name": "矩阵测试新企业有限公司", "region": v.value("region")}


PLAN_AND_REGION = {"plan": "plan", "region": "region"}
FIGURES = Entry(query=PLAN_AND_REGION, extra_query=ON_DAY)

ROUTES: dict[str, Entry] = {
    "favicon.ico": Entry(public=True),
    # accounts
    "": Entry(own=True),
    "login/": Entry(public=True, own=True, writes="post"),
    "logout/": Entry(public=True, own=True, writes="post", fresh_client=True),
    # 账号管理: the side's account is a reporter of its enterprise, made by the city's dispatcher
    "accounts/": Entry(),
    "accounts/new/": Entry(writes="form"),
    "accounts/<int:user_id>/": Entry(),
    "accounts/<int:user_id>/grant/": Entry(writes="post"),
    "accounts/<int:user_id>/withdraw/": Entry(writes="post"),
    "accounts/<int:user_id>/disable/": Entry(writes="post"),
    "accounts/<int:user_id>/enable/": Entry(writes="post"),
    "accounts/<int:user_id>/reset/": Entry(writes="post"),
    "accounts/<int:user_id>/sign-out/": Entry(writes="post"),
    "password/": Entry(own=True, writes="post"),
    "tokens/": Entry(own=True, writes="post"),
    "tokens/<int:token_id>/revoke/": Entry(writes="post"),
    # SMS sign-in: asked without a phone or code, so every caller gets the same 422
    "login/sms/code/": Entry(public=True, own=True, writes="post"),
    "login/sms/": Entry(public=True, own=True, writes="post"),
    "devices/": Entry(own=True),
    "devices/<int:device_id>/revoke/": Entry(writes="post"),
    "devices/revoke-others/": Entry(own=True, writes="post"),
    "sso/wecom/": Entry(public=True, own=True, note="not configured in the matrix: 404 for everyone"),
    "sso/wecom/callback/": Entry(public=True, own=True),
    "sso/dingtalk/": Entry(public=True, own=True, note="not configured in the matrix: 404 for everyone"),
    "sso/dingtalk/callback/": Entry(public=True, own=True),
    # regions and enterprises
    "regions/<str:code>/": Entry(),
    "enterprises/": Entry(filters={"region": "region"}),
    "enterprises/new/": Entry(writes="form"),
    "enterprises/import/": Entry(writes="form"),
    "enterprises/<str:uscc>/": Entry(),
    "enterprises/<str:uscc>/edit/": Entry(writes="form"),
    # account 0 is nobody: those who may change the enterprise get 404 for it, the others the scope's 403/404
    "enterprises/<str:uscc>/invite/": Entry(writes="post", extra_data={"account": "0"}),
    # jobs (a person's own: others get 404)
    "jobs/<int:job_id>/": Entry(),
    "jobs/<int:job_id>/result.xlsx": Entry(),
    # dispatch
    "dispatch/board/": FIGURES,
    "dispatch/board/remind/": Entry(writes="post", data=PLAN_AND_REGION, extra_data=ON_DAY),
    "dispatch/dashboard/": FIGURES,
    "dispatch/brief/": FIGURES,
    "dispatch/brief.docx": FIGURES,
    "dispatch/export.xlsx": FIGURES,
    "dispatch/template.xlsx": FIGURES,
    "dispatch/import/": Entry(
        writes="form", query=PLAN_AND_REGION, extra_query=ON_DAY, action=(Action.REPORT,), anywhere=True
    ),
    "dispatch/baselines/": Entry(writes="form", note="the county's 在册员工 changes to accept"),
    "dispatch/e/<str:uscc>/": Entry(),
    "dispatch/e/<str:uscc>/report/": Entry(action=(Action.REPORT,), writes="form", extra_query=ON_DAY),
    "dispatch/reports/<int:report_id>/": Entry(),
    "dispatch/plans/": Entry(),
    "dispatch/plans/new/": Entry(writes="form"),
    "dispatch/plans/<int:plan_id>/": Entry(),
    "dispatch/plans/<int:plan_id>/edit/": Entry(writes="form"),
    "dispatch/plans/<int:plan_id>/qr/": Entry(query={"region": "region"}, action=(Action.CHANGE,)),
    "dispatch/plans/<int:plan_id>/unlock/": Entry(
        writes="post", data={"enterprise": "enterprise"}, extra_data={"date": DAY, "reason": "矩阵核查"}
    ),
    # notifications (the caller's own)
    "notifications/": Entry(own=True),
    "notifications/read/": Entry(own=True, writes="post"),
    "notifications/<int:notification_id>/open/": Entry(writes="post"),
    "notifications/settings/": Entry(own=True, writes="post"),
    # problems
    "problems/": Entry(filters={"region": "region"}),
    "problems/new/": Entry(query={"enterprise": "enterprise"}, action=INTAKE, writes="form", chooser=True),
    "problems/scorecard/": Entry(query={"region": "region"}),
    "problems/<int:problem_id>/": Entry(),
    "problems/<int:problem_id>/act/": Entry(
        action=MOVES, writes="post", extra_data={"action": "sign"}, note=MOVES_NOTE
    ),
    "problems/<int:problem_id>/attach/": Entry(action=ANY_WRITE, writes="post"),
    "problems/<int:problem_id>/files/<int:attachment_id>/": Entry(),
    # key-enterprise lists: nominating and deciding need a change of the enterprise named
    "lists/": Entry(),
    "lists/new/": Entry(writes="form"),
    "lists/<int:list_id>/": Entry(),
    "lists/<int:list_id>/export.xlsx": Entry(),
    "lists/<int:list_id>/nominate/": Entry(writes="form"),
    "lists/<int:list_id>/decide/": Entry(
        writes="post", data={"enterprises": "enterprise"}, extra_data={"decision": "approve"}
    ),
    # API
    "GET api/v1/": Entry(public=True, note="Ninja's root: 404 JSON for everyone"),
    "GET api/v1/openapi.json": Entry(public=True),
    "GET api/v1/docs": Entry(public=True),
    "POST api/v1/auth/token": Entry(public=True, own=True, body=lambda v: {"username": "nobody", "password": "x"}),
    "GET api/v1/auth/tokens": Entry(own=True),
    # a malformed phone: 422 for everyone, before any gateway or account is looked at
    "POST api/v1/auth/sms-code": Entry(public=True, own=True, body=lambda v: {"phone": "12345"}),
    "DELETE api/v1/auth/tokens/<token_id>": Entry(),
    "GET api/v1/regions/<code>": Entry(),
    "GET api/v1/regions/<code>/children": Entry(),
    "GET api/v1/enterprises": Entry(filters={"region": "region"}),
    "POST api/v1/enterprises": Entry(body=_new_enterprise_body, body_kinds=("region",)),
    "GET api/v1/enterprises/<uscc>": Entry(),
    "PATCH api/v1/enterprises/<uscc>": Entry(body=lambda v: {"contact_name": "矩阵测试"}),
    "GET api/v1/plans": Entry(),
    "POST api/v1/plans": Entry(body=_plan_body, body_kinds=("region",)),
    "GET api/v1/plans/<plan_id>": Entry(),
    "GET api/v1/plans/<plan_id>/completeness": Entry(query={"region": "region"}, extra_query=ON_DAY),
    "POST api/v1/reports": Entry(body=_report_body, body_kinds=("enterprise",), action=(Action.REPORT,)),
    # a plan filter needs its date (else a 400 that would check nothing)
    "GET api/v1/reports": Entry(filters={"enterprise": "enterprise", "plan": "plan"}, extra_query=ON_DAY),
    "GET api/v1/reports/<report_id>": Entry(),
    "GET api/v1/stats/resumption": FIGURES,
    "GET api/v1/notifications": Entry(own=True),
    "GET api/v1/notifications/unread": Entry(own=True),
    "POST api/v1/notifications/read": Entry(own=True, body=lambda v: {"ids": []}),
    "POST api/v1/problems": Entry(body=_problem_body, body_kinds=("enterprise",), action=INTAKE),
    "GET api/v1/problems": Entry(filters={"region": "region"}),
    "GET api/v1/problems/<problem_id>": Entry(),
    "POST api/v1/problems/<problem_id>/transitions": Entry(
        body=lambda v: {"action": "sign"}, action=MOVES, note=MOVES_NOTE
    ),
    "GET api/v1/lists": Entry(),
    "POST api/v1/lists": Entry(body=_list_body, body_kinds=("region",)),
    "GET api/v1/lists/<list_id>": Entry(),
    "GET api/v1/lists/<list_id>/export.xlsx": Entry(),
    "POST api/v1/lists/<list_id>/nominations": Entry(
        body=lambda v: {"enterprises": [v.value("enterprise")]}, body_kinds=("enterprise",)
    ),
    "POST api/v1/lists/<list_id>/decisions": Entry(body=_list_decision_body, body_kinds=("enterprise",)),
}


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


def _ninja_methods(callback: Any) -> list[str] | None:
    """The methods of a Ninja path view (its wrapper closes over the PathView), else None."""
    if not inspect.isfunction(callback):  # the docs and schema views are partials
        return None
    path_view = inspect.getclosurevars(callback).nonlocals.get("self")
    operations = getattr(path_view, "operations", None)
    if operations is None:
        return None
    return sorted({m.upper() for op in operations for m in op.methods})


def project_routes() -> list[Route]:
    """Every (pattern, method) the project answers, deduplicated (Ninja lists a path per operation)."""
    seen: set[tuple[str, str]] = set()
    routes = []
    for pattern, p in _walk(get_resolver().url_patterns):
        methods = _ninja_methods(p.callback) if pattern.startswith("api/") else None
        if methods is None:
            methods = ["GET"] if pattern.startswith("api/") else list(PAGE_METHODS)
        for method in methods:
            if (pattern, method) in seen:
                continue
            seen.add((pattern, method))
            routes.append(Route(pattern, method, tuple(route_params(pattern))))
    return routes


def route_params(pattern: str) -> list[str]:
    """Parameter names of a pattern string ("<int:plan_id>" or Ninja's "<plan_id>")."""
    names = []
    for part in pattern.split("<")[1:]:
        inner = part.split(">", 1)[0]
        names.append(inner.split(":")[-1])
    return names


def admin_family(pattern: str) -> type | None:
    """The model whose ModelAdmin generated this admin route, or None for any other admin route."""
    for model in admin.site._registry:
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        if pattern.startswith(base):
            return model
    return None


ADMIN_SITE_ROUTES = {
    "admin/",
    "admin/login/",
    "admin/logout/",
    "admin/password_change/",
    "admin/password_change/done/",
    "admin/autocomplete/",
    "admin/jsi18n/",
    "admin/r/<path:content_type_id>/<path:object_id>/",
    "admin/(?P<url>.*)$",
}


def is_admin_app_index(pattern: str) -> bool:
    return pattern.startswith("admin/^(?P<app_label>")


def unregistered(routes: list[Route]) -> list[str]:
    """Routes the registry does not cover (a new page or operation needs an entry)."""
    missing = []
    for r in routes:
        if r.is_admin:
            if r.pattern in ADMIN_SITE_ROUTES or is_admin_app_index(r.pattern) or admin_family(r.pattern):
                continue
            missing.append(r.key)
        elif r.key not in ROUTES:
            missing.append(r.key)
    return sorted(set(missing))


def stale(routes: list[Route]) -> list[str]:
    """Registry entries whose route is gone (renamed or removed): the registry must follow."""
    keys = {r.key for r in routes}
    return sorted(set(ROUTES) - keys)
