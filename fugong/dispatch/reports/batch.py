"""What a batch of reports needs from the database, read in a few queries per chunk, not per row.

`submit.check_submit_reports` asks a `Batch` for a chunk's enterprises (found by USCC or exact
name inside the user's reporting scope), their stored reports of the day (locked when the batch
will write), their recent history for the warnings, their baselines, who reported the day
themselves, earlier uses of the rows' client_ids, and the plans with their locks and unlocks.
A single web submission is a chunk of one; a 100,000-row sheet is a hundred chunks of a thousand.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import F
from django.utils import timezone

from fugong.core import bulk
from fugong.core.access import Action
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import PeriodUnlock, Plan, Report, ReportRevision
from fugong.dispatch.plans.periods import lock_date
from fugong.dispatch.plans.selection import plan_covers
from fugong.dispatch.reports import baselines, self_reports
from fugong.dispatch.reports.fields import HISTORY_FIELDS, Baseline
from fugong.enterprises.models import Enterprise, Industry, load_sector_names
from fugong.regions.models import Region

HISTORY_DAYS = 120  # the warnings look at up to 16 earlier reports: 16 weeks of a weekly plan
ENTERPRISE_FIELDS = (
    "uscc",
    "name",
    "tier",
    "above_scale",
    "baseline_headcount",
    "baseline_capacity",
    "active_from",
    "active_to",
    "region",
    "industry",
)
REGION_FIELDS = ("code", "path")  # what the plan checks and the roll-ups read of an enterprise's region
INDUSTRY_FIELDS = ("code", "level", "parent_id")


class Batch:
    """Holds what stays the same for a whole batch (the plans, their locks, the region and
    industry caches) and reads each chunk's rows."""

    def __init__(self, user: Any, day: datetime.date, region: Region | None, now: datetime.datetime) -> None:
        self.user, self.day, self.region = user, day, region
        # read once for the whole batch, not joined to every enterprise: a province has a few
        # thousand regions and industries, and its sheet 100,000 enterprises
        self.regions: dict[str, Region] = {}
        self.industries: dict[str, Industry] = {}
        self.plans = list(Plan.objects.filter(active=True).select_related("owner_region"))
        today = timezone.localdate(now)
        self.locking = [p for p in self.plans if (d := lock_date(p, day)) is not None and today >= d]
        self.unlocked = (
            set(PeriodUnlock.objects.filter(plan__in=self.locking, date=day).values_list("plan_id", "enterprise_id"))
            if self.locking
            else set()
        )
        self.seen: dict[int, int] = {}  # enterprise id → the row it first appeared on
        # the chunk being checked
        self.existing: dict[int, Report] = {}
        self.history: dict[int, list[dict[str, Any]]] = {}
        self.baselines: dict[int, Baseline] = {}
        self.self_reported: dict[int, datetime.datetime] = {}
        self.earlier: dict[tuple[int, str], ReportRevision] = {}

    def reportable(self, key: str, values: Sequence[str]) -> list[Enterprise]:
        """The enterprises the user may report for (inside the batch's region) whose `key` is
        one of `values`, with only what the checks and the roll-ups read; their regions and
        industries come from `with_related`, not select_related, which builds two more
        instances per row."""
        if not values:
            return []
        qs = Enterprise.objects.visible_to(self.user, Action.REPORT).filter(bulk.AnyOf(F(key), list(values)))
        if self.region is not None:
            qs = qs.in_region(self.region.path)
        return bulk.instances(qs.order_by(), ENTERPRISE_FIELDS)

    def find(self, codes: Sequence[str], names: Sequence[str]) -> tuple[dict[str, Enterprise], dict[str, list[Enterprise]]]:
        """The reportable enterprises with these USCCs, and those with these exact names."""
        by_code = {e.uscc: e for e in self.reportable("uscc", codes)}
        by_name: dict[str, list[Enterprise]] = defaultdict(list)
        for e in self.reportable("name", names):
            by_name[e.name].append(e)
        self.with_related([*by_code.values(), *(e for group in by_name.values() for e in group)])
        return by_code, by_name

    def with_related(self, enterprises: list[Enterprise]) -> list[Enterprise]:
        """Sets each enterprise's region and industry from the batch's caches, reading the
        ones not seen yet; and its sector names, for the plan checks and the roll-ups."""
        regions, industries = self.regions, self.industries
        missing = {e.region_id for e in enterprises} - regions.keys()
        if missing:
            for region in Region.objects.filter(bulk.AnyOf(F("code"), missing)).only(*REGION_FIELDS):
                regions[region.code] = region
        missing = {e.industry_id for e in enterprises if e.industry_id is not None} - industries.keys()
        if missing:
            for industry in Industry.objects.filter(bulk.AnyOf(F("code"), missing)).only(*INDUSTRY_FIELDS):
                industries[industry.code] = industry
        region_field, industry_field = Enterprise.region.field, Enterprise.industry.field
        for e in enterprises:
            region_field.set_cached_value(e, regions[e.region_id])
            industry_field.set_cached_value(e, None if e.industry_id is None else industries[e.industry_id])
        load_sector_names(enterprises)
        return enterprises

    def load(self, enterprises: list[Enterprise], client_ids: list[tuple[int, str]], *, lock: bool) -> None:
        """Reads what the chunk's checks need; `lock` takes the stored reports' row locks (a
        batch that will write), which every writer takes before its plans' locks."""
        ids = [e.pk for e in enterprises]
        stored = rollups.nearest_reports(ids, on=self.day).order_by()
        self.existing = {r.enterprise_id: r for r in bulk.instances(stored.select_for_update() if lock else stored)}
        self.self_reported = self_reports.self_report_times(self.user, self.existing.values())
        self.baselines = baselines.baselines_of(enterprises)
        self.history = self.read_history(ids)
        self.earlier = {}
        if client_ids:
            for revision in ReportRevision.objects.filter(
                enterprise_id__in={e for e, _ in client_ids}, client_id__in={c for _, c in client_ids}
            ).select_related("report"):
                self.earlier[(revision.enterprise_id, revision.client_id)] = revision

    def read_history(self, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Each enterprise's recent reports before the day, newest first, for the warnings."""
        since = self.day - datetime.timedelta(days=HISTORY_DAYS + 1)  # HISTORY_DAYS back, that day included
        rows = (
            rollups.nearest_reports(ids, after=since, before=self.day, limit=16)
            .order_by("enterprise_id", "-date")
            .values("enterprise_id", "date", *HISTORY_FIELDS)
        )
        found: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            found[row.pop("enterprise_id")].append(row)
        return found

    def plans_covering(self, enterprise: Enterprise) -> list[Plan]:
        return [p for p in self.plans if plan_covers(p, enterprise, self.day)]

    def locked_by(self, plans: list[Plan], enterprise: Enterprise) -> Plan | None:
        """The first of the enterprise's plans whose lock has closed the day (and not reopened it)."""
        for plan in self.locking:
            if plan in plans and (plan.pk, enterprise.pk) not in self.unlocked:
                return plan
        return None
