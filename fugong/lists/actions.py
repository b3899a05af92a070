"""Creating lists, nominating enterprises and deciding nominations: the only code that changes
lists (issue 15 §1). Pages and the API call these, so every refusal reads the same.

Who does what:
- a list is created by a dispatcher of its region (its tier is the region's level);
- an enterprise is nominated by whoever may change it (its county, or a level above), into a
  list it lies under;
- a nomination awaits the list's approval levels in turn; a step is decided by a dispatcher of
  that level above the enterprise, never by the person who nominated it; the last approval opens
  the entry;
- an entry is removed, with a reason, by the list's own (final) level; the row stays, closed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fugong.accounts.models import Department
from fugong.core import audit
from fugong.core.access import Action, access_object, anchor_paths, sees_everything
from fugong.core.errors import Conflict, ErrorItem, Forbidden, ValidationFailed
from fugong.core.uscc import normalize_uscc
from fugong.dispatch.figures.rollups import invalidate_plan
from fugong.enterprises.actions import Change, do_apply_changes
from fugong.enterprises.models import Enterprise
from fugong.lists.models import (
    DEFAULT_APPROVAL_LEVELS,
    LEVEL_LABELS,
    TIER_OF_LEVEL,
    KeyList,
    Kind,
    ListEntry,
    Nomination,
    NominationStatus,
    Tier,
)
from fugong.regions.models import Level, Region, split_path

LEVEL_ORDER: list[str] = [Level.COUNTY, Level.CITY, Level.PROVINCE]  # from below
DECISIONS = {"approve": "批准", "return": "退回修改", "remove": "移出清单"}


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(TIER_OF_LEVEL.get(level, level), level)


# ---- creating a list ----


def clean_criteria(raw: Any) -> tuple[list[dict[str, Any]], list[ErrorItem]]:
    if raw in (None, ""):
        return [], []
    if not isinstance(raw, list):
        return [], [ErrorItem("评定标准应为列表，每项含 field（指标）和 weight（权重）", field="criteria")]
    cleaned, errors = [], []
    for i, item in enumerate(raw):
        where = f"criteria.{i}"
        if (
            not isinstance(item, dict)
            or set(item) - {"field", "weight"}
            or not str(item.get("field") or "").strip()
        ):
            errors.append(ErrorItem("评定标准每项应为 {field, weight}，field 不能为空", field=where))
            continue
        try:
            weight = Decimal(str(item.get("weight", 1)))
        except InvalidOperation:
            errors.append(ErrorItem(f"权重“{item.get('weight')}”不是数字", field=where))
            continue
        if not weight.is_finite() or weight < 0 or weight > 1000:
            errors.append(ErrorItem("权重应在0到1000之间", field=where))
            continue
        cleaned.append({"field": str(item["field"]).strip()[:60], "weight": float(weight)})
    return cleaned, errors


def clean_approval_levels(raw: Any, level: str) -> tuple[list[str], list[ErrorItem]]:
    """Levels from below up to the list's own, which always decides last; a single level is allowed."""
    tier = TIER_OF_LEVEL[level]
    if raw in (None, "", []):
        return [str(v) for v in DEFAULT_APPROVAL_LEVELS[tier]], []
    if isinstance(raw, str):
        raw = [raw]
    own = LEVEL_ORDER.index(level)
    allowed = [str(v) for v in LEVEL_ORDER[: own + 1]]
    message = (
        f"审批层级只能从 {'、'.join(allowed)} 中自下而上选择，且最后一级须是清单所属的"
        f"{level_label(level)}（{level}）"
    )
    if (
        not isinstance(raw, list)
        or not all(isinstance(v, str) and v in allowed for v in raw)
        or len(set(raw)) != len(raw)
        or [allowed.index(v) for v in raw] != sorted(allowed.index(v) for v in raw)
        or raw[-1] != level
    ):
        return [], [ErrorItem(message, field="approval_levels")]
    return list(raw), []


def check_create_list(user: Any, raw: dict[str, Any], *, channel: str) -> KeyList:
    errors: list[ErrorItem] = []
    title = str(raw.get("title") or "").strip()
    if not title:
        errors.append(ErrorItem("请填写清单名称", code="required", field="title", label="名称"))
    elif len(title) > 100:
        errors.append(ErrorItem("清单名称最多100个字", code="too_long", field="title", label="名称"))
    kind = str(raw.get("kind") or Kind.OTHER)
    if kind not in Kind.values:
        errors.append(ErrorItem(f"类别只能是 {'、'.join(Kind.values)}", field="kind", label="类别"))
    code = str(raw.get("region") or "").strip()
    if not code:
        raise ValidationFailed.of(
            [ErrorItem("请填写清单所属区划", code="required", field="region", label="所属区划")]
        )
    region = access_object(Region.objects.all(), user, Action.CHANGE, code=code)
    if region.level not in TIER_OF_LEVEL:
        raise ValidationFailed.of(
            [ErrorItem("清单只能属于省、市、县三级区划", field="region", label="所属区划")]
        )
    department = None
    if raw.get("department"):
        department = Department.objects.filter(pk=raw["department"], region=region).first()
        if department is None:
            errors.append(ErrorItem(f"牵头部门不是{region.name}的部门", field="department", label="牵头部门"))
    criteria, bad = clean_criteria(raw.get("criteria"))
    errors += bad
    levels, bad = clean_approval_levels(raw.get("approval_levels"), region.level)
    errors += bad
    if errors:
        raise ValidationFailed.of(errors)
    with transaction.atomic():
        key_list = KeyList.objects.create(
            title=title,
            kind=kind,
            region=region,
            department=department,
            tier=TIER_OF_LEVEL[region.level],
            criteria=criteria,
            approval_levels=levels,
            created_by=user if getattr(user, "pk", None) else None,
        )
        audit.record(
            actor=user,
            channel=channel,
            action="list.create",
            obj=key_list,
            changes={"title": title, "region": region.code, "approval_levels": levels},
        )
    return key_list


# ---- whose word counts at which level ----


def dispatch_regions(user: Any) -> list[Region]:
    """The regions where the user dispatches, top down. Kept on the user object (one request)
    beside the anchors it was read for: a membership change gives other anchors, so it is read
    again; the regions of the same anchors never change."""
    paths = anchor_paths(user, Action.CHANGE)
    cached: tuple[tuple[str, ...], list[Region]] | None = getattr(user, "_fugong_dispatch_regions", None)
    if cached is not None and cached[0] == paths:
        return cached[1]
    codes = [split_path(p)[-1] for p in paths]
    regions = sorted(Region.objects.filter(code__in=codes), key=lambda r: r.depth) if codes else []
    if user is not None:
        user._fugong_dispatch_regions = (paths, regions)
    return regions


def dispatching_regions(user: Any, enterprise: Enterprise) -> list[Region]:
    """The regions above (or at) the enterprise where the user dispatches, from the top down."""
    return [r for r in dispatch_regions(user) if enterprise.region.path.startswith(r.path)]


def chain_levels(enterprise: Enterprise) -> set[str]:
    """The levels present above the enterprise in the dispatch tree (公主岭 has no city)."""
    return set(
        Region.objects.filter(code__in=split_path(enterprise.region.path)).values_list("level", flat=True)
    )


def first_step(key_list: KeyList, enterprise: Enterprise, nominating: Region | None, start: int = 0) -> int:
    """The first approval level still to decide from `start`: levels the enterprise has no region
    at are skipped, and so are those at or below the nominating region's (its word is given);
    the list's own level always decides."""
    levels = [str(v) for v in key_list.approval_levels]
    present = chain_levels(enterprise)
    own = (
        LEVEL_ORDER.index(nominating.level)
        if nominating is not None and nominating.level in LEVEL_ORDER
        else -1
    )
    step = start
    while step < len(levels) - 1 and (levels[step] not in present or LEVEL_ORDER.index(levels[step]) <= own):
        step += 1
    return step


def refuse_level(user: Any, level: str, enterprise: Enterprise, what: str) -> None:
    """Forbidden unless the user dispatches at `level` above the enterprise (a superuser always)."""
    if sees_everything(user):
        return
    if any(r.level == level for r in dispatching_regions(user, enterprise)):
        return
    raise Forbidden(f"{enterprise.name}：此步{what}须由{level_label(level)}调度员进行，您不能代为决定")


# ---- nominating ----


def named_enterprises(user: Any, codes: Iterable[str], action: str) -> list[Enterprise]:
    """The named enterprises, each within the user's reach for `action` (404 / 403 otherwise)."""
    found: list[Enterprise] = []
    seen: set[str] = set()
    for raw in codes:
        code = normalize_uscc(raw)
        if code in seen:
            continue
        seen.add(code)
        found.append(access_object(Enterprise.objects.select_related("region"), user, action, uscc=code))
    if not found:
        raise ValidationFailed("请至少选择一户企业", field="enterprises")
    return found


def access_list(user: Any, list_id: int) -> KeyList:
    return access_object(
        KeyList.objects.select_related("region", "department"), user, Action.VIEW, pk=list_id
    )


def check_nominate(
    user: Any,
    key_list: KeyList,
    codes: list[str],
    note: str = "",
    *,
    channel: str,
    now: datetime.datetime | None = None,
) -> list[Nomination]:
    now = now or timezone.now()
    enterprises = named_enterprises(user, codes, Action.CHANGE)
    errors = []
    on_list = set(key_list.entries.current().values_list("enterprise_id", flat=True))
    pending = set(
        key_list.nominations.filter(status=NominationStatus.PENDING).values_list("enterprise_id", flat=True)
    )
    for i, e in enumerate(enterprises):
        where = f"enterprises.{i}"
        if not e.region.path.startswith(key_list.region.path):
            errors.append(ErrorItem(f"{e.name}不在{key_list.region.name}范围内，不能列入本清单", field=where))
        elif not e.is_active_on(timezone.localdate(now)):
            errors.append(ErrorItem(f"{e.name}已停用，不能列入清单", code="inactive", field=where))
        elif e.pk in on_list:
            errors.append(ErrorItem(f"{e.name}已在清单中", code="already_listed", field=where))
        elif e.pk in pending:
            errors.append(ErrorItem(f"{e.name}已有待审批的提名", code="already_nominated", field=where))
    if errors:
        raise ValidationFailed.of(errors)
    try:
        with transaction.atomic():
            made = [do_nominate(user, key_list, e, note, channel=channel, now=now) for e in enterprises]
    except IntegrityError as exc:  # another nomination of one of them landed between check and write
        raise Conflict(
            "其中有企业刚被他人提名，请刷新后查看", details={"enterprises": [e.uscc for e in enterprises]}
        ) from exc
    return made


def do_nominate(
    user: Any, key_list: KeyList, e: Enterprise, note: str, *, channel: str, now: datetime.datetime
) -> Nomination:
    """One nomination, at the first level still to decide; written with its audit row."""
    regions = dispatching_regions(user, e)
    nominating = regions[-1] if regions else None  # the most local unit the user speaks for
    nomination = Nomination.objects.create(
        key_list=key_list,
        enterprise=e,
        nominating_region=nominating,
        note=note[:500],
        nominated_by=user if getattr(user, "pk", None) else None,
        nominated_at=now,
        step=first_step(key_list, e, nominating),
    )
    audit.record(
        actor=user,
        channel=channel,
        action="list.nominate",
        obj=key_list,
        changes={"enterprise": e.uscc, "nomination": nomination.pk},
        note=note[:500],
    )
    return nomination


# ---- deciding ----


def check_decide(
    user: Any,
    key_list: KeyList,
    codes: list[str],
    decision: str,
    reason: str = "",
    *,
    channel: str,
    now: datetime.datetime | None = None,
) -> None:
    """approve | return a pending nomination, or remove an entry; all the named enterprises or none."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if decision not in DECISIONS:
        raise ValidationFailed(f"decision 只能是 {'、'.join(DECISIONS)}", field="decision")
    if decision in ("return", "remove") and not reason:
        what = "退回" if decision == "return" else "移出清单"
        raise ValidationFailed(f"{what}须写明理由", field="reason", details={"decision": decision})
    # a decider dispatches above the enterprise: one who may only read it is refused at once (403)
    enterprises = named_enterprises(user, codes, Action.CHANGE)
    with transaction.atomic():
        for e in enterprises:
            if decision == "remove":
                do_remove(user, key_list, e, reason, channel=channel, now=now)
            else:
                do_decide(user, key_list, e, decision, reason, channel=channel, now=now)


def do_decide(
    user: Any,
    key_list: KeyList,
    enterprise: Enterprise,
    decision: str,
    reason: str,
    *,
    channel: str,
    now: datetime.datetime,
) -> Nomination:
    nomination = (
        Nomination.objects.select_for_update()
        .filter(key_list=key_list, enterprise=enterprise, status=NominationStatus.PENDING)
        .first()
    )
    if nomination is None:
        raise Conflict(
            f"{enterprise.name}没有待审批的提名（可能已被他人批准或退回），请刷新后查看",
            details={"enterprise": enterprise.uscc},
        )
    nomination.key_list = key_list
    level = nomination.awaited_level or key_list.final_level
    if not sees_everything(user):
        held = {r.level for r in dispatching_regions(user, enterprise)}
        decided = {d["level"] for d in nomination.decisions}
        if level not in held and held & decided:
            raise Conflict(
                f"{enterprise.name}的提名已由{level_label(next(iter(held & decided)))}审核，现待{level_label(level)}审批",
                details={"enterprise": enterprise.uscc, "awaited": level},
            )
        refuse_level(user, level, enterprise, "审批")
    if nomination.nominated_by_id is not None and nomination.nominated_by_id == getattr(user, "pk", None):
        raise Forbidden(f"{enterprise.name}：不能审批自己提交的提名，请由其他人员审批")
    nomination.decisions = [
        *nomination.decisions,
        {
            "level": level,
            "by": getattr(user, "pk", None),
            "at": now.isoformat(),
            "decision": decision,
            "reason": reason,
        },
    ]
    final = nomination.step >= len(key_list.approval_levels) - 1
    if decision == "return":
        nomination.status = NominationStatus.RETURNED
    elif final:
        nomination.status = NominationStatus.APPROVED
        ListEntry.objects.create(
            key_list=key_list,
            enterprise=enterprise,
            valid_from=timezone.localdate(now),
            basis=nomination.basis,
            nomination=nomination,
            nominated_by_id=nomination.nominated_by_id,
            nominated_at=nomination.nominated_at,
            approved_by=user if getattr(user, "pk", None) else None,
            approved_at=now,
        )
        entries_changed(key_list)
        follow_highest_list(user, enterprise, channel=channel, reason=f"列入{key_list.title}")
    else:
        nomination.step = first_step(key_list, enterprise, nomination.nominating_region, nomination.step + 1)
    nomination.save(update_fields=["decisions", "status", "step"])
    action = "list.return" if decision == "return" else ("list.approve" if final else "list.review")
    audit.record(
        actor=user,
        channel=channel,
        action=action,
        obj=key_list,
        changes={"enterprise": enterprise.uscc, "nomination": nomination.pk, "level": level},
        note=reason,
    )
    return nomination


def entries_changed(key_list: KeyList) -> None:
    """The plans following the list count other enterprises now: their built figures go."""
    from fugong.lists.plan_criterion import plans_following

    for plan_id in plans_following(key_list):
        invalidate_plan(plan_id)


# highest first: an enterprise on a county and a province list is a province key enterprise
TIER_RANK: list[str] = [Tier.PROVINCE, Tier.CITY, Tier.COUNTY]


def follow_highest_list(user: Any, enterprise: Enterprise, *, channel: str, reason: str) -> None:
    """The enterprise's tier (重点企业层级) follows the highest list it is currently on, and is
    cleared when it leaves the last one. Written through the registry's own action, so the change
    has its audit row and the roll-ups that select by tier are told."""
    # read the row anew under its lock: the copy loaded with the request may be older than an
    # edit made since, and saving it would put that edit's fields back
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    tiers = set(ListEntry.objects.filter(enterprise=enterprise).current().values_list("key_list__tier", flat=True))
    tier = next((t for t in TIER_RANK if t in tiers), "")
    if enterprise.tier == tier:
        return
    change = Change(cleaned={"tier": tier}, existing=enterprise, changes={"tier": [enterprise.tier, tier]})
    do_apply_changes(user, [change], channel=channel, note=f"{reason}：重点企业层级随所在最高层级清单调整")


def do_remove(
    user: Any,
    key_list: KeyList,
    enterprise: Enterprise,
    reason: str,
    *,
    channel: str,
    now: datetime.datetime,
) -> ListEntry:
    entry = (
        ListEntry.objects.select_for_update()
        .filter(key_list=key_list, enterprise=enterprise)
        .current()
        .first()
    )
    if entry is None:
        raise Conflict(
            f"{enterprise.name}目前不在清单中（可能已被移出），请刷新后查看",
            details={"enterprise": enterprise.uscc},
        )
    refuse_level(user, key_list.final_level, enterprise, "移出")
    entry.valid_to = max(timezone.localdate(now), entry.valid_from)
    entry.removed_by = user if getattr(user, "pk", None) else None
    entry.removed_at = now
    entry.removal_reason = reason[:500]
    entry.save(update_fields=["valid_to", "removed_by", "removed_at", "removal_reason"])
    entries_changed(key_list)
    follow_highest_list(user, enterprise, channel=channel, reason=f"移出{key_list.title}")
    audit.record(
        actor=user,
        channel=channel,
        action="list.remove",
        obj=key_list,
        changes={"enterprise": enterprise.uscc, "valid_to": str(entry.valid_to)},
        note=reason,
    )
    return entry
