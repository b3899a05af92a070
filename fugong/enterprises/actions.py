"""The only code that changes enterprises: create, update and bulk upsert (imports).

Every path — page, API, spreadsheet, command — parses with `fields.clean_fields`, checks the
user's region scope, writes in one transaction with an audit event per enterprise, and then
re-checks that what was written is still inside the writer's scope.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from fugong.core import audit
from fugong.core.access import Action, may_dispatch_at, require_action
from fugong.core.errors import Conflict, Forbidden, ValidationFailed
from fugong.core.signals import RegistryEdit, registry_changed
from fugong.core.versions import check_version, version_of
from fugong.enterprises.fields import FIELDS, FieldError, Lookups, clean_fields, current_values
from fugong.enterprises.models import Enterprise

SECTORS = "sectors"
LABELS = {spec.name: spec.label for spec in FIELDS}


@dataclass
class Change:
    """One enterprise to create (existing is None) or update, with its parsed values."""

    cleaned: dict[str, Any]
    existing: Enterprise | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def creating(self) -> bool:
        return self.existing is None


def region_scope_error(user: Any, cleaned: dict[str, Any]) -> FieldError | None:
    region = cleaned.get("region")
    if region is not None and not may_dispatch_at(user, region.path):
        return FieldError(
            "region",
            "所属区划",
            region.code,
            f"所属区划“{region.name}”不在您的管辖范围内，只能登记到您负责的区划",
        )
    return None


def plan_change(
    user: Any, cleaned: dict[str, Any], existing: Enterprise | None
) -> tuple[Change, list[FieldError]]:
    """Works out what would change, and the scope errors, without writing anything."""
    errors = [e for e in [region_scope_error(user, cleaned)] if e]
    if existing is None:
        for required in ("uscc", "name", "region"):
            if cleaned.get(required) is None:
                label = {"uscc": "统一社会信用代码", "name": "企业名称", "region": "所属区划"}[required]
                errors.append(FieldError(required, label, None, f"新登记企业必须填写{label}", "required"))
        if cleaned.get("active_from") is None:
            cleaned["active_from"] = timezone.localdate()
        before: dict[str, Any] = {}
    else:
        before = current_values(existing)
        if "active_from" in cleaned and cleaned["active_from"] is None:
            errors.append(
                FieldError("active_from", "启用日期", None, "启用日期不能清空；企业不再纳入时请填写停用日期")
            )
        cleaned.pop("uscc", None)  # the key never changes
    if cleaned.get(SECTORS, []) is None:
        cleaned.pop(SECTORS)  # "not given" leaves the tags as they are; an empty list clears them
    empty_to_default(cleaned)
    after = dict(cleaned)
    start = after.get("active_from", before.get("active_from"))
    end = after.get("active_to", before.get("active_to"))
    if start and end and end < start:
        errors.append(
            FieldError("active_to", "停用日期", str(end), f"停用日期{end}早于启用日期{start}，请核对")
        )
    return Change(cleaned, existing, audit.diff(before, after)), errors


def empty_to_default(cleaned: dict[str, Any]) -> None:
    """An emptied optional field stores its default ("" for text, 0, False) where NULL is not allowed."""
    for key, value in cleaned.items():
        if value is None and key != SECTORS:
            model_field = cast("models.Field[Any, Any]", Enterprise._meta.get_field(key))
            if not model_field.null:
                cleaned[key] = model_field.get_default()


def raise_if_errors(errors: Sequence[FieldError]) -> None:
    if errors:
        message = "；".join(str(e) for e in errors)
        raise ValidationFailed(message, errors=[e.item() for e in errors])


def check_create_enterprise(user: Any, raw: dict[str, Any], *, channel: str) -> Enterprise:
    require_action(user, Action.CHANGE)
    cleaned, errors = clean_fields(raw, Lookups(), creating=True)
    raise_if_errors(errors)
    if Enterprise.objects.filter(uscc=cleaned["uscc"]).exists():
        visible = Enterprise.objects.visible_to(user).filter(uscc=cleaned["uscc"]).first()
        where = f"为“{visible.name}”" if visible else "在您管辖范围以外的区划，请联系上级调度员核实"
        raise Conflict(f"统一社会信用代码{cleaned['uscc']}已登记{where}", details={"field": "uscc"})
    change, errors = plan_change(user, cleaned, None)
    raise_if_errors(errors)
    try:
        return do_apply_changes(user, [change], channel=channel)[0]
    except IntegrityError:  # the same USCC registered by someone else a moment ago
        raise Conflict(f"统一社会信用代码{cleaned['uscc']}刚刚已被登记，请刷新后核实") from None


def editable_values(enterprise: Enterprise) -> dict[str, Any]:
    """What the edit form and PATCH change, keyed as they are: the base of `version`."""
    values = current_values(enterprise)
    values["region"] = enterprise.region_id
    values["industry"] = enterprise.industry_id
    values[SECTORS] = sorted(s.name for s in values[SECTORS])
    values.pop("uscc", None)
    return values


def version(enterprise: Enterprise) -> str:
    """The version an edit is based on (see core.versions): changes whenever a stored value does."""
    return version_of(editable_values(enterprise))


def check_update_enterprise(
    user: Any,
    enterprise: Enterprise,
    raw: dict[str, Any],
    *,
    channel: str,
    base_version: str | None = None,
) -> Enterprise:
    """`enterprise` must come from access_object(..., Action.CHANGE); `raw` holds the fields to change.
    `base_version` is the version the edit was read at: another one is refused (StaleVersion)."""
    if "uscc" in raw and raw["uscc"] not in (None, "", enterprise.uscc):
        raise ValidationFailed(
            "统一社会信用代码是企业的唯一标识，不能修改；如登记有误，请停用此企业后重新登记"
        )
    with transaction.atomic():
        if base_version is not None:  # compare and write under the row's lock: two tabs at once
            enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
            check_version("该企业信息", enterprise, editable_values(enterprise), base_version, LABELS)
        cleaned, errors = clean_fields(raw, Lookups(), creating=False)
        raise_if_errors(errors)
        change, errors = plan_change(user, cleaned, enterprise)
        raise_if_errors(errors)
        return do_apply_changes(user, [change], channel=channel)[0]


@transaction.atomic
def do_apply_changes(
    user: Any, changes: Sequence[Change], *, channel: str, note: str = ""
) -> list[Enterprise]:
    """Writes planned changes with their audit events; unchanged entries are left alone."""
    saved: list[Enterprise] = []
    events = []
    edits = []
    for change in changes:
        enterprise = change.existing or Enterprise()
        if not change.creating and not change.changes:
            saved.append(enterprise)
            continue
        edits.append(RegistryEdit(as_it_was(change), enterprise, frozenset(change.changes)))
        sectors = change.cleaned.get(SECTORS)
        for key, value in change.cleaned.items():
            if key != SECTORS:
                setattr(enterprise, key, value)
        enterprise.save()
        if sectors is not None:
            enterprise.sectors.set(sectors)
            enterprise._sector_names = None  # read anew: the tags just changed
        action = "enterprise.create" if change.creating else "enterprise.update"
        events.append(
            audit.event_fields(user, channel, action, enterprise, changes=change.changes, note=note)
        )
        saved.append(enterprise)
    audit.record_many(events)
    if events:  # the roll-ups drop only what the changed fields decide (a phone number: nothing)
        registry_changed.send(sender=Enterprise, edits=edits)
    ensure_still_in_scope(user, [e.pk for e in saved])
    return saved


def as_it_was(change: Change) -> Enterprise | None:
    """A detached copy of the enterprise before the change is written (its old region, dates and
    sector tags), for the roll-ups to tell which plans counted it."""
    if change.existing is None:
        return None
    before = copy.copy(change.existing)
    if SECTORS in change.changes:
        before._sector_names = change.existing.sector_names()  # read before the tags are set
    return before


def ensure_still_in_scope(user: Any, ids: list[int]) -> None:
    """After a write: everything written must still be changeable by its writer, or roll back."""
    allowed = Enterprise.objects.visible_to(user, Action.CHANGE)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        if allowed.filter(pk__in=chunk).count() != len(set(chunk)):
            raise Forbidden("保存后企业将不在您的管辖范围内，已取消本次修改；如需迁出，请联系上级调度员")
