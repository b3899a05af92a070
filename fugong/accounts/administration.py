"""Delegated administration of accounts (issue 14 §1): a dispatcher creates, disables, enables
and resets the accounts of their own region and grants and withdraws their roles.

Who may do what is `core.access.grant_refusal` (fed by `accounts.delegation`); each action asks
it and refuses with its Chinese reason. Users and memberships are saved under `audit.acting`,
so the receivers of accounts.signals write the rows (新建用户, 停用用户, 授予角色 …) with the
dispatcher as the actor, as they do for a change in /admin/; what no receiver sees (sign-ins
ended, tokens revoked) is recorded here.

A staff account's password reset sets a temporary password that the page shows once, for the
dispatcher to hand over; it is not forced to be changed at the next sign-in (that would need a
flag on the user and a check on every request), so the page asks the person to change it at
修改密码. A reporter signs in by SMS code and has no password: their "reset" ends their sign-ins,
and the account page offers the enterprise's 重发邀请 (accounts.invitations). A new reporter
account gets its invitation queued in the outbox, as one made from the registry does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from fugong.accounts.delegation import (
    account_refusal,
    administered_users,
    membership_refusal,
    with_anchors,
)
from fugong.accounts.invitations import queue_invitations
from fugong.accounts.models import ApiToken, Department, DeviceSession, Membership, User
from fugong.core import access, audit
from fugong.core.access import Role, grant_refusal
from fugong.core.cells import CellError
from fugong.core.errors import Conflict, ErrorItem, Forbidden, NotFound, ValidationFailed
from fugong.core.models import AuditEvent
from fugong.core.phones import normalize_mobile
from fugong.core.versions import StaleVersion, version_of, who_and_when
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Region

# Where each role is anchored (Membership.clean says the same for the admin's form).
ANCHOR_OF_ROLE = {
    Role.REPORTER: "enterprise",
    Role.LIAISON: "enterprise",
    Role.HANDLER: "department",
    Role.DISPATCHER: "region",
    Role.LEADER: "region",
    Role.ADMIN: "region",
}
ANCHOR_LABELS = {"enterprise": "企业", "department": "部门", "region": "区划"}
# Reporters sign in with an SMS code; everyone else also has a password
SMS_ONLY_ROLES = frozenset({Role.REPORTER})
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


@dataclass(frozen=True)
class Anchor:
    region: Region | None = None
    department: Department | None = None
    enterprise: Enterprise | None = None

    def fields(self) -> dict[str, Any]:
        return {"region": self.region, "department": self.department, "enterprise": self.enterprise}


@dataclass(frozen=True)
class Created:
    user: User
    membership: Membership
    new_account: bool  # False: the phone already had an account, which got the role
    temporary_password: str | None  # shown once to the dispatcher


def refuse(actor: Any, reason: str, user: User | None = None) -> Forbidden:
    """A refusal with its reason, noted for the audit trail like core.access's own."""
    error = Forbidden(reason)
    access.refused(actor, error, User, {"pk": user.pk} if user else {}, access.Action.MANAGE)
    return error


def temporary_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))


# ---- reading: the accounts a dispatcher manages, one account's state and history ----


def account_for(actor: Any, user_id: int) -> User:
    """An account the actor administers, or NotFound (whether or not it exists elsewhere)."""
    user = administered_users(actor).filter(pk=user_id).first()
    if user is None:
        error = NotFound("账号不存在，或不在您管理的区划内")
        access.refused(actor, error, User, {"pk": user_id}, access.Action.MANAGE)
        raise error
    return user


def membership_of(user: User, membership_id: str) -> Membership:
    """One of the account's roles, by the id a form sent."""
    membership = None
    if membership_id.strip().isdigit():
        membership = with_anchors(user.memberships.filter(pk=int(membership_id))).first()
    if membership is None:
        raise ValidationFailed.of([ErrorItem("请选择要撤销的角色", "required", "membership", "角色")])
    return membership


def account_state(user: User) -> dict[str, Any]:
    """What an edit of the account is based on: its state and its roles."""
    roles = user.memberships.order_by("pk").values_list("pk", "role", "active")
    return {"is_active": user.is_active, "memberships": [list(r) for r in roles]}


def account_version(user: User) -> str:
    return version_of(account_state(user))


def account_history(user: User, membership_ids: list[int] | None = None) -> QuerySet[AuditEvent]:
    """The audit rows of the account, its roles (all, or those of `membership_ids`: the ones the
    reader may see) and its tokens, newest first."""
    if membership_ids is None:
        membership_ids = list(user.memberships.values_list("pk", flat=True))
    membership_keys = [str(pk) for pk in membership_ids]
    token_keys = [str(pk) for pk in user.api_tokens.values_list("pk", flat=True)]
    return AuditEvent.objects.filter(
        Q(object_type="user", object_key=str(user.pk))
        | Q(object_type="membership", object_key__in=membership_keys)
        | Q(object_type="apitoken", object_key__in=token_keys)
    ).select_related("actor")


def check_account_version(user: User, base_version: str | None) -> None:
    """Refuses a change based on an older state of the account (a colleague, another tab)."""
    current = account_state(user)
    if base_version is None or base_version.strip() == version_of(current):
        return
    event = account_history(user).first()
    who = who_and_when(event.at, event.actor, event.channel) if event else "刚才被他人"
    what = f"（{audit.action_label(event.action)}）" if event else ""
    raise StaleVersion(
        f"账号“{user}”已于 {who} 变更{what}，请核对当前状态后再提交",
        details={"current": current, "version": version_of(current), "changed": []},
    )


# ---- the anchor of a role, from what a form or a client typed ----


def resolve_anchor(
    actor: Any, role: str, region: str = "", department: str = "", enterprise: str = ""
) -> Anchor:
    """The region, department or enterprise the role is anchored at, looked up among those the
    actor can see (one they cannot is "not found", never named)."""
    if role not in Role.values:
        raise ValidationFailed.of([ErrorItem("请选择角色", "required", "role", "角色")])
    kind = ANCHOR_OF_ROLE[Role(role)]
    typed = {"region": region, "department": department, "enterprise": enterprise}[kind].strip()
    label = ANCHOR_LABELS[kind]
    if not typed:
        if role == Role.ADMIN:
            return Anchor()  # nationwide: only a system administrator may grant it (grant_refusal)
        message = f"“{Role(role).label}”须指定{label}"
        raise ValidationFailed.of([ErrorItem(message, "required", kind, label)])
    found: Any
    if kind == "region":
        found = Region.objects.visible_to(actor).filter(code=typed).first()
    elif kind == "department":
        found = (
            Department.objects.visible_to(actor).filter(pk=int(typed)).first() if typed.isdigit() else None
        )
    else:
        found = (
            Enterprise.objects.visible_to(actor).filter(uscc=typed.upper()).select_related("region").first()
        )
    if found is None:
        message = f"未找到{label}“{typed}”，或不在您的管辖范围内"
        raise ValidationFailed.of([ErrorItem(message, "not_found", kind, label)])
    return Anchor(**{kind: found})


def anchor_region_path(anchor: Anchor) -> str | None:
    if anchor.enterprise is not None:
        return anchor.enterprise.region.path
    if anchor.department is not None:
        return anchor.department.region.path
    return anchor.region.path if anchor.region is not None else None


def clean_phone(phone: str) -> str:
    try:
        return normalize_mobile(phone)
    except CellError as exc:
        raise ValidationFailed.of([ErrorItem(str(exc), "invalid", "phone", "手机号")]) from None


def clean_name(display_name: str) -> str:
    name = (display_name or "").strip()
    if not name:
        raise ValidationFailed.of([ErrorItem("请填写姓名", "required", "display_name", "姓名")])
    if len(name) > 40:
        message = f"姓名最多40个字，现为{len(name)}个字"
        raise ValidationFailed.of([ErrorItem(message, "too_long", "display_name", "姓名")])
    return name


# ---- the actions ----


def _grant(actor: Any, user: User, role: str, anchor: Anchor) -> Membership:
    """The membership, made or made active again; refused if the user already holds it."""
    same = user.memberships.filter(role=role, **anchor.fields()).order_by("-active", "pk").first()
    if same is not None and same.active:
        raise Conflict(f"该账号已担任“{same}”")
    if same is not None:
        same.active = True
        same.save(update_fields=["active"])
        return same
    return Membership.objects.create(user=user, role=role, **anchor.fields())


def require_administration(actor: Any) -> None:
    """Before anything is looked up: a role that manages no accounts is told so, not "not found"."""
    if not access.administers_somewhere(actor):
        raise refuse(actor, "您的角色不能管理账号，请联系上级调度员")


def _check_grant(actor: Any, user: User | None, role: str, anchor: Anchor) -> None:
    if user is not None and user.pk == actor.pk:
        raise refuse(actor, "不能给自己授予角色，请联系上级调度员", user)
    name = str(anchor.enterprise or anchor.department or anchor.region or "全国")
    reason = grant_refusal(actor, role, anchor_region_path(anchor), name)
    if reason is not None:
        raise refuse(actor, reason, user)


@transaction.atomic
def do_create_account(
    actor: Any,
    *,
    phone: str,
    display_name: str,
    role: str,
    region: str = "",
    department: str = "",
    enterprise: str = "",
    channel: str,
) -> Created:
    """A new account with one role, or — when the phone already has an account — that role on it
    (one account per phone: a group's clerk reports for several enterprises)."""
    require_administration(actor)
    errors: list[ErrorItem] = []
    for check, value in ((clean_phone, phone), (clean_name, display_name)):
        try:
            check(value)
        except ValidationFailed as exc:
            errors += [ErrorItem(**e) for e in exc.details["errors"]]
    if errors:
        raise ValidationFailed.of(errors)
    number, name = clean_phone(phone), clean_name(display_name)
    anchor = resolve_anchor(actor, role, region, department, enterprise)
    _check_grant(actor, None, role, anchor)
    existing = User.objects.filter(Q(phone=number) | Q(username=number)).first()
    if existing is not None:
        return _grant_to_existing(actor, existing, role, anchor, channel)
    password = None if role in SMS_ONLY_ROLES else temporary_password()
    with audit.acting(actor, channel):
        try:
            with transaction.atomic():  # a colleague adding the same phone at once: link to theirs
                user = User(username=number, phone=number, display_name=name)
                if password:
                    user.set_password(password)
                else:
                    user.set_unusable_password()
                user.save()
        except IntegrityError:
            existing = User.objects.get(Q(phone=number) | Q(username=number))
            return _grant_to_existing(actor, existing, role, anchor, channel)
        membership = _grant(actor, user, role, anchor)
    if anchor.enterprise is not None and role == Role.REPORTER:  # as an account from the registry
        queue_invitations(
            actor, {user.pk: [(anchor.enterprise.uscc, anchor.enterprise.name)]}, timezone.now()
        )
    return Created(user, membership, True, password)


def _grant_to_existing(actor: Any, user: User, role: str, anchor: Anchor, channel: str) -> Created:
    if user.pk == actor.pk:
        raise refuse(actor, "这是您自己的手机号：不能给自己授予角色，请联系上级调度员", user)
    if user.is_superuser or user.is_staff:
        raise Conflict("该手机号属于系统管理员账号，请联系系统管理员")
    if not user.is_active:
        managed = (
            account_refusal(actor, user, "启用") is None
            and administered_users(actor).filter(pk=user.pk).exists()
        )
        ask = "请先在其账号页启用" if managed else "请联系其所属区划的上级调度员或系统管理员启用"
        raise Conflict(f"该手机号已有账号“{user}”，但已停用；{ask}")
    with audit.acting(actor, channel):
        membership = _grant(actor, user, role, anchor)
    return Created(user, membership, False, None)


@transaction.atomic
def do_grant_role(
    actor: Any,
    user: User,
    role: str,
    *,
    region: str = "",
    department: str = "",
    enterprise: str = "",
    base_version: str | None = None,
    channel: str,
) -> Membership:
    require_administration(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    anchor = resolve_anchor(actor, role, region, department, enterprise)
    _check_grant(actor, user, role, anchor)
    check_account_version(user, base_version)
    with audit.acting(actor, channel):
        return _grant(actor, user, role, anchor)


@transaction.atomic
def do_withdraw_role(
    actor: Any, membership: Membership, *, base_version: str | None = None, channel: str
) -> Membership:
    user = User.objects.select_for_update().get(pk=membership.user_id)
    membership = with_anchors(Membership.objects.filter(pk=membership.pk)).get()
    reason = membership_refusal(actor, membership)
    if reason is not None:
        raise refuse(actor, reason, user)
    check_account_version(user, base_version)
    if not membership.active:
        raise Conflict(f"“{membership}”已撤销")
    with audit.acting(actor, channel):
        membership.active = False
        membership.save(update_fields=["active"])
    return membership


def _check_account(actor: Any, user: User, doing: str, base_version: str | None) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    reason = account_refusal(actor, user, doing)
    if reason is not None:
        raise refuse(actor, reason, user)
    check_account_version(user, base_version)
    return user


@transaction.atomic
def do_disable_account(actor: Any, user: User, *, base_version: str | None = None, channel: str) -> User:
    """Stops the account at once: no sign-in, its sessions deleted, its tokens revoked."""
    user = _check_account(actor, user, "停用", base_version)
    if not user.is_active:
        raise Conflict(f"账号“{user}”已停用")
    with audit.acting(actor, channel):
        user.is_active = False
        user.save(update_fields=["is_active"])
    _end_sign_ins(actor, user, channel, "账号停用")
    return user


@transaction.atomic
def do_enable_account(actor: Any, user: User, *, base_version: str | None = None, channel: str) -> User:
    user = _check_account(actor, user, "启用", base_version)
    if user.is_active:
        raise Conflict(f"账号“{user}”未停用")
    with audit.acting(actor, channel):
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def do_reset_password(actor: Any, user: User, *, base_version: str | None = None, channel: str) -> str:
    """A temporary password for a staff account, returned to be shown once; the account's
    sessions end (its API tokens stay: a bureau's system is not the person who forgot)."""
    user = _check_account(actor, user, "重置密码", base_version)
    if signs_in_by_sms_only(user):
        raise Conflict("该账号只用短信验证码登录，没有密码；如需让其重新登录，请用“结束登录”")
    password = temporary_password()
    with audit.acting(actor, channel):
        user.set_password(password)
        user.save(update_fields=["password"])
    end_sessions(user)
    return password


@transaction.atomic
def do_end_sign_ins(actor: Any, user: User, *, base_version: str | None = None, channel: str) -> int:
    """A reporter's "reset" (a lost phone, a clerk who left): every session and token ends; they
    sign in again with an SMS code. Returns how many sign-ins ended."""
    user = _check_account(actor, user, "结束登录", base_version)
    return _end_sign_ins(actor, user, channel, "管理员结束登录")


def signs_in_by_sms_only(user: User) -> bool:
    return not user.has_usable_password()


def _end_sign_ins(actor: Any, user: User, channel: str, why: str) -> int:
    sessions = end_sessions(user)
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, channel=channel, action="token.revoke", obj=token, note=f"{why}：{token}")
    audit.record(
        actor=actor,
        channel=channel,
        action="user.sign_ins_end",
        obj=user,
        changes={"sessions": sessions, "tokens": len(tokens)},
        note=f"{why}：结束 {sessions} 个登录会话，吊销 {len(tokens)} 个接口令牌",
    )
    return sessions + len(tokens)


def end_sessions(user: User) -> int:
    """Deletes the user's browser sessions, found through their "我的设备" rows (accounts.devices
    writes one at every sign-in), so no session row is decoded. A session older than that table
    would be missed, but it could not be used anyway: a disabled account fails Django's session
    check (is_active), and a new password fails its session hash."""
    keys = list(DeviceSession.objects.filter(user=user).values_list("session_key", flat=True))
    ended, _ = Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now()).delete()
    Session.objects.filter(session_key__in=keys).delete()  # the expired ones too, with their rows
    DeviceSession.objects.filter(user=user).delete()
    return ended
