"""今日调度: who has reported today and who has not, and the reminders a dispatcher sends from it."""


from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fugong.core.access import Action, access_object, may_anywhere, may_at
from fugong.core.models import Channel
from fugong.dispatch.figures import defaults
from fugong.dispatch.figures.completeness import (
    breadcrumbs,
    completeness,
    missing_and_late,
    missing_enterprises,
)
from fugong.dispatch.models import Plan
from fugong.dispatch.params import day_param, int_param
from fugong.dispatch.plans.periods import is_reporting_day, period_of
from fugong.dispatch.plans.reminders import rounds_sent
from fugong.dispatch.reports import corrections
from fugong.notify.actions import Overdue, do_remind_manually
from fugong.notify.awaiting import MANUAL_GAP, last_reminded
from fugong.regions.models import access_node


@login_required
def board(request: HttpRequest) -> HttpResponse:
    choice = defaults.choice_for_page(request)
    plans, plan, day, region = choice.plans, choice.plan, choice.day, choice.region
    if plan is None:
        return render(request, "dispatch/board.html", {"plans": []})
    if region is None:
        return render(request, "dispatch/board.html", {"plans": plans, "plan": plan, "no_region": True})
    node = completeness(plan, day, region, request.user)
    missing, late = missing_and_late(plan, day, region, request.user)
    context = {
        "plans": plans,
        "plan": plan,
        "day": day,
        "region": region,
        "node": node,
        "missing": missing,
        "late": late,
        "ancestors": breadcrumbs(request.user, plan, region),
        "period": period_of(plan, day),
        "reporting_day": is_reporting_day(plan, day),
        "rounds": rounds_sent(plan, day),
        "corrections": corrections.corrections(plan, day, region),
        "missing_rows": reminded_marks(plan, day, missing),
        "can_remind": may_anywhere(request.user, Action.CHANGE),
        # 代报 and the fill-in template are for those who report here (not a leader or a handler)
        "can_report": may_at(request.user, Action.REPORT, region.path),
        "choice": choice,
        "regions": choice.regions(request.user),
    }
    return render(request, "dispatch/board.html", context)


def reminded_marks(plan: Plan, day: datetime.date, missing: list[Any]) -> list[tuple[Any, str]]:
    """Each missing enterprise's row with "HH:MM" of its latest reminder in the period (manual or
    scheduled, from the stored notices), or "" — the board shows "已提醒 14:05"."""
    found = last_reminded(plan.pk, period_of(plan, day).start, [row.enterprise.pk for row in missing])
    marks = {pk: f"{timezone.localtime(at):%H:%M}" for pk, at in found.items()}
    return [(row, marks.get(row.enterprise.pk, "")) for row in missing]


def say_reminded(
    request: HttpRequest, reminded: list[int], held_back: dict[int, datetime.datetime], sent: int
) -> None:
    minutes = int(MANUAL_GAP.total_seconds() // 60)
    held = ""
    if held_back:
        last = timezone.localtime(max(held_back.values()))
        held = f"{len(held_back)}户在{minutes}分钟内已提醒过（最近一次{last:%H:%M}），未重复提醒"
    if not reminded:
        messages.info(request, held or "没有需要提醒的未报企业")
        return
    text = f"已提醒{len(reminded)}户未报企业，向其填报员和联络员发送消息{sent}条（每人一条）"
    messages.success(request, f"{text}；{held}" if held else text)


@login_required
@require_POST
def remind(request: HttpRequest) -> HttpResponse:
    plan = access_object(
        Plan.objects.select_related("owner_region"), request.user, pk=int_param(request.POST, "plan")
    )
    region = access_node(request.user, request.POST.get("region"), Action.CHANGE)
    day = day_param(request)
    missing = missing_enterprises(plan, day, region, request.user)
    wanted = request.POST.getlist("enterprise")
    chosen = missing.filter(uscc__in=wanted) if wanted else missing
    period = period_of(plan, day)
    done = do_remind_manually(
        request.user,
        [
            Overdue(pk, name, reverse("report_form", args=[uscc]) + f"?date={day}")
            for pk, name, uscc in chosen.values_list("pk", "name", "uscc")
        ],
        plan_id=plan.pk,
        plan_title=plan.title,
        period=(period.start, period.end),
        day=day,
        deadline=period.deadline,
        channel=Channel.WEB,
    )
    say_reminded(request, done.reminded, done.held_back, done.sent)
    if done.unreachable:
        messages.warning(request, f"{len(done.unreachable)}户企业没有填报员或联络员账号，无法发送消息，请电话联系")
    return redirect(f"{reverse('board')}?plan={plan.pk}&date={day}&region={region.code}")
