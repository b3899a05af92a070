"""Pages of 重点企业清单: the lists one may read, a list as of a day with its pending nominations
(and the decision forms for whoever decides them), and the nomination form."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fugong.accounts.models import Department
from fugong.core.access import Action, anchor_paths, may_anywhere, require_action
from fugong.core.errors import DomainError, Forbidden
from fugong.core.models import Channel
from fugong.enterprises.models import Enterprise
from fugong.lists import actions, export, reads
from fugong.lists.models import KeyList, Kind
from fugong.regions.models import Level, split_path

CHOICES_SHOWN = 200  # the nomination form lists this many of the region's enterprises (search for more)


def day_of(request: HttpRequest) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()
    return day if datetime.date(2000, 1, 1) <= day <= datetime.date(2100, 12, 31) else timezone.localdate()


@login_required
def list_index(request: HttpRequest) -> HttpResponse:
    lists = KeyList.objects.visible_to(request.user).select_related("region", "department")
    context = {"lists": lists, "can_create": may_anywhere(request.user, Action.CHANGE)}
    return render(request, "lists/index.html", context)


def criteria_of(text: str) -> list[Any]:
    """ "上年进出口额 0.4" per line → [{field, weight}]; a line without a number weighs 1, and a
    weight that is not a number is passed on for the action to refuse by name."""
    criteria: list[Any] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 1:
            criteria.append({"field": parts[0], "weight": 1})
        else:
            criteria.append({"field": " ".join(parts[:-1]), "weight": parts[-1]})
    return criteria


@login_required
def list_new(request: HttpRequest) -> HttpResponse:
    require_action(request.user, Action.CHANGE)
    paths = anchor_paths(request.user, Action.CHANGE)
    values: dict[str, Any] = {
        "region": split_path(paths[0])[-1] if paths else "",
        "kind": Kind.FOREIGN_TRADE,
        "approval_levels": [],
        "criteria": "",
    }
    error = None
    if request.method == "POST":
        values = {
            "title": request.POST.get("title", ""),
            "kind": request.POST.get("kind", ""),
            "region": request.POST.get("region", ""),
            "department": request.POST.get("department") or None,
            "approval_levels": request.POST.getlist("approval_levels"),
            "criteria": request.POST.get("criteria", ""),
        }
        raw = {**values, "criteria": criteria_of(values["criteria"])}
        try:
            key_list = actions.check_create_list(request.user, raw, channel=Channel.WEB)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"已新建“{key_list.title}”")
            return redirect("key_list_detail", list_id=key_list.pk)
    context = {
        "values": values,
        "error": error,
        "kinds": Kind.choices,
        "levels": [(Level.COUNTY, "县级"), (Level.CITY, "市级"), (Level.PROVINCE, "省级")],
        "departments": Department.objects.visible_to(request.user, Action.CHANGE).select_related("region"),
    }
    return render(request, "lists/new.html", context, status=error.status if error else 200)


def render_detail(request: HttpRequest, key_list: KeyList, error: DomainError | None = None) -> HttpResponse:
    day = day_of(request)
    rows = reads.entries_on(request.user, key_list, day)
    nominations = reads.pending(request.user, key_list)
    context = {
        "list": key_list,
        "day": day,
        "today": timezone.localdate(),
        "rows": [{"row": r, "removable": reads.may_remove(request.user, key_list, r.entry)} for r in rows],
        "nominations": [
            {"n": n, "awaited": reads.awaited_label(n), "decidable": reads.may_decide(request.user, n)}
            for n in nominations
        ],
        "levels": [actions.level_label(level) for level in key_list.approval_levels],
        "may_nominate": nominable(request.user, key_list).exists(),
        "error": error,
    }
    return render(request, "lists/detail.html", context, status=error.status if error else 200)


@login_required
def list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    return render_detail(request, actions.access_list(request.user, list_id))


def nominable(user: Any, key_list: KeyList) -> Any:
    """The enterprises the user may nominate into the list: those they may change, under it."""
    return Enterprise.objects.visible_to(user, Action.CHANGE).in_region(key_list.region.path)


@login_required
def list_nominate(request: HttpRequest, list_id: int) -> HttpResponse:
    key_list = actions.access_list(request.user, list_id)
    candidates = nominable(request.user, key_list)
    if not candidates.exists():
        raise Forbidden(f"您不能向“{key_list.title}”提名：{key_list.region.name}范围内没有您可修改的企业")
    error = None
    if request.method == "POST":
        chosen = request.POST.getlist("enterprises")
        try:
            made = actions.check_nominate(
                request.user, key_list, chosen, request.POST.get("note", ""), channel=Channel.WEB
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"已提名{len(made)}户企业，等待审批")
            return redirect("key_list_detail", list_id=key_list.pk)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        candidates = candidates.filter(name__icontains=query) | candidates.filter(uscc__icontains=query)
    listed = key_list.entries.current().values("enterprise_id")
    context = {
        "list": key_list,
        "candidates": candidates.exclude(pk__in=listed)
        .select_related("region")
        .order_by("region_id", "name")[:CHOICES_SHOWN],
        "q": query,
        "chosen": set(request.POST.getlist("enterprises")),
        "note": request.POST.get("note", ""),
        "error": error,
        "shown": CHOICES_SHOWN,
    }
    return render(request, "lists/nominate.html", context, status=error.status if error else 200)


@login_required
@require_POST
def list_decide(request: HttpRequest, list_id: int) -> HttpResponse:
    key_list = actions.access_list(request.user, list_id)
    decision = request.POST.get("decision", "")
    try:
        actions.check_decide(
            request.user,
            key_list,
            request.POST.getlist("enterprises"),
            decision,
            request.POST.get("reason", ""),
            channel=Channel.WEB,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return render_detail(request, key_list, exc)
    messages.success(request, f"已{actions.DECISIONS.get(decision, decision)}")
    return redirect("key_list_detail", list_id=key_list.pk)


@login_required
def list_export(request: HttpRequest, list_id: int) -> HttpResponse:
    """The list as of ?date= (today by default) as a sheet, with the rows the reader may see."""
    key_list = actions.access_list(request.user, list_id)
    return export.download(request, key_list, day_of(request))
