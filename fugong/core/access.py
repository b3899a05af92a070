"""The one place that decides what a user may see and change (after NetBox's RestrictedQuerySet).

A user's memberships are turned into a Scope once per request: for each action, the region
subtrees (materialized paths) and the individual enterprises it reaches. Every restricted
model's queryset has `.visible_to(user, action)`, which filters by that scope with the model's
own `scope_q`. Pages, API endpoints, exports and jobs all go through it; `access_object` turns
"not visible" into 404 and "visible but not changeable" into 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from django.db import models
from django.db.models import Q

from fugong.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from fugong.accounts.models import User


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


def scope_for(user: User | AnonymousUser | None) -> Scope:
    """The user's scope, computed from memberships once per user object (i.e. per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_fugong_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)  # type: ignore[arg-type]
    user._fugong_scope = scope  # type: ignore[union-attr,attr-defined]
    return scope


def forget_scope(user: Any) -> None:
    """Call after changing a user's memberships within the same request."""
    if hasattr(user, "_fugong_scope"):
        del user._fugong_scope


def _compute_scope(user: User) -> Scope:
    from fugong.accounts.models import Membership

    if user.is_superuser:
        return Scope(everything=True, user_id=user.pk)
    paths: dict[str, set[str]] = {}
    enterprises: dict[str, set[int]] = {}
    departments: set[int] = set()
    own: set[int] = set()
    handler_paths: set[str] = set()
    other_paths: set[str] = set()
    memberships = Membership.objects.filter(user=user, active=True).select_related("region", "department")
    for m in memberships:
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
