"""The county's list of 在册员工 changes awaiting acceptance (在册员工变动待确认), with accept/reject."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fugong.core.access import Action, access_object, require_action
from fugong.core.errors import DomainError
from fugong.dispatch.models import BaselineChange
from fugong.dispatch.params import int_param
from fugong.dispatch.reports import baselines


@login_required
def baseline_changes(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CHANGE)
    error = None
    if request.method == "POST":
        try:
            change = access_object(BaselineChange.objects.all(), request.user, Action.CHANGE, pk=int_param(request.POST, "change"))
            accept = request.POST.get("decision") == "accept"
            done = baselines.check_accept_baseline(
                request.user, change, accept=accept, reason=request.POST.get("reason", "")
            )
            e = done.enterprise
            messages.success(
                request,
                f"已采用{e.name}的在册员工{done.proposed}人，到岗率按新人数计算"
                if accept
                else f"未采用{e.name}的在册员工{done.proposed}人，仍按{done.previous}人计算，已告知企业",
            )
            return redirect("baseline_changes")
        except DomainError as exc:
            error = exc
    context = {"changes": baselines.pending_for(request.user)[:500], "error": error}
    return render(request, "dispatch/baselines.html", context, status=error.status if error else 200)
