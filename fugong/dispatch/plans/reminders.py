"""Deadline reminders, progress summaries and, after the deadline, the lists of the missing.

At each of a plan's reminder times on a reporting day (its deadline day for a weekly plan):
- each enterprise that has not reported: its reporters get a reminder, its liaisons one list
  of the enterprises they look after that are still missing (each waits for those reports and
  is shown as 已报送 once they have come, see notify/awaiting.py);
- each dispatcher in the plan's area (and the group robots of those regions) gets the progress
  of their region: "长春市：已报412/450，未报38户".
After the deadline, once: liaisons get the list of their enterprises that did not report, and
dispatchers and robots the final count. A runner that was down sends only the latest round that
is due, never a burst of stale ones, and nothing about a day once that day is over.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, Q
from django.urls import reverse
from django.utils import timezone

from fugong.accounts.models import Membership
from fugong.core.access import Role
from fugong.core.cells import CellError, parse_time
from fugong.core.jobs import periodic
from fugong.dispatch.figures.completeness import Tally, reports_in_period, submitted_by_leaf
from fugong.dispatch.models import Cadence, Plan
from fugong.dispatch.plans.periods import Period, is_reporting_day, period_of
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.notify.actions import Notice, do_broadcast, do_claim, do_notify
from fugong.notify.awaiting import Awaits
from fugong.notify.models import Channel, Claim, Topic
from fugong.regions.models import Region

NAMES_IN_A_LIST = 20  # a liaison's list names this many enterprises, then "等N户"


def run_reminders(now: datetime.datetime) -> int:
    """Sends whichever reminder round or missing list is due for each active plan; returns how
    many rounds were sent."""
    sent = 0
    local = timezone.localtime(now)
    for plan in Plan.objects.filter(active=True).select_related("owner_region"):
        day = local.date()
        if plan.cadence == Cadence.WEEKLY and period_of(plan, day).deadline_day != day:
            continue
        if not is_reporting_day(plan, day):
            continue
        period = period_of(plan, day)
        if now >= period.deadline:
            sent += send_missing_lists(plan, day, period, now)
            continue
        slot = latest_slot(plan, local)
        if slot is not None:
            sent += send_round(plan, day, period, slot, now)
    return sent


def latest_slot(plan: Plan, local: datetime.datetime) -> str | None:
    """The latest reminder time that has come, as "HH:MM" (times edited by hand may read "9:30")."""
    times = []
    for written in plan.reminder_times or []:
        try:
            times.append(parse_time(written))
        except CellError:
            continue  # the plan form refuses these; one typed into the admin must not stop the rest
    due = [t for t in times if t <= local.time()]
    return max(due).strftime("%H:%M") if due else None


@transaction.atomic
def send_round(plan: Plan, day: datetime.date, period: Period, slot: str, now: datetime.datetime) -> int:
    key = f"remind:{plan.pk}:{period.start}:{slot}"
    unreported = not_reported(plan, day, now)
    missing = list(unreported.values_list("pk", "uscc", "name"))
    # the board shows the claim's note; a second runner's insert waits for ours and then fails
    if not do_claim(key, f"{slot} 已自动提醒未报企业{len(missing)}户"):
        return 0
    deadline = f"{timezone.localtime(period.deadline):%m月%d日%H:%M}"
    names = {pk: name for pk, _, name in missing}
    usccs = {pk: code for pk, code, _ in missing}
    notices: list[tuple[int, Notice]] = []
    for m in people_of(unreported, Role.REPORTER):
        notices.append(
            (
                m.user_id,
                Notice(
                    Topic.REMINDER,
                    f"请于{deadline}前报送{day:%m月%d日}复工情况",
                    f"“{plan.title}”：{names[m.enterprise_id]}尚未报送，截止时间{deadline}。",
                    report_url(usccs[m.enterprise_id], day),
                    f"{key}:{m.enterprise_id}",
                    Awaits(plan.pk, period.start, period.end, (m.enterprise_id,)),
                ),
            )
        )
    for user_id, ids in by_user(people_of(unreported, Role.LIAISON)).items():
        listed = name_list([names[i] for i in ids])
        body = (
            f"您联系的{len(ids)}户企业尚未报送“{plan.title}”（截止{deadline}）：{listed}。请提醒或代为填报。"
        )
        awaits = Awaits(plan.pk, period.start, period.end, tuple(ids))
        notices.append(
            (user_id, Notice(Topic.REMINDER, f"{len(ids)}户企业尚未报送", body, "", f"{key}:liaison", awaits))
        )
    do_notify(None, notices, now=now)
    send_progress(plan, day, now, f"截至{slot}", f"{key}:progress", now)
    return 1


@transaction.atomic
def send_missing_lists(plan: Plan, day: datetime.date, period: Period, now: datetime.datetime) -> int:
    if timezone.localtime(now).date() != period.deadline_day:
        return 0  # nothing about a day once it is over (a runner down overnight stays quiet)
    key = f"missing:{plan.pk}:{period.start}"
    deadline = f"{timezone.localtime(period.deadline):%H:%M}"
    unreported = not_reported(plan, day, period.deadline)
    missing = dict(unreported.values_list("pk", "name"))
    if not do_claim(key, f"{deadline} 截止，已把未报名单（{len(missing)}户）发给联络员"):
        return 0
    notices = []
    for user_id, ids in by_user(people_of(unreported, Role.LIAISON)).items():
        listed = name_list([missing[i] for i in ids])
        body = f"“{plan.title}”{day:%m月%d日}已于{deadline}截止，您联系的{len(ids)}户企业未报送：{listed}。仍可补报（记为迟报）。"
        notices.append((user_id, Notice(Topic.MISSING, f"截止未报：{len(ids)}户", body, "", key)))
    do_notify(None, notices, now=now)
    send_progress(plan, day, period.deadline, f"{deadline}截止", f"{key}:progress", now)
    return 1


def not_reported(plan: Plan, day: datetime.date, as_of: datetime.datetime) -> Any:
    return plan_enterprises(plan, day).filter(~Exists(reports_in_period(plan, day, as_of)))


def send_progress(
    plan: Plan, day: datetime.date, as_of: datetime.datetime, when: str, key: str, now: datetime.datetime
) -> None:
    """Each dispatcher's region and each region robot: reported / expected, missing."""
    leaves = submitted_by_leaf(plan, day, as_of)
    nearby = Region.objects.filter(near(plan.owner_region.path, "path"))
    dispatchers = Membership.objects.filter(
        role=Role.DISPATCHER, active=True, user__is_active=True, region__in=nearby
    ).values_list("user_id", "region_id")
    robots = Channel.objects.filter(active=True, region__in=nearby).values_list("region_id", flat=True)
    robot_regions = {code for code in robots if code}
    regions = Region.objects.in_bulk({code for _, code in dispatchers if code} | robot_regions)
    lines: dict[str, Notice] = {}
    for code, region in regions.items():
        node = region if region.path.startswith(plan.owner_region.path) else plan.owner_region
        tally = Tally()
        for path, leaf in leaves.items():
            if path.startswith(node.path):
                tally.add(leaf)
        lines[code] = Notice(
            Topic.SUMMARY,
            f"“{plan.title}”{day:%m月%d日}填报进度（{when}）",
            f"{node.name}：已报{tally.submitted}/{tally.expected}，未报{tally.missing}户",
            f"{reverse('board')}?plan={plan.pk}&date={day}&region={node.code}",
            f"{key}:{code}",
        )
    do_notify(None, [(user_id, lines[code]) for user_id, code in dispatchers if code], now=now)
    for code in robot_regions:
        do_broadcast(lines[code], region_code=code, now=now)


def near(owner_path: str, field: str) -> Q:
    """Regions inside the plan's area, or above it (a province dispatcher follows a city's plan)."""
    above = [owner_path[: i + 1] for i, c in enumerate(owner_path) if c == "/" and i > 0]
    return Q(**{f"{field}__startswith": owner_path}) | Q(**{f"{field}__in": above})


def people_of(enterprises: Any, role: str) -> list[Holder]:
    """Active users holding the role for any of the enterprises (a queryset, read as a sub-query)."""
    rows = Membership.objects.filter(
        enterprise__in=enterprises.values("pk"), role=role, active=True, user__is_active=True
    ).order_by("user_id", "enterprise_id")
    return [Holder(*row) for row in rows.values_list("user_id", "enterprise_id")]


@dataclass(frozen=True)
class Holder:
    user_id: int
    enterprise_id: int


def by_user(holders: Iterable[Holder]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for h in holders:
        out[h.user_id].append(h.enterprise_id)
    return out


def name_list(names: list[str]) -> str:
    names = sorted(names)
    shown = "、".join(names[:NAMES_IN_A_LIST])
    return shown if len(names) <= NAMES_IN_A_LIST else f"{shown}等{len(names)}户"


def report_url(uscc: str, day: datetime.date) -> str:
    # reverse() once: 50,000 calls cost a second and a half in a province's round
    return f"{report_form_path().replace(USCC_SLOT, uscc)}?date={day}"


USCC_SLOT = "0" * 18


@functools.cache
def report_form_path() -> str:
    return reverse("report_form", args=[USCC_SLOT])


def rounds_sent(plan: Plan, day: datetime.date) -> list[str]:
    """What the runners have done for the plan's period of `day`, for the dispatcher's board."""
    start = period_of(plan, day).start
    ours = Q(key__startswith=f"remind:{plan.pk}:{start}:") | Q(key=f"missing:{plan.pk}:{start}")
    claims = Claim.objects.filter(ours).order_by("at", "id")
    return list(claims.values_list("note", flat=True))


periodic("reminders")(run_reminders)  # the name is the one `run_jobs` has always logged
