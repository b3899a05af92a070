"""The daily report as the tests file it: the day, Shanghai's clock, a consistent set of figures,
a submission through the real check, and an import of a filled dispatch sheet."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fugong.dispatch.models import Plan, Report
from fugong.dispatch.reports.submit import check_submit_report
from fugong.dispatch.sheets.reading import ReportImportResult, check_import_reports
from tests.conftest import World

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2020, 2, 17)  # a Monday, a working day


def at(day: datetime.date, hh: int, mm: int = 0, ss: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SHANGHAI)


def figures(**overrides: Any) -> dict[str, Any]:
    base = {
        "resumed": True,
        "baseline_headcount": 480,
        "reported_back": 300,
        "isolated": 20,
        "on_duty": 260,
        "capacity_pct": 55,
    }
    return {**base, **overrides}


def submit(
    world: World,
    who: str,
    raw: dict[str, Any],
    *,
    day: datetime.date = DAY,
    now: datetime.datetime | None = None,
    **kw: Any,
) -> Any:
    return check_submit_report(
        world.user(who), world.enterprise("nanguan"), day, raw, channel="web", now=now or at(day, 10), **kw
    )


# nanguan's own report of DAY, with the columns only an enterprise fills (措施, 类别, 问题)
OWN = {
    "resumed": True,
    "baseline_headcount": 480,
    "reported_back": 300,
    "isolated": 10,
    "on_duty": 70,
    "capacity_pct": 55,
    "measures": ["temperature", "disinfection"],
    "problem_tags": ["logistics"],
    "problems": "物流受阻，原料运不进来",
}


def own_report(world: World, **changes: Any) -> Report:
    """nanguan's reporter files the day's report at 11:47."""
    check_submit_report(
        world.user("reporter"),
        world.enterprise("nanguan"),
        DAY,
        {**OWN, **changes},
        channel="web",
        now=at(DAY, 11, 47),
    )
    return Report.objects.get(enterprise=world.enterprise("nanguan"), date=DAY)


def import_report_sheet(
    world: World, plan: Plan, data: bytes, persona: str = "province", **options: Any
) -> ReportImportResult:
    """A filled dispatch sheet for DAY, uploaded at 15:00 by `persona`."""
    return check_import_reports(
        world.user(persona), data, "调度表.xlsx", plan=plan, day=DAY, now=at(DAY, 15), **options
    )
