"""Reports of earlier days do not change quietly.

Trend lines are drawn from each day's reports, so a reporter who rewrites a report of last week
moves last week's figures. The rule, for every way in (the form, on-behalf, the API, imports):

- a revision that changes a report of a day older than yesterday (local time) is a *correction*
  (`ReportRevision.correction`); a first report that late counts too, as it moves that day's
  figures as much;
- the county is told: a notice to the dispatchers nearest above the enterprise (its county's,
  else its city's …), once per revision, in the same transaction as the write;
- the report shows it ("更正：12月1日的日报于12月3日修改"), and the figures of a day say how
  many enterprises corrected earlier days on it ("其中N户更正了以往日期的填报", `corrections`).

Plans lock a day a week after it by default (`Plan.lock_after_days`), so most corrections are
of the past few days; an unlocked or never-locking plan's corrections are flagged all the same.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from fugong.accounts.models import Membership
from fugong.core.access import Role
from fugong.dispatch.models import Plan, ReportRevision
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.enterprises.models import Enterprise
from fugong.notify.actions import Notice, do_notify
from fugong.notify.models import Topic
from fugong.regions.models import Region


def is_correction(day: datetime.date, now: datetime.datetime) -> bool:
    """A write on `now` to the report of `day` is a correction when the day is older than yesterday."""
    return day < timezone.localdate(now) - datetime.timedelta(days=1)


def note(day: datetime.date, at: datetime.datetime, number: int) -> str:
    """“更正：12月1日的日报于12月3日修改” (or 补报 for a first report that late)."""
    local = timezone.localtime(at)
    if number == 1:
        return f"补报：{day.month}月{day.day}日的日报于{local.month}月{local.day}日首次报送"
    return f"更正：{day.month}月{day.day}日的日报于{local.month}月{local.day}日修改"


@dataclass(frozen=True)
class Corrected:
    enterprise: Enterprise
    day: datetime.date
    report_id: int
    number: int  # the revision's number


def nearest_dispatchers(enterprises: Iterable[Enterprise]) -> dict[int, list[int]]:
    """Enterprise id → user ids of the dispatchers of the nearest region above it that has any."""
    wanted = {e.pk: [code for code in e.region.path.strip("/").split("/") if code] for e in enterprises}
    codes = {code for path in wanted.values() for code in path}
    by_region: dict[str, list[int]] = defaultdict(list)
    for user_id, region_id in Membership.objects.filter(
        role=Role.DISPATCHER, active=True, region_id__in=codes
    ).values_list("user_id", "region_id"):
        by_region[region_id].append(user_id)
    out = {}
    for pk, path in wanted.items():
        found = next((by_region[code] for code in reversed(path) if by_region.get(code)), [])
        out[pk] = sorted(set(found))
    return out


def do_flag_corrections(user: Any, corrected: list[Corrected], now: datetime.datetime) -> int:
    """Tells each corrected enterprise's county; call in the transaction that wrote the revisions."""
    if not corrected:
        return 0
    writer = getattr(user, "pk", None)
    who = str(user) if writer else "系统"
    dispatchers = nearest_dispatchers({c.enterprise.pk: c.enterprise for c in corrected}.values())
    per_user: dict[int, list[Corrected]] = defaultdict(list)
    for item in corrected:
        for uid in dispatchers[item.enterprise.pk]:
            if uid != writer:
                per_user[uid].append(item)
    notices = []
    for uid, items in per_user.items():
        if len(items) <= ONE_BY_ONE:
            notices += [(uid, one_notice(item, who, now)) for item in items]
        else:  # an import of an old day: one notice, not one per row
            notices.append((uid, summary_notice(items, who, now)))
    return do_notify(user, notices, now=now)


ONE_BY_ONE = 3


def one_notice(item: Corrected, who: str, now: datetime.datetime) -> Notice:
    text = note(item.day, now, item.number)
    return Notice(
        Topic.SUMMARY,
        f"{item.enterprise.name}更正了{item.day.month}月{item.day.day}日的日报",
        f"{item.enterprise.name}{text.split('：', 1)[1]}（{who}），以往日期的数字随之改变，请核实。",
        reverse("report_detail", args=[item.report_id]),
        key=f"correction:{item.report_id}:{item.number}",
    )


def summary_notice(items: list[Corrected], who: str, now: datetime.datetime) -> Notice:
    day = items[0].day
    names = "、".join(i.enterprise.name for i in items[:3])
    return Notice(
        Topic.SUMMARY,
        f"{len(items)}户企业{day.month}月{day.day}日的日报被更正",
        f"{names}等{len(items)}户{day.month}月{day.day}日的日报于{timezone.localtime(now):%m月%d日 %H:%M}"
        f"被更正（{who}），以往日期的数字随之改变，请核实。",
        key=f"correction:{day}:{items[0].report_id}:{items[0].number}:{len(items)}",
    )


@dataclass
class Corrections:
    """The enterprises of a plan and region that corrected earlier days' reports on one day."""

    count: int
    rows: list[tuple[str, datetime.date, datetime.datetime]]  # enterprise name, report date, when

    @property
    def footnote(self) -> str:
        return f"其中{self.count}户更正了以往日期的填报" if self.count else ""


def corrections(plan: Plan, day: datetime.date, region: Region, limit: int = 50) -> Corrections:
    """Corrections received on `day` (local) from the plan's enterprises in `region`'s subtree —
    what the brief's and dashboard's footnote counts ("其中N户更正了以往日期的填报")."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    covered = plan_enterprises(plan, day).filter(region__path__startswith=region.path)
    revisions = ReportRevision.objects.filter(
        Q(at__gte=start, at__lt=start + datetime.timedelta(days=1)),
        correction=True,
        enterprise__in=covered.values("pk"),
        report__date__gte=plan.start_date,
    )
    count = revisions.values("enterprise_id").distinct().count()
    rows = list(
        revisions.order_by("-at").values_list("enterprise__name", "report__date", "at")[:limit]
    )
    return Corrections(count, rows)
