"""The audit trail: writing events inside actions, and reading them in Chinese.

Besides the actions' own records, the trail holds who signed in (and who failed), account and
permission changes, imports, downloads of named data and refusals, so that one list (管理后台 →
操作记录) answers "who did what, when, through which channel". The request being served is kept in
a context variable for the length of the request (`AuditContextMiddleware`), so that signal
receivers (a Membership saved in the admin, a user saved by a command) know who acted and how.
"""

from __future__ import annotations

import datetime
import decimal
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models

from fugong.core.models import AuditEvent, Channel

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

# What each action code means, as the admin's list and any history page show it. A code not
# listed here is shown as it is (so a new action is never hidden, only untranslated).
ACTION_LABELS: dict[str, str] = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.lockout": "登录受限（需等待）",
    "auth.logout": "退出登录",
    "auth.sms_code": "发送登录验证码",
    "auth.device_revoke": "让登录设备退出",
    "sso.link": "关联企业微信或钉钉账号",
    "access.forbidden": "无权操作被拒",
    "access.not_found": "越权访问被拒",
    "user.create": "新建用户",
    "user.change": "修改用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.delete": "删除用户",
    "user.password_change": "修改密码",
    "user.permissions": "修改用户权限",
    "user.sign_ins_end": "结束登录",
    "user.invite": "发送邀请短信",
    "membership.add": "授予角色",
    "membership.change": "修改角色授权",
    "membership.disable": "停用角色授权",
    "membership.remove": "撤销角色",
    "token.create": "创建接口令牌",
    "token.revoke": "吊销接口令牌",
    "enterprise.create": "新增企业",
    "enterprise.update": "修改企业",
    "enterprise.import": "导入企业名单",
    "enterprise.baseline_accept": "确认在册人数",
    "plan.create": "新建调度任务",
    "report.import": "导入填报表",
    "report.unlock": "解锁填报",
    "export.brief": "下载调度日报",
    "export.official_sheet": "导出调度表",
    "export.template": "下载填报模板",
    "export.job_file": "下载任务结果文件",
    "notify.remind": "提醒",
    "notify.preference": "修改通知设置",
    "notify.retry": "重试投递",
    "notify.test": "测试通知渠道",
    "notify.channel_add": "新建通知渠道",
    "list.create": "新建重点企业清单",
    "list.nominate": "提名列入清单",
    "list.review": "审核清单提名",
    "list.approve": "批准列入清单",
    "list.return": "退回清单提名",
    "list.remove": "移出清单",
    "export.key_list": "导出重点企业清单",
}
# Object types that are not a model's name (a model's own verbose_name is used otherwise).
OBJECT_TYPE_LABELS: dict[str, str] = {"notification": "通知", "delivery": "通知投递", "file": "文件"}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def channel_label(code: str) -> str:
    # "demo": the history seed_demo writes (a report revision's channel, not an audit one)
    return str({**dict(Channel.choices), "demo": "演示数据"}.get(code, code))


def object_type_label(code: str) -> str:
    if code in OBJECT_TYPE_LABELS:
        return OBJECT_TYPE_LABELS[code]
    for model in apps.get_models():
        if model._meta.model_name == code:
            return str(model._meta.verbose_name)
    return code


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value (for the old → new record)."""
    if value is None or type(value) in (str, int, bool, float):  # most values, checked first
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time | decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        try:
            return sorted(items)
        except TypeError:  # items that do not compare (a plan's extra fields are dicts)
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False, default=str))
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose plain values differ."""
    changes = {}
    for key in after:
        old, new = plain(before.get(key)), plain(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


def record(
    *,
    actor: Any,
    channel: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_key: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        **event_fields(actor, channel, action, obj, object_type, object_key, changes, note)
    )


def record_many(events: Iterable[dict[str, Any]]) -> None:
    AuditEvent.objects.bulk_create([AuditEvent(**e) for e in events], batch_size=1000)


def event_fields(
    actor: Any,
    channel: str,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_key: str = "",
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> dict[str, Any]:
    if obj is not None:
        object_type = object_type or obj._meta.model_name or ""
        object_key = object_key or str(obj.pk)
    return {
        "actor": actor if getattr(actor, "pk", None) else None,
        "channel": channel,
        "action": action[:60],
        # cut to the columns' lengths: a long key (many ids) must not make the action fail
        "object_type": object_type[:40],
        "object_key": object_key[:64],
        "changes": changes or {},
        "note": note[:500],
    }


def history(object_type: str, object_key: str) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_key=object_key).select_related("actor")


# ---- who is acting: the request being served, for receivers that are not handed one ----


@dataclass
class Acting:
    actor: Any
    channel: str
    request: HttpRequest | None = None
    refusals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def user(self) -> Any:
        if self.request is not None:
            user = getattr(self.request, "user", None)
            return user if getattr(user, "is_authenticated", False) else None
        return self.actor


_acting: ContextVar[Acting | None] = ContextVar("fugong_audit_acting", default=None)


def channel_of(request: HttpRequest) -> str:
    path = request.path_info
    if path.startswith("/admin/"):
        return Channel.ADMIN
    if path.startswith("/api/"):
        return Channel.API
    return Channel.WEB


@contextmanager
def acting(actor: Any, channel: str) -> Iterator[Acting]:
    """Outside a request (a command, a job): who the receivers should name as the actor."""
    context = Acting(actor, channel)
    token = _acting.set(context)
    try:
        yield context
    finally:
        _acting.reset(token)


def current() -> Acting:
    """Who is acting now; a command run from the shell with no `acting` is the command line."""
    return _acting.get() or Acting(None, Channel.CLI)


class AuditContextMiddleware:
    """Keeps the request in the audit context while it is served, and writes its refusals.

    Refusals (403, out-of-scope 404) are noted by `core.access` as they are raised and written
    here once the response is known: raised inside an action's transaction, a row written at
    once would be rolled back with it. Only a request that really answered 403/404 writes one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = Acting(None, channel_of(request), request)
        token = _acting.set(context)
        try:
            response = self.get_response(request)
        finally:
            _acting.reset(token)
        if context.refusals and response.status_code in (403, 404):
            record(actor=context.user, channel=context.channel, **context.refusals[-1])
        return response


def note_refusal(
    user: Any, error: Exception, model: type[models.Model] | None, lookup: dict[str, Any], what: str
) -> None:
    """A refusal by `core.access` for a signed-in user, written when the request ends (no query now)."""
    context = _acting.get()
    if context is None or context.request is None or not getattr(user, "is_authenticated", False):
        return  # commands and jobs are not refused for lack of scope; anonymous users are sent to sign in
    forbidden = getattr(error, "status", 0) == 403
    key = ",".join(f"{k}={v}" for k, v in lookup.items())
    context.refusals.append(
        {
            "action": "access.forbidden" if forbidden else "access.not_found",
            "object_type": (model._meta.model_name or "") if model is not None else "",
            "object_key": key,
            "changes": {"action": what, "path": context.request.get_full_path()[:300]},
            "note": getattr(error, "message", str(error)),
        }
    )


# ---- small helpers for the one-line records at the places where things finish ----


def record_import(
    actor: Any,
    channel: str,
    action: str,
    filename: str,
    summary: str,
    obj: models.Model | None = None,
    *,
    rows: int,
    written: bool,
) -> None:
    """An import that was run for real (a dry run changes nothing and is not recorded)."""
    record(
        actor=actor,
        channel=channel,
        action=action,
        obj=obj,
        object_type="" if obj is not None else "file",
        object_key="" if obj is not None else filename,
        changes={"file": filename, "rows": rows, "written": written},
        note=summary,
    )


def record_download(
    request: HttpRequest, action: str, obj: models.Model | None, filename: str, **about: Any
) -> None:
    """A file with named data (enterprises, phones, names) handed to the user."""
    record(
        actor=request.user,
        channel=channel_of(request),
        action=action,
        obj=obj,
        object_type="" if obj is not None else "file",
        object_key="" if obj is not None else filename,
        changes={"file": filename, **{k: plain(v) for k, v in about.items()}},
        note=f"下载 {filename}",
    )
