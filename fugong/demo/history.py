"""Demo plans and D days of report history, with a plausible resumption curve.

Each enterprise resumes on some day of the history (earlier for key and above-scale firms),
then brings staff back and capacity up over the following days; a few report late and a few
miss a day. Today's reports stop at the current time. Rows are bulk-inserted as fixtures with
one revision each (channel "demo").
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from fugong.accounts.models import Department
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.enterprises.models import Enterprise

DAILY_TITLE = "全省外贸企业开复工情况日调度"
DEMO_PROBLEMS = [
    "ppe_shortage",
    "logistics",
    "order_dispute",
    "cash_flow",
    "labour",
    "raw_materials",
    "financing",
]
WEEKLY_TITLE = "重点项目复工周调度"


def make_plans(start: datetime.date) -> list[Plan]:
    trade = Department.objects.filter(name="吉林省商务厅对外贸易发展处").first()
    industry = Department.objects.filter(name="吉林省工业和信息化厅运行监测协调局").first()
    daily, _ = Plan.objects.get_or_create(
        title=DAILY_TITLE,
        defaults={
            "owner_region_id": "220000",
            "owner_department": trade,
            "start_date": start,
            "selector": {"sectors": ["外贸"]},
            "report_on_rest_days": True,
            "lock_after_days": 7,
        },
    )
    weekly, _ = Plan.objects.get_or_create(
        title=WEEKLY_TITLE,
        defaults={
            "owner_region_id": "220000",
            "owner_department": industry,
            "start_date": start,
            "cadence": "weekly",
            "deadline_weekday": 4,
            "selector": {"sectors": ["重点项目"]},
            "extra_fields": [
                {
                    "key": "planned_investment",
                    "label": "计划投资",
                    "type": "decimal",
                    "unit": "万元",
                    "required": False,
                },
                {
                    "key": "completed_investment",
                    "label": "完成投资",
                    "type": "decimal",
                    "unit": "万元",
                    "required": False,
                },
                {
                    "key": "workers_on_site",
                    "label": "在岗工人",
                    "type": "int",
                    "unit": "人",
                    "required": False,
                },
            ],
        },
    )
    return [daily, weekly]


def make_history(
    plan: Plan, days: int, rng: random.Random, today: datetime.date, now: datetime.datetime | None = None
) -> int:
    """D days of reports up to `now`: today's only those already received (none after the clock,
    so at 12:30 nobody is late yet and the 16:00 deadline is still ahead)."""
    now = now or timezone.now()
    first_day = today - datetime.timedelta(days=days - 1)
    enterprises = list(plan_enterprises(plan).filter(active_from__lte=today))
    have = set(
        Report.objects.filter(enterprise__in=enterprises, date__gte=first_day).values_list(
            "enterprise_id", "date"
        )
    )
    reports: list[Report] = []
    for e in enterprises:
        priority = 0.6 if (e.tier or e.above_scale) else 1.0
        resume_index = int(rng.betavariate(2, 3) * days * 1.6 * priority)
        share = rng.uniform(0.85, 1.0)
        for index in range(days):
            day = first_day + datetime.timedelta(days=index)
            if (e.pk, day) in have or not e.is_active_on(day) or (index == days - 1 and rng.random() < 0.25):
                continue  # today: a quarter have not reported yet
            if rng.random() < 0.03:
                continue  # missed a day
            report = demo_report(e, day, index - resume_index, share, rng)
            if report.received_at > now:
                continue  # not yet received: the enterprise is still to report today
            reports.append(report)
    Report.objects.bulk_create(reports, batch_size=2000)
    saved = Report.objects.filter(enterprise__in=enterprises, date__gte=first_day, revision_count=1).exclude(
        pk__in=ReportRevision.objects.values("report_id")
    )
    ReportRevision.objects.bulk_create(
        [
            ReportRevision(
                report=r,
                enterprise_id=r.enterprise_id,
                number=1,
                at=r.received_at,
                channel="demo",
                data={"on_duty": r.on_duty},
            )
            for r in saved
        ],
        batch_size=2000,
    )
    return len(reports)


def demo_report(
    e: Enterprise, day: datetime.date, days_since_resumed: int, share: float, rng: random.Random
) -> Report:
    base = e.baseline_headcount
    resumed = days_since_resumed >= 0
    progress = min(1.0, 0.35 + 0.08 * days_since_resumed) * share if resumed else rng.uniform(0, 0.1)
    back = min(base, int(base * progress))
    isolated = int(back * rng.uniform(0, 0.08)) if resumed else 0
    on_duty = back - isolated if resumed else 0
    capacity = (
        Decimal(min(100.0, progress * 100 * rng.uniform(0.85, 1.05))).quantize(Decimal("0.01"))
        if resumed
        else None
    )
    minute = int(rng.triangular(8 * 60, 17 * 60, 11 * 60))
    received = timezone.make_aware(datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60)))
    problems = rng.sample(DEMO_PROBLEMS, rng.choice((1, 1, 2))) if resumed and rng.random() < 0.08 else []
    return Report(
        problem_tags=problems,
        enterprise=e,
        date=day,
        resumed=resumed,
        resumed_on=day - datetime.timedelta(days=days_since_resumed) if resumed else None,
        baseline_headcount=base,
        reported_back=back,
        isolated=isolated,
        on_duty=on_duty,
        capacity_pct=capacity if resumed else Decimal(0),
        measures=["temperature", "disinfection", "masks", "health_ledger"],
        received_at=received,
        updated_at=received,
        revision_count=1,
    )
