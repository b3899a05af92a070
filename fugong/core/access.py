"""The one place that decides what a user may see and change (after NetBox's RestrictedQuerySet).

A user's memberships are turned into a Scope once per request: for each action, the region
subtrees (materialized paths) and the individual enterprises it reaches. Every restricted
model's queryset has `.visible_to(user, action)`, which filters by that scope with the model's
own `scope_q`. Pages, API endpoints, exports and jobs all go through it; `access_object` turns
"not visible" into 404 and "visible but not changeable" into 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from django.db import models
from django.db.models import Q

from fugong.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    DISPATCHER = "dispatcher", "调度员"
    LEADER = "leader", "领导"
    HANDLER = "handler", "承办人员"
    LIAISON = "liaison", "联络员"
    REPORTER = "reporter", "企业填报员"


class Action(models.TextChoices):
    VIEW = "view", "查看"
    CHANGE = "change", "修改"
    REPORT = "report", "填报"
    HANDLE = "handle", "办理"
    MANAGE = "manage", "管理"


# What each role may do within its anchor (a region subtree or one enterprise).
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({Action.VIEW, Action.CHANGE, Action.REPORT, Action.HANDLE, Action.MANAGE}),
    Role.DISPATCHER: frozenset({Action.VIEW, Action.CHANGE, Action.REPORT}),
    Role.LEADER: frozenset({Action.VIEW}),
    Role.HANDLER: frozenset({Action.VIEW, Action.HANDLE}),
    Role.LIAISON: frozenset({Action.VIEW, Action.REPORT}),
    Role.REPORTER: frozenset({Action.VIEW, Action.REPORT}),
}


@dataclass(frozen=True)
class Grant:
    """What one action reaches: region subtrees by path, and single enterprises by id."""

    paths: tuple[str, ...] = ()
    enterprise_ids: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.paths and not self.enterprise_ids


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    grants: dict[str, Grant] = field(default_factory=dict)
    department_ids: frozenset[int] = frozenset()
    user_id: int | None = None  # for things that belong to a person (their jobs, their tokens)
    own_enterprise_ids: frozenset[int] = frozenset()  # where the user is the enterprise's own reporter
    # subtrees reached only through a handler's department: enough to see the region's
    # enterprises, not every problem in it (a handler sees what is dispatched to them)
    department_only_paths: frozenset[str] = frozenset()

    def grant(self, action: str) -> Grant:
        return self.grants.get(action, Grant())

    def allows(self, action: str) -> bool:
        return self.everything or not self.grant(action).empty

    def covers_path(self, action: str, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.grant(action).paths)

    def region_q(self, action: str, path_field: str) -> Q:
        """Rows whose region path lies in one of the action's subtrees; empty scope → nothing."""
        q = Q(pk__in=[])
        for path in self.grant(action).paths:
            if len(path) > 2:  # never let a malformed (empty) path match everything
                q |= Q(**{f"{path_field}__startswith": path})
        return q


NOTHING = Scope()

# Where a user's active memberships come from. Core imports no app: accounts defines Membership
# and imports this module (for RestrictedQuerySet, Role, Scope), so it hands its query over in
# AccountsConfig.ready() rather than being imported from here, which would close a circle.
MembershipSource = Callable[[Any], Iterable[Any]]
_membership_source: MembershipSource | None = None


def register_membership_source(source: MembershipSource) -> None:
    """Called once by the accounts app: `source(user)` yields the user's active memberships, each
    with role, region/department/enterprise (and their ids), department.region."""
    global _membership_source
    _membership_source = source


def scope_for(user: AbstractUser | AnonymousUser | None) -> Scope:
    """The user's scope, computed from memberships once per user object (i.e. per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_fugong_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)  # type: ignore[arg-type]
    user._fugong_scope = scope  # type: ignore[union-attr,attr-defined]
    return scope


# Named questions about a user's reach. Callers ask these instead of reading a Scope's fields,
# so what "supervises" or "reports for" means is decided here once.


def sees_everything(user: Any) -> bool:
    return scope_for(user).everything


def may_anywhere(user: Any, action: str) -> bool:
    """Whether any membership grants `action` somewhere (e.g. to show a 修改 link at all)."""
    return scope_for(user).allows(action)


def may_at(user: Any, action: str, path: str) -> bool:
    """Whether `action` reaches the whole subtree at `path` (a region-anchored grant above it)."""
    return scope_for(user).covers_path(action, path)


def may_dispatch_at(user: Any, path: str) -> bool:
    """A dispatcher (or region admin) of this region or of one above it: changes its data and
    dispatches the work orders its level holds."""
    return may_at(user, Action.CHANGE, path)


def dispatch_region_q(user: Any, path_field: str) -> Q:
    """Rows whose region lies where the user dispatches (everything for a superuser)."""
    scope = scope_for(user)
    return Q() if scope.everything else scope.region_q(Action.CHANGE, path_field)


def anchor_paths(user: Any, action: str = Action.VIEW) -> tuple[str, ...]:
    """The subtrees a region- or department-anchored membership grants `action` in (none for a
    superuser, whose reach has no anchor): where a page opens for the user by default."""
    return scope_for(user).grant(action).paths


def supervised_paths(user: Any) -> list[str]:
    """The subtrees the user reads through a region role (dispatcher, leader, region admin) —
    not those a handler reaches only through their department, which show the region's
    enterprises but are no licence to read how others did or to supervise them."""
    scope = scope_for(user)
    return [p for p in scope.grant(Action.VIEW).paths if p not in scope.department_only_paths]


def supervises_somewhere(user: Any) -> bool:
    return sees_everything(user) or bool(supervised_paths(user))


def supervises(user: Any, path: str) -> bool:
    """Reads the subtree at `path` through a region role (see supervised_paths)."""
    return sees_everything(user) or any(path.startswith(p) for p in supervised_paths(user))


def handles_for(user: Any, department_id: int | None) -> bool:
    """A handler (承办人员) of that department (a superuser is none: no department is theirs)."""
    scope = scope_for(user)
    return department_id in scope.department_ids and scope.allows(Action.HANDLE)


def own_department_ids(user: Any) -> frozenset[int]:
    """The departments the user belongs to (any membership anchored to one): whose assist
    requests they answer."""
    return scope_for(user).department_ids


def reports_for(user: Any, enterprise_id: int | None) -> bool:
    """Reports for that one enterprise through a membership anchored to it (its own reporter or
    its liaison), not merely through a region above it."""
    return enterprise_id in scope_for(user).grant(Action.REPORT).enterprise_ids


def enterprises_reported_for(user: Any) -> frozenset[int]:
    """The enterprises reports_for is true of."""
    return scope_for(user).grant(Action.REPORT).enterprise_ids


def is_own_enterprise(user: Any, enterprise_id: int | None) -> bool:
    """The user is that enterprise's own reporter (企业填报员), not its liaison or a dispatcher."""
    return enterprise_id in scope_for(user).own_enterprise_ids


def own_enterprise_ids(user: Any) -> frozenset[int]:
    return scope_for(user).own_enterprise_ids


def reports_for_others(user: Any) -> bool:
    """Reports for more than the user's own enterprise: for a region, or as a liaison."""
    scope = scope_for(user)
    grant = scope.grant(Action.REPORT)
    return scope.everything or bool(grant.paths) or bool(grant.enterprise_ids - scope.own_enterprise_ids)


# ---- delegated administration of accounts: who may grant which role where ----

# A role's rank: an account is administered by those ranked above it, or ranked the same but
# anchored above it (a city dispatcher makes its counties' dispatchers; no one makes a peer).
# A leader ranks with dispatchers: read-only, but nobody below a region's dispatchers names one.
ROLE_RANK: dict[str, int] = {
    Role.ADMIN: 4,
    Role.DISPATCHER: 3,
    Role.LEADER: 3,
    Role.HANDLER: 2,
    Role.LIAISON: 1,
    Role.REPORTER: 1,
}


def _administered_ranks(user: Any) -> list[tuple[str, int]]:
    """(subtree path, rank) of each region role that administers accounts: a region admin
    (MANAGE) ranks as an admin, a dispatcher (CHANGE without MANAGE) as a dispatcher."""
    scope = scope_for(user)
    managed = scope.grant(Action.MANAGE).paths
    ranks = [(p, ROLE_RANK[Role.ADMIN]) for p in managed]
    ranks += [(p, ROLE_RANK[Role.DISPATCHER]) for p in scope.grant(Action.CHANGE).paths if p not in managed]
    return ranks


def administers_somewhere(user: Any) -> bool:
    """Whether the user manages any accounts at all (the 账号管理 page is theirs)."""
    return sees_everything(user) or bool(_administered_ranks(user))


def administered_paths(user: Any) -> tuple[str, ...]:
    """The subtrees whose accounts the user manages (none for a superuser, who manages all)."""
    return tuple(sorted(p for p, _ in _administered_ranks(user)))


def grant_refusal(user: Any, role: str, path: str | None, where: str = "") -> str | None:
    """Why `user` may not grant (or withdraw) `role` anchored at the region `path` (an
    enterprise's or department's region for those roles; None for a nationwide admin), in
    Chinese; None when they may. `where` names the anchor in the reason."""
    if sees_everything(user):
        return None
    ranks = _administered_ranks(user)
    label = Role(role).label
    if not ranks:
        return "您的角色不能管理账号，请联系上级调度员"
    if not path:
        return f"全国范围的“{label}”只能由系统管理员授予"
    covering = [(own, rank) for own, rank in ranks if path.startswith(own)]
    if not covering:
        return f"“{where or path}”不在您管理的区划内，不能授予或撤销那里的角色"
    wanted = ROLE_RANK[role]
    for own, rank in covering:
        if wanted < rank or (wanted == rank and path != own):
            return None  # ranked below the user's, or the same rank strictly below their anchor
    if all(wanted > rank for _, rank in covering):
        return f"不能授予比自己更高的角色“{label}”，请联系上级"
    return f"“{label}”只能由上级授予：不能在您所在的同级区划设立同级角色"


def may_grant(user: Any, role: str, path: str | None) -> bool:
    return grant_refusal(user, role, path) is None


def forget_scope(user: Any) -> None:
    """Call after changing a user's memberships within the same request."""
    if hasattr(user, "_fugong_scope"):
        del user._fugong_scope


def _compute_scope(user: AbstractUser) -> Scope:
    if _membership_source is None:  # fail loudly rather than let everyone see nothing or more
        raise RuntimeError("fugong.accounts 未注册角色授权来源（register_membership_source）")
    if user.is_superuser:
        return Scope(everything=True, user_id=user.pk)
    paths: dict[str, set[str]] = {}
    enterprises: dict[str, set[int]] = {}
    departments: set[int] = set()
    own: set[int] = set()
    handler_paths: set[str] = set()
    other_paths: set[str] = set()
    for m in _membership_source(user):
        actions = ROLE_ACTIONS[m.role]
        if m.role == Role.ADMIN and not (m.region_id or m.department_id or m.enterprise_id):
            return Scope(everything=True, user_id=user.pk)
        if m.department_id:
            departments.add(m.department_id)
        if m.role == Role.REPORTER and m.enterprise_id:
            own.add(m.enterprise_id)
        region = m.region or (m.department.region if m.department else None)
        if region is not None and not m.enterprise_id:
            (handler_paths if m.role == Role.HANDLER else other_paths).add(region.path)
        for action in actions:
            if m.enterprise_id:
                enterprises.setdefault(action, set()).add(m.enterprise_id)
            elif region is not None:
                paths.setdefault(action, set()).add(region.path)
    grants = {
        action: Grant(
            paths=tuple(sorted(paths.get(action, ()))),
            enterprise_ids=frozenset(enterprises.get(action, ())),
        )
        for action in set(paths) | set(enterprises)
    }
    return Scope(
        grants=grants,
        department_ids=frozenset(departments),
        user_id=user.pk,
        own_enterprise_ids=frozenset(own),
        department_only_paths=frozenset(handler_paths - other_paths),
    )


M = TypeVar("M", bound=models.Model)


class RestrictedQuerySet(models.QuerySet[M], Generic[M]):
    """A queryset that can be narrowed to what a user may see or change.

    Subclasses implement `scope_q(scope, action)`; nothing else decides visibility.
    """

    def scope_q(self, scope: Scope, action: str) -> Q:
        raise NotImplementedError

    def visible_to(self, user: Any, action: str = Action.VIEW) -> Self:
        scope = scope_for(user)
        if scope.everything:
            return self.all()
        return self.filter(self.scope_q(scope, action))


def access_object(queryset: RestrictedQuerySet[M], user: Any, action: str = Action.VIEW, **lookup: Any) -> M:
    """The object the user asked for, or NotFound if out of scope, Forbidden if read-only to them."""
    obj = queryset.visible_to(user, action).filter(**lookup).first()
    if obj is not None:
        return obj  # one query on the common path
    error: Forbidden | NotFound
    if action != Action.VIEW and queryset.visible_to(user, Action.VIEW).filter(**lookup).exists():
        error = Forbidden()
    else:
        error = NotFound()
    refused(user, error, queryset.model, lookup, action)
    raise error


def require_action(user: Any, action: str) -> None:
    """For operations not tied to one object (e.g. creating an enterprise somewhere)."""
    if not scope_for(user).allows(action):
        error = Forbidden(f"您的角色没有“{Action(action).label}”权限")
        refused(user, error, None, {}, action)
        raise error


def refused(user: Any, error: Forbidden | NotFound, model: type[models.Model] | None, lookup: dict[str, Any], action: str) -> None:
    """Notes the refusal for the audit trail (written when the request ends, without a query here)."""
    from fugong.core import audit  # audit's models import this module

    audit.note_refusal(user, error, model, lookup, action)
