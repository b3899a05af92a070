"""The figures pages, downloads and the API show: read from the roll-ups, for a node the reader may
see whole.

A roll-up row holds a node's whole subtree, so reading one for a region only partly in the
reader's scope would show figures of enterprises they may not see under a name they may: the
node is checked here, not trusted from the caller (`access_node` is how callers find one). The
reference computation (`reference.computed`) counts only what the reader sees and needs no check.
"""

from __future__ import annotations

import datetime
from typing import Any

from fugong.dispatch.figures import rollups
from fugong.dispatch.figures.reference import Breakdown, Figures
from fugong.dispatch.models import Plan
from fugong.regions.models import Region, whole_in_scope


def resumption(plan: Plan, day: datetime.date, node: Region, by: str, user: Any) -> Breakdown:
    whole_in_scope(user, node)
    return rollups.read(plan, day, node) if by == "region" else rollups.read_members(plan, day, node, by)


def resumption_days(plan: Plan, days: list[datetime.date], node: Region, user: Any) -> dict[datetime.date, Breakdown]:
    whole_in_scope(user, node)
    return rollups.read_days(plan, days, node)


def total(plan: Plan, day: datetime.date, node: Region, user: Any) -> Figures:
    """The node's totals on a day, without a breakdown."""
    return resumption(plan, day, node, "region", user).total
