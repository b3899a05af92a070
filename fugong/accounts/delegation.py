"""Delegated administration: which accounts a dispatcher manages, from core.access's rule.

`core.access.grant_refusal` says who may grant which role at which region (the rank of roles).
This module feeds it the memberships of accounts — a membership is anchored at a region
directly (dispatcher, leader, region admin), through its department (handler) or through its
enterprise (reporter, liaison) — and says in one place which accounts a user sees on the
账号管理 pages and whether they may change one as a whole (disable it, reset its password).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fugong.accounts.models import Membership, User
from fugong.core.access import (
    administered_paths,
    administers_somewhere,
    grant_refusal,
    sees_everything,
)

ANCHOR_PATH_FIELDS = ("region__path", "department__region__path", "enterprise__region__path")


def anchor_path(membership: Membership) -> str | None:
    """The region path a membership is anchored at; None for a nationwide admin."""
    if membership.enterprise is not None:
        return membership.enterprise.region.path
    if membership.department is not None:
        return membership.department.region.path
    return membership.region.path if membership.region is not None else None


def anchor_name(membership: Membership) -> str:
    return str(membership.enterprise or membership.department or membership.region or "全国")


def membership_refusal(actor: Any, membership: Membership) -> str | None:
    """Why `actor` may not withdraw (or grant) this membership; None when they may."""
    if membership.user_id == actor.pk:
        return "不能修改自己的角色，请联系上级调度员"
    return grant_refusal(actor, membership.role, anchor_path(membership), anchor_name(membership))


def with_anchors(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    return memberships.select_related("region", "department__region", "enterprise__region")


def administered_memberships_q(actor: Any) -> Q:
    """Memberships anchored inside the subtrees the actor administers (any, for a superuser)."""
    if sees_everything(actor):
        return Q()
    q = Q(pk__in=[])
    for path in administered_paths(actor):
        if len(path) > 2:  # never let a malformed (empty) path match everything
            for field in ANCHOR_PATH_FIELDS:
                q |= Q(**{f"{field}__startswith": path})
    return q


def administered_users(actor: Any) -> QuerySet[User]:
    """The accounts the actor's 账号管理 pages list: those holding (or having held: a withdrawn
    role still shows whose account it was) a role inside the actor's region. System
    administrators (superusers, admin-site staff) are managed by system administrators only, and
    one's own account is not on the list (its password is changed at 修改密码, its roles above)."""
    if sees_everything(actor):
        return User.objects.exclude(pk=actor.pk)
    if not administers_somewhere(actor):
        return User.objects.none()
    held_here = Membership.objects.filter(administered_memberships_q(actor)).values("user_id")
    return User.objects.filter(pk__in=held_here, is_superuser=False, is_staff=False).exclude(pk=actor.pk)


def in_region(actor: Any, membership: Membership) -> bool:
    """Whether the membership is anchored where the actor administers: only those are shown to
    them (another region's enterprise or department is not theirs to read about)."""
    if sees_everything(actor):
        return True
    path = anchor_path(membership)
    return path is not None and any(path.startswith(p) for p in administered_paths(actor))


def account_refusal(actor: Any, user: User, doing: str) -> str | None:
    """Why `actor` may not `doing` (停用, 启用, 重置密码) the account as a whole: it is their own,
    or one of its active roles lies beyond what they may grant (it would lose that role too).
    A role outside their region is not named, only said to exist."""
    if user.pk == actor.pk:
        return f"不能{doing}自己的账号，请联系上级调度员"
    if (user.is_superuser or user.is_staff) and not sees_everything(actor):
        return f"系统管理员账号只能由系统管理员{doing}"
    for m in with_anchors(user.memberships.filter(active=True)):
        if not in_region(actor, m):
            return f"该账号另有您管理的区划以外的角色，不能由您{doing}；请联系上级调度员或系统管理员"
        if grant_refusal(actor, m.role, anchor_path(m), anchor_name(m)) is not None:
            return f"该账号担任“{m}”，不能由您{doing}；请联系上级调度员或系统管理员"
    return None
