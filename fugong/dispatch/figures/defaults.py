"""Where the figures pages open: one rule for the plan, day and region of every page and download.

A page opened with no parameters (from the README, a bookmark, the navigation) shows today, the
user's own region and the plan they see most; a parameter that cannot be used (garbage, a plan
or region outside the user's scope) is replaced by that default and the user is told which and
why, instead of an error page. The plan last chosen is kept in the session (stored in the
database, so every worker sees it), so the next page opens on it.

Used by the board, dashboard, brief, the downloads (brief .docx, official sheet, fill-in
template) and the import page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from fugong.core.access import Action, may_at
from fugong.core.cells import CellError, parse_date
from fugong.core.errors import DomainError
from fugong.dispatch.figures.completeness import default_node
from fugong.dispatch.models import Plan
from fugong.dispatch.params import EARLIEST, LATEST
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.regions.models import Region, access_node

SESSION_KEY = "fugong.plan"


@dataclass
class Choice:
    """What a figures page shows, and what was asked for but could not be used (in Chinese)."""

    plans: list[Plan]
    plan: Plan | None
    day: datetime.date
    region: Region | None
    notes: list[str] = field(default_factory=list)

    def query(self, **extra: str) -> str:
        """The choice as a query string, for links and for the download buttons."""
        params: dict[str, str] = {"date": self.day.isoformat()}
        if self.plan is not None:
            params["plan"] = str(self.plan.pk)
        if self.region is not None:
            params["region"] = self.region.code
        return urlencode({**params, **extra})

    def regions(self, user: Any) -> list[Region]:
        """The regions the picker offers: the way up that the user may open, here, and below."""
        if self.plan is None or self.region is None:
            return []
        up = [
            a
            for a in self.region.ancestors()
            if a.path.startswith(self.plan.owner_region.path) and may_at(user, Action.VIEW, a.path)
        ]
        down = list(Region.objects.visible_to(user).filter(parent=self.region).order_by("kind", "code"))
        return [*up, self.region, *down]


def visible_plans(user: Any) -> list[Plan]:
    return list(
        Plan.objects.visible_to(user).filter(active=True).select_related("owner_region").order_by("id")
    )


def most_seen_plan(user: Any, plans: list[Plan], day: datetime.date) -> Plan | None:
    """The running plan with the most enterprises in the user's scope (ties: the oldest plan)."""
    running = [p for p in plans if p.runs_on(day)] or plans
    if len(running) <= 1:
        return running[0] if running else None
    counts = {p.pk: plan_enterprises(p, day).visible_to(user).count() for p in running}
    return max(running, key=lambda p: (counts[p.pk], -p.pk))


def choose_day(
    text: str | None,
    notes: list[str],
    *,
    default: datetime.date | None = None,
    named: str = "今天",
    not_after_today: bool = False,
) -> datetime.date:
    """The day asked for, else `default` (today), saying why when the text was no usable date.
    The figures pages pass `not_after_today`: a day to come has no figures yet, and showing
    today's under its heading would mislead."""
    today = timezone.localdate()
    fallback = default or today
    if not text:
        return fallback
    try:
        day = parse_date(text)
    except CellError as exc:
        notes.append(f"日期“{text[:20]}”无法识别（{exc}），已显示{named}")
        return fallback
    if day is None or not EARLIEST <= day <= LATEST:
        notes.append(f"日期“{text[:20]}”超出范围（{EARLIEST.year}—{LATEST.year}年），已显示{named}")
        return fallback
    if not_after_today and day > today:
        notes.append(f"{day.month}月{day.day}日还没有到，尚无数据，已显示{named}")
        return fallback
    return day


def choose_plan(
    request: HttpRequest, plans: list[Plan], text: str | None, day: datetime.date, notes: list[str]
) -> Plan | None:
    by_id = {str(p.pk): p for p in plans}
    session = getattr(request, "session", None)
    if text:
        wanted = by_id.get(text.strip())
        if wanted is not None:
            if session is not None:
                session[SESSION_KEY] = wanted.pk
            return wanted
        notes.append(f"没有编号为“{text[:20]}”的进行中调度任务，或不在您的管辖范围内")
    remembered = by_id.get(str(session.get(SESSION_KEY))) if session is not None else None
    plan = remembered or most_seen_plan(request.user, plans, day)
    if notes and plan is not None and text:
        notes[-1] += f"，已显示“{plan.title}”"
    return plan


def choose_region(user: Any, plan: Plan | None, code: str | None, notes: list[str]) -> Region | None:
    if plan is None:
        return None
    fallback = default_node(user, plan)
    if code:
        try:
            return access_node(user, code)
        except DomainError as exc:
            where = f"，已显示{fallback.name}" if fallback else ""
            notes.append(f"区划“{code[:20]}”：{exc.message}{where}")
    return fallback


def choose(request: HttpRequest, data: Any = None) -> Choice:
    """The plan, day and region asked for in `data` (default: the query string), or the defaults."""
    data = request.GET if data is None else data
    notes: list[str] = []
    day = choose_day(data.get("date"), notes, not_after_today=True)
    plans = visible_plans(request.user)
    plan = choose_plan(request, plans, data.get("plan"), day, notes)
    region = choose_region(request.user, plan, data.get("region"), notes)
    return Choice(plans=plans, plan=plan, day=day, region=region, notes=notes)


def choice_for_page(request: HttpRequest) -> Choice:
    """The page's plan, day and region (defaults where missing); what was replaced is said."""
    choice = choose(request)
    for note in choice.notes:
        messages.warning(request, note)
    return choice


def choice_for_download(request: HttpRequest, page: str) -> Choice | HttpResponseBase:
    """A download of exactly what was asked for; if any of it cannot be used, the page the
    download belongs to, opened on the defaults with the reasons, rather than another file."""
    choice = choose(request)
    if choice.plan is None or choice.region is None or choice.notes:
        for note in choice.notes:
            messages.warning(request, note)
        return redirect(f"{reverse(page)}?{choice.query()}")
    return choice
