"""Creating and changing plans (调度任务): every field checked, the owner region in scope."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db import transaction

from fugong.accounts.models import Department
from fugong.core import audit, cells
from fugong.core.access import Action, may_dispatch_at, require_action
from fugong.core.cells import CellError, parse_time
from fugong.core.errors import ValidationFailed
from fugong.core.versions import check_version, version_of
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import AttendanceBasis, Cadence, Plan
from fugong.dispatch.plans.selection import clean_selector
from fugong.regions.models import Region

PLAN_FIELDS = (
    "title",
    "owner_region",
    "owner_department",
    "cadence",
    "deadline_time",
    "deadline_weekday",
    "reminder_times",
    "start_date",
    "end_date",
    "report_on_rest_days",
    "attendance_basis",
    "lock_after_days",
    "selector",
    "extra_fields",
    "active",
)
EXTRA_TYPES = {"int": "整数", "decimal": "数值", "text": "文字"}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def clean_reminder_times(raw: Any) -> list[str]:
    """"14:00, 15:30" (or a list) → ["14:00", "15:30"], sorted; empty means no reminders."""
    if raw is None:
        return ["14:00", "15:30"]
    parts = raw if isinstance(raw, list) else re.split(r"[,，、;；\s]+", str(raw))
    times = sorted({parse_time(part) for part in parts if str(part).strip()})
    return [t.strftime("%H:%M") for t in times]


def clean_extra_fields(raw: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raise CellError(f"附加填报项不是有效的 JSON{raw}")
    if not isinstance(raw, list):
        raise CellError("附加填报项应为列表，每项含 key、label、type（int/decimal/text）")
    specs, keys = [], set()
    for item in raw:
        if not isinstance(item, dict) or not KEY_PATTERN.match(str(item.get("key", ""))):
            raise CellError(f"附加填报项“{item}”的 key 应为小写英文字母开头的标识，如 planned_investment")
        if item["key"] in keys:
            raise CellError(f"附加填报项 key“{item['key']}”重复")
        if not isinstance(item.get("type", "decimal"), str) or item.get("type", "decimal") not in EXTRA_TYPES:
            raise CellError(f"附加填报项“{item['key']}”的类型只能是 int、decimal 或 text")
        keys.add(item["key"])
        specs.append(
            {
                "key": item["key"],
                "label": str(item.get("label") or item["key"])[:30],
                "type": item.get("type", "decimal"),
                "unit": str(item.get("unit", ""))[:10],
                "required": bool(item.get("required", False)),
            }
        )
    return specs


def department_of(value: Any) -> Department | None:
    if value in (None, ""):
        return None
    department = Department.objects.filter(pk=cells.parse_int(value) or 0).first()
    if department is None:
        raise CellError(f"牵头部门编号“{value}”不存在")
    return department


def clean_plan(raw: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    parsers: dict[str, Any] = {
        "title": lambda v: cells.clean_text(v, max_length=100),
        "owner_region": lambda v: Region.objects.filter(code=str(v or "").strip()).first() if v else None,
        "owner_department": department_of,
        "cadence": lambda v: Cadence(v or Cadence.DAILY),
        "deadline_time": lambda v: parse_time(v or "16:00"),
        "deadline_weekday": lambda v: cells.parse_int(v if v not in (None, "") else 4, maximum=6),
        "reminder_times": clean_reminder_times,
        "start_date": cells.parse_date,
        "end_date": cells.parse_date,
        "report_on_rest_days": lambda v: bool(cells.parse_bool(v)),
        "attendance_basis": lambda v: AttendanceBasis(v or AttendanceBasis.RESUMED),
        "lock_after_days": lambda v: cells.parse_int(v, maximum=366),
        "selector": lambda v: v,
        "extra_fields": clean_extra_fields,
        "active": lambda v: True if v is None else bool(cells.parse_bool(v)),
    }
    cleaned: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for name in PLAN_FIELDS:
        if name not in raw and not creating:
            continue
        try:
            cleaned[name] = parsers[name](raw.get(name))
        except (CellError, ValueError) as exc:
            message = str(exc) if isinstance(exc, CellError) else f"“{raw.get(name)}”不是可选的值"
            errors.append({"field": name, "message": message})
    if "selector" in cleaned:
        try:
            cleaned["selector"] = clean_selector(cleaned["selector"])
        except ValidationFailed as exc:
            errors.extend(exc.details["errors"])  # one item per bad code, tag or tier
    for name, label in (("title", "名称"), ("owner_region", "发起区划"), ("start_date", "开始日期")):
        if name in cleaned and cleaned[name] is None:
            errors.append({"field": name, "message": f"请填写{label}"})
    return cleaned, errors


DEFAULT_LOCK_AFTER_DAYS = 7  # a new plan locks a day a week after it; null (explicitly) never locks
LABELS = {name: str(getattr(Plan._meta.get_field(name), "verbose_name", name)) for name in PLAN_FIELDS}


def plan_values(plan: Plan) -> dict[str, Any]:
    """The plan's editable values: the base of its version (see core.versions)."""
    return {name: getattr(plan, name) for name in PLAN_FIELDS}


def version(plan: Plan) -> str:
    return version_of(plan_values(plan))


def check_save_plan(
    user: Any,
    raw: dict[str, Any],
    plan: Plan | None = None,
    *,
    channel: str,
    base_version: str | None = None,
) -> Plan:
    """Creates a plan (plan=None) or changes the given fields of one the user may change.
    A change based on another version than the stored one (`base_version`) is refused."""
    require_action(user, Action.CHANGE)
    if plan is None and "lock_after_days" not in raw:
        raw = {**raw, "lock_after_days": DEFAULT_LOCK_AFTER_DAYS}
    if plan is None or base_version is None:
        return check_and_save(user, raw, plan, channel=channel)
    with transaction.atomic():  # compare and write under the plan's lock: two tabs at once
        plan = Plan.objects.select_for_update().select_related("owner_region").get(pk=plan.pk)
        check_version("该调度任务", plan, plan_values(plan), base_version, LABELS)
        return check_and_save(user, raw, plan, channel=channel)


def check_and_save(user: Any, raw: dict[str, Any], plan: Plan | None, *, channel: str) -> Plan:
    cleaned, errors = clean_plan(raw, creating=plan is None)
    region = cleaned.get("owner_region") or (plan.owner_region if plan else None)
    if region is not None and not may_dispatch_at(user, region.path):
        errors.append({"field": "owner_region", "message": f"发起区划“{region.name}”不在您的管辖范围内"})
    department = cleaned.get("owner_department")
    if department is not None and region is not None and not region.path.startswith(department.region.path):
        errors.append(
            {"field": "owner_department", "message": f"牵头部门“{department.name}”不属于{region.name}"}
        )
    deadline = cleaned.get("deadline_time", plan.deadline_time if plan else datetime.time(16, 0))
    if raw.get("reminder_times") is None:  # not given: keep the default or stored times before the deadline
        stored = cleaned.get("reminder_times", plan.reminder_times if plan else [])
        cleaned["reminder_times"] = [t for t in stored if parse_time(t) < deadline]
    # unreadable times are already in errors, and not in cleaned
    late = [t for t in cleaned.get("reminder_times", []) if parse_time(t) >= deadline]
    if late:
        errors.append(
            {
                "field": "reminder_times",
                "message": f"提醒时间{'、'.join(late)}不早于截止时间{deadline:%H:%M}，请改到截止之前",
            }
        )
    start = cleaned.get("start_date", plan.start_date if plan else None)
    end = cleaned.get("end_date", plan.end_date if plan else None)
    if start and end and end < start:
        errors.append({"field": "end_date", "message": f"结束日期{end}早于开始日期{start}"})
    if errors:
        raise ValidationFailed("；".join(e["message"] for e in errors), details={"errors": errors})
    return do_save_plan(user, plan, cleaned, channel=channel)


@transaction.atomic
def do_save_plan(user: Any, plan: Plan | None, cleaned: dict[str, Any], *, channel: str) -> Plan:
    creating = plan is None
    target = plan or Plan()
    before = {} if creating else {name: getattr(target, name) for name in cleaned}
    for name, value in cleaned.items():
        setattr(target, name, value)
    target.save()
    if not creating:  # a new plan has no built days yet
        rollups.invalidate_plan(target.pk)  # a new scope, start date or selector changes its sums
    audit.record(
        actor=user,
        channel=channel,
        action="plan.create" if creating else "plan.update",
        obj=target,
        changes=audit.diff(before, cleaned),
    )
    return target
