"""A report's 在册员工 far from the accepted baseline: flagged to the county, counted only once accepted.

One report could move a province's 到岗率 from 69.7 % to 10.8 % by stating 1,000,000 employees.
So (docs/metrics.md, "在册员工的变动"): a report's 在册员工 at least 10 people and more than 20 %
away from the registry's or from the one the figures last counted needs the reporter's
confirmation (warning `baseline_change`, `fields.check_baseline`), and is flagged to the
county — a `BaselineChange` awaiting a dispatcher of the enterprise's region, a notice to the
county's dispatchers, the list on /dispatch/baselines/. Until accepted the figures count the
accepted baseline (`Report.counted_baseline`); accepting makes the new one the registry's
(audited) and the figures use it; rejecting keeps the old one and tells the reporter.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from fugong.core import audit, bulk
from fugong.core.access import Action, Role, may_dispatch_at
from fugong.core.errors import Conflict, Forbidden, ValidationFailed
from fugong.core.signals import RegistryEdit, registry_changed
from fugong.dispatch.models import BaselineChange, Report
from fugong.dispatch.reports.fields import Baseline
from fugong.enterprises.models import Enterprise
from fugong.notify.actions import Notice, do_notify
from fugong.notify.models import Topic
from fugong.notify.people import nearest

State = BaselineChange.State


def baselines_of(enterprises: Iterable[Enterprise]) -> dict[int, Baseline]:
    """Each enterprise's registry baseline and the one awaiting the county, in one query."""
    enterprises = list(enterprises)
    pending = dict(
        BaselineChange.objects.filter(bulk.AnyOf(F("enterprise_id"), [e.pk for e in enterprises]), state=State.PENDING)
        .order_by()
        .values_list("enterprise_id", "proposed")
    )
    return {e.pk: Baseline(e.baseline_headcount, pending.get(e.pk)) for e in enterprises}


@dataclass(frozen=True)
class Flag:
    """One accepted report's outcome for its 在册员工, as the writer stored it."""

    enterprise: Enterprise
    proposed: int
    counted: int | None  # the report's counted_baseline: None when its own is counted
    new: bool  # a first far value: a change to record and tell the county about
    had_pending: bool = False  # a change awaited the county before this report


def after_submissions(user: Any, day: datetime.date, flags: list[Flag], now: datetime.datetime) -> None:
    """Inside the writing transaction: records the new far values (one pending change per
    enterprise: a newer one replaces an older), withdraws the pending changes of enterprises
    whose report of the day or later came back near the accepted baseline, and tells the county."""
    back = [f.enterprise.pk for f in flags if f.counted is None and f.had_pending]
    if back:
        BaselineChange.objects.filter(enterprise_id__in=back, state=State.PENDING, date__lte=day).update(
            state=State.WITHDRAWN, decided_at=now, reason="企业已改回在册员工"
        )
    new = [f for f in flags if f.new]
    if not new:
        return
    replaced = [f.enterprise.pk for f in new if f.had_pending]
    if replaced:
        BaselineChange.objects.filter(enterprise_id__in=replaced, state=State.PENDING).update(
            state=State.WITHDRAWN, decided_at=now, reason="企业又报了新的在册员工"
        )
    by = user if getattr(user, "pk", None) else None
    changes = BaselineChange.objects.bulk_create(
        [
            BaselineChange(
                enterprise=f.enterprise,
                date=day,
                previous=f.counted if f.counted is not None else f.enterprise.baseline_headcount,
                proposed=f.proposed,
                reported_by=by,
                reported_at=now,
            )
            for f in new
        ]
    )
    tell_the_county(user, changes, now)


def tell_the_county(user: Any, changes: list[BaselineChange], now: datetime.datetime) -> None:
    url = reverse("baseline_changes")
    notices = []
    for change in changes:
        e = change.enterprise
        notice = Notice(
            Topic.SUMMARY,
            f"在册员工变动待确认：{e.name}",
            f"{e.name}{change.date:%m月%d日}填报在册员工{change.proposed}人（原{change.previous}人），"
            "请核实后确认是否采用；确认前到岗率仍按原人数计算",
            url,
            f"baseline:{change.pk}",
        )
        notices += [(user_id, notice) for user_id in nearest(Role.DISPATCHER, e.region.path)]
    do_notify(user, notices, now=now)


@transaction.atomic
def check_accept_baseline(
    user: Any, change: BaselineChange, *, accept: bool, reason: str = "", now: datetime.datetime | None = None
) -> BaselineChange:
    """A dispatcher whose scope covers the enterprise accepts the reported 在册员工 (it becomes
    the registry's, with an audit record, and the figures use it) or rejects it with a reason
    (the old one stays; the reporter is told)."""
    now = now or timezone.now()
    enterprise = Enterprise.objects.select_related("region").get(pk=change.enterprise_id)
    if not may_dispatch_at(user, enterprise.region.path):
        raise Forbidden("只有该企业所在区划的调度员可以确认在册员工的变动")
    change = BaselineChange.objects.select_for_update().get(pk=change.pk)
    if change.state != State.PENDING:
        raise Conflict(f"这项在册员工变动已处理（{change.get_state_display()}），无需再次确认")
    reason = (reason or "").strip()
    if not accept and len(reason) < 2:
        raise ValidationFailed("请填写不采用的理由，例如“在册人数应为480人，请企业更正”，企业会收到这条说明")
    change.state = State.ACCEPTED if accept else State.REJECTED
    change.decided_by, change.decided_at, change.reason = user, now, reason[:200]
    change.save()
    if accept:
        do_accept(user, enterprise, change)
    else:
        tell_the_reporter(user, enterprise, change, now)
    return change


def do_accept(user: Any, enterprise: Enterprise, change: BaselineChange) -> None:
    old = enterprise.baseline_headcount
    Enterprise.objects.filter(pk=enterprise.pk).update(baseline_headcount=change.proposed)
    audit.record(
        actor=user,
        channel="web",
        action="enterprise.baseline_accept",
        obj=enterprise,
        changes={"baseline_headcount": [old, change.proposed]},
        note=f"采用{change.date}填报的在册员工",
    )
    # the reports that stated the accepted number now count it
    Report.objects.filter(
        enterprise=enterprise, date__gte=change.date, baseline_headcount=change.proposed
    ).exclude(counted_baseline=None).update(counted_baseline=None)
    # the registry's baseline also counts where the enterprise has not reported: rebuild the figures
    # of the plans that count it (the reports' counted baselines changed with it)
    enterprise.baseline_headcount = change.proposed
    edit = RegistryEdit(enterprise, enterprise, frozenset({"baseline_headcount"}))
    registry_changed.send(sender=Enterprise, edits=[edit])


def tell_the_reporter(user: Any, enterprise: Enterprise, change: BaselineChange, now: datetime.datetime) -> None:
    if change.reported_by_id is None:
        return
    notice = Notice(
        Topic.MANUAL,
        f"在册员工变动未被采用：{enterprise.name}",
        f"{change.date:%m月%d日}填报的在册员工{change.proposed}人未被采用，仍按{change.previous}人计算。"
        f"说明：{change.reason}",
        reverse("report_form", args=[enterprise.uscc]) + f"?date={change.date}",
        f"baseline-rejected:{change.pk}",
    )
    do_notify(user, [(change.reported_by_id, notice)], now=now)


def pending_for(user: Any) -> Any:
    """The changes awaiting a dispatcher of the user's regions."""
    return (
        BaselineChange.objects.visible_to(user, Action.CHANGE)
        .filter(state=State.PENDING)
        .select_related("enterprise__region", "reported_by")
        .order_by("reported_at")
    )
