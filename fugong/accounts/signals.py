"""Account and permission changes, and sign-ins, written to the audit trail whichever way they come.

Users and memberships change through the admin, the accounts actions, `seed_demo`, Django's own
commands (`createsuperuser`, `changepassword`) and account imports. Receivers on the models see
every one of them, once; who acted and through which channel comes from `audit.current()` (the
request being served, or the command line). Sign-ins come from Django's auth signals, except the
failures of our own sign-in (`actions.check_login`), which records them itself with the reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from fugong.accounts.models import Membership, User
from fugong.core import audit, throttle

# What an administrator would call a change of the account; last_login and the like are not.
USER_FIELDS = (
    "username",
    "display_name",
    "phone",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "password",
)
MEMBERSHIP_FIELDS = ("role", "region_id", "department_id", "enterprise_id", "active")
BEFORE = "_audit_before"


def record_as_acting(action: str, obj: Any, **fields: Any) -> None:
    """One audit row by whoever is acting now (the request's user and channel, or the command's)."""
    acting = audit.current()
    audit.record(actor=acting.user, channel=acting.channel, action=action, obj=obj, **fields)


def remember_before(sender: type[Any], instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """Keeps the stored values to compare with; skips saves that touch none of the watched fields."""
    watched = USER_FIELDS if sender is User else MEMBERSHIP_FIELDS
    if update_fields is not None and not {f.removesuffix("_id") for f in watched} & {
        f.removesuffix("_id") for f in update_fields
    }:
        setattr(instance, BEFORE, None)  # e.g. login's last_login: no query, no record
        return
    stored = sender.objects.filter(pk=instance.pk).values(*watched).first() if instance.pk else None
    setattr(instance, BEFORE, stored or {})


def changed_fields(instance: Any, watched: tuple[str, ...]) -> dict[str, list[Any]] | None:
    before = getattr(instance, BEFORE, {})
    if before is None:
        return None
    return audit.diff(before, {name: getattr(instance, name) for name in watched})


def user_saved(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    changes = changed_fields(instance, USER_FIELDS)
    if changes is None or (not created and not changes):
        return
    if "password" in changes:
        changes["password"] = ["******", "（已修改）"]  # never the hash
    if created:
        action = "user.create"
        changes.pop("password", None)
    elif changes.get("is_active") == [True, False]:
        action = "user.disable"
    elif changes.get("is_active") == [False, True]:
        action = "user.enable"
    elif set(changes) == {"password"}:
        action = "user.password_change"
    else:
        action = "user.change"
    record_as_acting(action, instance, changes=changes, note=f"用户 {instance.username}")


def user_deleted(sender: type[User], instance: User, **kwargs: Any) -> None:
    record_as_acting("user.delete", instance, note=f"用户 {instance.username}")


def permissions_changed(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, model: Any, **kwargs: Any
) -> None:
    """Django groups and permissions given to or taken from a user (the admin's user form)."""
    if action not in ("post_add", "post_remove", "post_clear") or not isinstance(instance, User):
        return
    field = "groups" if sender is User.groups.through else "user_permissions"
    names = sorted(str(o) for o in model.objects.filter(pk__in=pk_set or ()))
    change = {"post_add": [None, names], "post_remove": [names, None], "post_clear": ["（全部）", None]}[
        action
    ]
    record_as_acting("user.permissions", instance, changes={field: change}, note=f"用户 {instance.username}")


def membership_note(membership: Membership) -> str:
    return f"用户 {membership.user.username}：{membership}"


def membership_saved(sender: type[Membership], instance: Membership, created: bool, **kwargs: Any) -> None:
    changes = changed_fields(instance, MEMBERSHIP_FIELDS)
    if changes is None or (not created and not changes):
        return
    if created:
        action = "membership.add"
    elif changes.get("active") == [True, False]:
        action = "membership.disable"
    else:
        action = "membership.change"
    record_as_acting(action, instance, changes=changes, note=membership_note(instance))


def membership_deleted(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    record_as_acting("membership.remove", instance, note=membership_note(instance))


def signed_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    audit.record(
        actor=user,
        channel=audit.channel_of(request),
        action="auth.login",
        obj=user,
        note=f"来自 {throttle.client_address(request) or '未知地址'}",
    )


def signed_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit.record(actor=user, channel=audit.channel_of(request), action="auth.logout", obj=user)


def sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if request is None:
        return  # our own sign-in (actions.check_login) records its failures with the reason
    username = str(credentials.get("username") or "")
    record_failed_sign_in(
        username, throttle.client_address(request), "用户名或密码错误", audit.channel_of(request)
    )


def record_failed_sign_in(
    username: str, ip: str | None, reason: str, channel: str, *, lockout: bool = False
) -> None:
    audit.record(
        actor=None,
        channel=channel,
        action="auth.lockout" if lockout else "auth.login_failed",
        object_type="user",
        object_key=username,
        note=f"来自 {ip or '未知地址'}：{reason}",
    )


def connect() -> None:
    for model, saved, deleted in (
        (User, user_saved, user_deleted),
        (Membership, membership_saved, membership_deleted),
    ):
        pre_save.connect(remember_before, sender=model, dispatch_uid=f"audit-before-{model.__name__}")
        post_save.connect(saved, sender=model, dispatch_uid=f"audit-saved-{model.__name__}")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"audit-deleted-{model.__name__}")
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=f"audit-m2m-{through.__name__}")
    user_logged_in.connect(signed_in, dispatch_uid="audit-login")
    user_logged_out.connect(signed_out, dispatch_uid="audit-logout")
    user_login_failed.connect(sign_in_failed, dispatch_uid="audit-login-failed")
