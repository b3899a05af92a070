"""Turning the problem pages' requests into list filters, intake values and move parameters."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from fugong.accounts.models import Department
from fugong.core.access import dispatch_region_q
from fugong.core.errors import ValidationFailed
from fugong.problems import clocks
from fugong.problems.models import OPEN_STATUSES, Category, Problem, Source, Status, Urgency
from fugong.regions.models import Region

PAGE_SIZE = 30
RUNNING = (Status.PENDING, Status.DISPATCHED, Status.HANDLING)  # statuses with a clock (clocks.light)


@dataclass
class ProblemFilter:
    status: str = ""  # a Status value, or "open"
    category: str = ""  # a category id
    region: str = ""  # a region code: its whole subtree
    urgency: str = ""
    light: str = ""  # a clocks.LIGHT_LABELS key
    enterprise: str = ""  # a USCC


def read_filter(get: QueryDict) -> ProblemFilter:
    f = ProblemFilter(**{k: get.get(k, "").strip() for k in ProblemFilter.__dataclass_fields__})
    f.enterprise = f.enterprise.upper()
    wrong = [
        label
        for label, bad in (
            ("状态", f.status and f.status != "open" and f.status not in Status.values),
            ("类别", f.category and not f.category.isdigit()),
            ("紧急程度", f.urgency and f.urgency not in Urgency.values),
            ("计时状态", f.light and f.light not in clocks.LIGHT_LABELS),
        )
        if bad
    ]
    if wrong:
        raise ValidationFailed(f"筛选条件有误：{'、'.join(wrong)}，请重新选择")
    return f


def light_q(light: str, now: datetime.datetime) -> Q:
    """Narrows to the problems that can have this light; green/yellow/red still need clocks.light."""
    running_due_passed = Q(status=Status.DISPATCHED, sign_due_at__lte=now) | Q(
        status__in=(Status.PENDING, Status.HANDLING), due_at__lte=now
    )
    if light == "paused":
        return Q(status__in=RUNNING, paused_at__isnull=False)
    if light == "breached":
        return Q(paused_at__isnull=True) & running_due_passed
    return Q(status__in=RUNNING, paused_at__isnull=True) & ~running_due_passed


def filter_problems(qs: QuerySet[Problem], f: ProblemFilter, now: datetime.datetime) -> QuerySet[Problem]:
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.category:
        qs = qs.filter(category_id=int(f.category))
    if f.region:
        node = Region.objects.filter(code=f.region).first()
        if node is None:
            raise ValidationFailed(f"区划代码“{f.region}”不存在")
        qs = qs.filter(enterprise__region__path__startswith=node.path)
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.enterprise:
        qs = qs.filter(enterprise__uscc=f.enterprise)
    if f.light:
        qs = qs.filter(light_q(f.light, now))
        if f.light in ("green", "yellow", "red"):  # the share of time left is working time: ask clocks
            wanted = [p.pk for p in qs.select_related("category") if clocks.light(p, now) == f.light]
            qs = qs.filter(pk__in=wanted)
    return qs


def categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True)


# How staff took a problem they enter for an enterprise.
STAFF_SOURCES = [(s.value, s.label) for s in (Source.PHONE, Source.VISIT)]


def departments_for(user: Any) -> QuerySet[Department]:
    """Departments a dispatcher may send work to (the action checks the same: CHANGE scope)."""
    qs = Department.objects.filter(active=True).select_related("region")
    return qs.filter(dispatch_region_q(user, "region__path"))


def intake_raw(post: QueryDict, *, staff: bool) -> dict[str, Any]:
    """The intake form's values as check_create_problem takes them; only staff may say when and
    how a problem was taken (by phone or on a visit)."""
    raw: dict[str, Any] = {k: post.get(k, "") for k in ("category", "urgency", "title", "description")}
    raw["confirm"] = post.getlist("confirm")
    report = str(post.get("report", ""))
    if report.isdigit():  # raised from a daily report's 突出问题
        raw["report"], raw["source"] = int(report), "report"
    if staff and "report" not in raw:
        raw["source"] = post.get("source") or None
        raw["received_at"] = post.get("received_at") or None
    return raw


# The single-valued fields of the move forms (templates/problems/_move_form.html); "assists" is
# the one select of many.
MOVE_FIELDS = ("note", "department", "days", "rating", "resolved", "master", "assist_days", "insist")


def transition_params(post: QueryDict) -> dict[str, Any]:
    """A move's parameters from its small form; absent fields are left out, as the API does."""
    params: dict[str, Any] = {"note": post.get("note", "")}
    for name in ("department", "days", "rating", "resolved", "master", "assist_days"):
        if post.get(name):
            params[name] = post[name]
    if post.getlist("assists"):
        params["assists"] = [a for a in post.getlist("assists") if a]
    if post.get("insist"):
        params["insist"] = True
    return params
