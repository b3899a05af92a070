"""Argument checks shared by the dispatch commands (plan, date, region)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import CommandError

from fugong.dispatch.models import Plan
from fugong.regions.models import Region


class Everyone:
    """The operator at the server's console: not scoped."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None


def add_common_arguments(parser: Any) -> None:
    parser.add_argument("--plan", type=int, required=True, help="调度任务编号")
    parser.add_argument("--date", required=True, help="日期，如 2020-02-17")
    parser.add_argument("--region", default=None, help="区划代码（默认为调度任务的发起区划）")


def resolve(plan_id: int, date: str, region: str | None) -> tuple[Plan, datetime.date, Region]:
    plan = Plan.objects.select_related("owner_region").filter(pk=plan_id).first()
    if plan is None:
        raise CommandError(f"调度任务{plan_id}不存在")
    try:
        day = datetime.date.fromisoformat(date)
    except ValueError:
        raise CommandError(f"日期“{date}”有误，请写成 2020-02-17") from None
    node = Region.objects.filter(code=region or plan.owner_region_id).first()
    if node is None:
        raise CommandError(f"区划代码“{region}”不存在")
    if not node.path.startswith(plan.owner_region.path):
        raise CommandError(f"{node.name}不在调度任务“{plan.title}”的范围（{plan.owner_region.name}）内")
    return plan, day, node
