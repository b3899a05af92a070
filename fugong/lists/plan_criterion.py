"""A plan may select "enterprises on any of these lists as of the day" (`selector.lists`), so the
daily plan for key enterprises follows the lists without being edited (issue 15 §1). Registered
with dispatch's selector in ListsConfig.ready(); dispatch imports nothing of lists."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q

from fugong.dispatch.plans.selection import Criterion
from fugong.lists.models import KeyList, ListEntry


def entries(values: list[Any], day: datetime.date | None) -> Any:
    qs = ListEntry.objects.filter(key_list_id__in=values)
    return qs.on_day(day) if day is not None else qs.current()


def clean(raw: Any) -> tuple[list[int], list[str]]:
    if not isinstance(raw, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        return [], ["纳入范围的 lists 应为重点企业清单编号的列表，如 [3]"]
    ids = sorted(set(raw))
    unknown = set(ids) - set(KeyList.objects.filter(pk__in=ids).values_list("pk", flat=True))
    problems = [f"重点企业清单不存在：{'、'.join(str(i) for i in sorted(unknown))}"] if unknown else []
    return ids, problems


def q(values: list[Any], day: datetime.date | None) -> Q:
    return Q(Exists(entries(values, day).filter(enterprise_id=OuterRef("pk"))))


def members(values: list[Any], day: datetime.date) -> set[int]:
    return set(entries(values, day).values_list("enterprise_id", flat=True))


LISTS = Criterion(label="重点企业清单", clean=clean, q=q, members=members)


def plans_following(key_list: KeyList) -> list[int]:
    """The plans whose selector names the list: their built figures go when its entries change."""
    from fugong.dispatch.models import Plan

    plans = Plan.objects.filter(selector__has_key="lists").values_list("pk", "selector")
    return [pk for pk, selector in plans if key_list.pk in (selector.get("lists") or [])]
