"""The leaders' dashboard data: today's rates, a 14-day trend, breakdowns, completeness, problems.

Every figure is read from the roll-ups the API, the brief and the spreadsheet read (`figures`
holds the definitions), so they agree; the caller has checked that the node's whole subtree is
in the user's scope. The 14 trend days come in one read.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from fugong.briefing import brief
from fugong.dispatch.figures import reference, rollups
from fugong.dispatch.figures.completeness import completeness
from fugong.dispatch.models import AttendanceBasis, Plan
from fugong.problems.scorecards import open_by_category
from fugong.regions.models import Region

TREND_DAYS = 14


def share(rate: Decimal | None) -> float | None:
    """A rate as percentage points for charts (1 decimal); None stays a gap in the line."""
    return None if rate is None else float((rate * 100).quantize(Decimal("0.1")))


def attendance(plan: Plan, f: reference.Figures) -> Decimal | None:
    return f.attendance_rate_all if plan.attendance_basis == AttendanceBasis.ALL else f.attendance_rate


def rows_out(plan: Plan, breakdown: reference.Breakdown) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "name": r.name,
            "enterprises": r.enterprises,
            "resumed": r.resumed,
            "resumption": share(r.resumption_rate),
            "attendance": share(attendance(plan, r)),
            "capacity": share(r.capacity_recovery_rate),
        }
        for r in breakdown.rows
    ]


def dashboard_data(plan: Plan, day: datetime.date, region: Region, user: Any) -> dict[str, Any]:
    trend_days = [day - datetime.timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    days = rollups.read_days(plan, trend_days, region)
    by = {
        "region": days[day],
        **{name: rollups.read_members(plan, day, region, name) for name in ("sector", "tier")},
    }
    total = by["region"].total
    trend = [days[d].total for d in trend_days]
    tally = completeness(plan, day, region, user).tally
    regions = [r for r in rows_out(plan, by["region"]) if r["enterprises"]]
    return {
        "kpis": {
            "resumption": share(total.resumption_rate),
            "attendance": share(attendance(plan, total)),
            "capacity": share(total.capacity_recovery_rate),
            "submitted": share(tally.submitted_rate),
            "enterprises": total.enterprises,
            "resumed": total.resumed,
            "on_duty": total.on_duty,
            "baseline": total.baseline_headcount,
            "missing": tally.missing,
            "late": tally.late,
        },
        "trend": {
            "days": [d.strftime("%m-%d") for d in trend_days],
            "resumption": [share(f.resumption_rate) for f in trend],
            "attendance": [share(attendance(plan, f)) for f in trend],
            "capacity": [share(f.capacity_recovery_rate) for f in trend],
        },
        "regions": regions,
        "sectors": rows_out(plan, by["sector"]),
        "tiers": rows_out(plan, by["tier"]),
        "problems": [
            {"name": name, "count": count} for name, count in brief.problem_counts(plan, day, region, user)
        ],
        "work_orders": [
            {"name": w.category, "open": w.open, "urgent": w.urgent, "overdue": w.overdue}
            for w in open_by_category(user, region)
        ],
        "laggards": sorted(
            regions, key=lambda r: (r["resumption"] if r["resumption"] is not None else 0, r["name"])
        )[:5],
    }
