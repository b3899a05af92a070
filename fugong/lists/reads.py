"""What a list shows a user: its entries on a day, ranked, and the nominations awaiting a decision,
each narrowed to the enterprises the user may see (a county reads its own rows of a province list)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from fugong.core.access import sees_everything
from fugong.enterprises.models import Enterprise
from fugong.lists.actions import dispatching_regions, level_label
from fugong.lists.models import KeyList, ListEntry, Nomination, NominationStatus


@dataclass(frozen=True)
class Row:
    entry: ListEntry
    rank: int

    @property
    def score(self) -> float | None:
        score = (self.entry.basis or {}).get("score")
        return float(score) if isinstance(score, int | float) else None


def entries_on(user: Any, key_list: KeyList, day: datetime.date) -> list[Row]:
    """The entries in force on `day`, best score first (unscored last, then by name), ranked 1…n."""
    visible = Enterprise.objects.visible_to(user)
    entries = list(
        key_list.entries.on_day(day)
        .filter(enterprise__in=visible)
        .select_related("enterprise__region", "nominated_by", "approved_by")
    )

    def order(e: ListEntry) -> tuple[bool, float, str]:
        score = (e.basis or {}).get("score")
        number = float(score) if isinstance(score, int | float) else 0.0
        return (not isinstance(score, int | float), -number, e.enterprise.name)

    return [Row(e, i) for i, e in enumerate(sorted(entries, key=order), start=1)]


def pending(user: Any, key_list: KeyList) -> list[Nomination]:
    qs = key_list.nominations.filter(
        status=NominationStatus.PENDING, enterprise__in=Enterprise.objects.visible_to(user)
    ).select_related("enterprise__region", "nominated_by", "nominating_region")
    nominations = list(qs)
    for n in nominations:
        n.key_list = key_list
    return nominations


def awaited_label(nomination: Nomination) -> str:
    level = nomination.awaited_level
    return f"待{level_label(level)}审批" if level else nomination.get_status_display()


def may_decide(user: Any, nomination: Nomination) -> bool:
    """Whether the page offers the user the decision forms (the action decides again)."""
    if nomination.nominated_by_id == getattr(user, "pk", None):
        return False
    if sees_everything(user):
        return True
    level = nomination.awaited_level
    return any(r.level == level for r in dispatching_regions(user, nomination.enterprise))


def may_remove(user: Any, key_list: KeyList, entry: ListEntry) -> bool:
    return sees_everything(user) or any(
        r.level == key_list.final_level for r in dispatching_regions(user, entry.enterprise)
    )
