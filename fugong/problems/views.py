"""Pages of 诉求办理: the list, intake, a work order's detail with its moves, and the scorecards."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from fugong.core.access import Action, access_object, enterprises_reported_for, may_at, may_dispatch_at
from fugong.core.errors import DomainError, NotFound
from fugong.core.middleware import accepts_uploads
from fugong.dispatch.figures.defaults import choose_day
from fugong.dispatch.models import Report
from fugong.dispatch.reports.fields import PROBLEM_TAGS
from fugong.enterprises.models import Enterprise
from fugong.enterprises.views import region_choices
from fugong.problems import clocks, flow, forms, scorecards
from fugong.problems.actions import DuplicateSuspected, do_transition
from fugong.problems.attachments import ATTACHERS, MAX_FILES, check_create_problem_with_files, do_attach
from fugong.problems.models import Problem, Rating, Source, Status, Urgency

STATUS_LABELS = dict(Status.choices)
EVENT_LABELS = {"create": "提交", "attach": "上传附件"}


def problem_row(p: Problem, now: datetime.datetime) -> dict[str, Any]:
    """What a list row and the detail's clock line show: the running deadline and its light."""
    which, _, due_at = clocks.running_deadline(p)
    light = clocks.light(p, now)
    return {
        "p": p,
        "light": light,
        "light_label": clocks.LIGHT_LABELS.get(light, ""),
        "clock": {"sign": "签收", "close": "办结"}.get(which, ""),
        "due_at": due_at,
    }


def history(problem: Problem) -> list[dict[str, Any]]:
    return [
        {
            "e": e,
            "label": flow.MOVES[e.action].label
            if e.action in flow.MOVES
            else EVENT_LABELS.get(e.action, e.action),
            "from": STATUS_LABELS.get(e.from_status, ""),
            "to": STATUS_LABELS.get(e.to_status, ""),
        }
        for e in problem.events.select_related("actor")
    ]


RELATED = ("enterprise__region", "category", "level_region", "lead_department__region", "received_by")


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    f = forms.read_filter(request.GET)
    qs = forms.filter_problems(Problem.objects.visible_to(request.user).select_related(*RELATED), f, now)
    page = Paginator(qs.order_by("-received_at", "-pk"), forms.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": [problem_row(p, now) for p in page],
        "filters": f,
        "statuses": Status.choices,
        "categories": forms.categories(),
        "urgencies": Urgency.choices,
        "lights": clocks.LIGHT_LABELS,
        "regions": region_choices(request.user),
        "query": query.urlencode(),
        "can_score": scorecards.can_read_scorecards(request.user),
    }
    return render(request, "problems/list.html", context)


def intake_enterprise(request: HttpRequest) -> Enterprise | None:
    """The enterprise asked for (?enterprise=USCC), or the reporter's only one; None: ask."""
    uscc = (request.GET.get("enterprise") or request.POST.get("enterprise") or "").strip().upper()
    qs = Enterprise.objects.select_related("region")
    if uscc:
        return access_object(qs, request.user, Action.REPORT, uscc=uscc)
    own = enterprises_reported_for(request.user)
    return qs.get(pk=next(iter(own))) if len(own) == 1 else None


def render_intake(
    request: HttpRequest, enterprise: Enterprise, raw: dict[str, Any], error: DomainError | None = None
) -> HttpResponse:
    """The intake form, blank or (after a refusal) with every typed value; a browser cannot be
    given back chosen files, so the message says to choose them again."""
    staff = may_dispatch_at(request.user, enterprise.region.path)
    context = {
        "e": enterprise,
        "raw": raw,
        "error": error,
        "duplicate": isinstance(error, DuplicateSuspected),
        "staff": staff,
        "sources": forms.STAFF_SOURCES if staff else [],
        "categories": forms.categories(),
        "urgencies": Urgency.choices,
        "max_files": MAX_FILES,
        "files_dropped": error is not None and bool(request.FILES.getlist("files")),
    }
    return render(request, "problems/new.html", context, status=error.status if error else 200)


@accepts_uploads
@login_required
def problem_new(request: HttpRequest) -> HttpResponse:
    enterprise = intake_enterprise(request)
    if enterprise is None:
        mine = Enterprise.objects.visible_to(request.user, Action.REPORT).filter(
            pk__in=enterprises_reported_for(request.user)
        )
        return render(request, "problems/choose_enterprise.html", {"enterprises": mine.order_by("name")})
    if request.method != "POST":
        return render_intake(request, enterprise, from_report(request, enterprise))
    staff = may_dispatch_at(request.user, enterprise.region.path)
    raw = forms.intake_raw(request.POST, staff=staff)
    try:
        problem = check_create_problem_with_files(
            request.user, enterprise, raw, request.FILES.getlist("files")
        )
    except DomainError as exc:
        return render_intake(request, enterprise, raw, exc)
    messages.success(request, f"诉求已提交，编号 #{problem.pk}，办理进展会在此页显示")
    return redirect("problem_detail", problem_id=problem.pk)


def from_report(request: HttpRequest, enterprise: Enterprise) -> dict[str, Any]:
    """The intake form's first values: blank, or a daily report's 突出问题 being turned into a
    work order (its first problem category, its text)."""
    raw: dict[str, Any] = {"urgency": Urgency.NORMAL, "source": Source.PHONE}
    report_id = request.GET.get("report", "")
    report = (
        Report.objects.filter(pk=report_id, enterprise=enterprise).first() if report_id.isdigit() else None
    )
    if report is not None:
        tags = [PROBLEM_TAGS.get(t, t) for t in report.problem_tags or []]
        raw.update(
            report=report.pk,
            source=Source.REPORT,
            category=tags[0] if tags else "",
            title=(tags[0] if tags else "日报反映的问题") + f"（{report.date:%m月%d日}日报）",
            description=report.problems or "、".join(tags),
        )
    return raw


def render_detail(
    request: HttpRequest, problem_id: int, error: DomainError | None = None, posted: str = ""
) -> HttpResponse:
    now = timezone.now()
    problem = access_object(
        Problem.objects.select_related(*RELATED, "master").prefetch_related("assists__department"),
        request.user,
        pk=problem_id,
    )
    allowed = flow.allowed(request.user, problem, now)
    context = {
        "p": problem,
        "row": problem_row(problem, now),
        "error": error,
        "posted": posted,
        "sent": sent_values(request) if error else {},
        "files_dropped": error is not None and bool(request.FILES.getlist("files")),
        "moves": [(name, flow.MOVES[name]) for name in allowed],
        "close_waits": flow.close_waits(request.user, problem, now),
        "rating_due": flow.rating_due(problem) if problem.status == Status.RATING else None,
        "departments": forms.departments_for(request.user) if {"dispatch", "escalate"} & set(allowed) else [],
        "ratings": Rating.choices,
        "history": history(problem),
        "attachments": problem.attachments.defer("content").select_related("uploaded_by"),
        "can_attach": problem.is_open and bool(flow.roles_of(request.user, problem) & ATTACHERS),
        "max_files": MAX_FILES,
    }
    return render(request, "problems/detail.html", context, status=error.status if error else 200)


def sent_values(request: HttpRequest) -> dict[str, Any]:
    """What the refused move's form held, to fill it again (its select of many as a list)."""
    values: dict[str, Any] = {k: request.POST.get(k, "") for k in forms.MOVE_FIELDS}
    values["assists"] = request.POST.getlist("assists")
    return values


@login_required
def problem_detail(request: HttpRequest, problem_id: int) -> HttpResponse:
    return render_detail(request, problem_id)


def after_change(request: HttpRequest, problem_id: int, done: str) -> HttpResponse:
    """Back to the problem, or to the list if the move took it out of the user's sight (退单)."""
    messages.success(request, done)
    if Problem.objects.visible_to(request.user).filter(pk=problem_id).exists():
        return redirect("problem_detail", problem_id=problem_id)
    return redirect("problem_list")


@login_required
@require_POST
def problem_act(request: HttpRequest, problem_id: int) -> HttpResponse:
    access_object(Problem.objects.all(), request.user, pk=problem_id)  # out of scope: 404, not a form
    action = request.POST.get("action", "")
    try:
        do_transition(request.user, problem_id, action, forms.transition_params(request.POST))
    except DomainError as exc:
        return render_detail(request, problem_id, exc, posted=action)
    move = flow.MOVES.get(action)
    return after_change(request, problem_id, f"已{move.label if move else action}")


@accepts_uploads
@login_required
@require_POST
def problem_attach(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = access_object(Problem.objects.all(), request.user, pk=problem_id)
    try:
        stored = do_attach(request.user, problem, request.FILES.getlist("files"))
    except DomainError as exc:
        return render_detail(request, problem_id, exc, posted="attach")
    return after_change(request, problem_id, f"已上传{len(stored)}个附件")


@login_required
def attachment_download(request: HttpRequest, problem_id: int, attachment_id: int) -> HttpResponse:
    problem = access_object(Problem.objects.all(), request.user, pk=problem_id)
    attachment = problem.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("附件不存在")
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition_header(True, attachment.name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def scorecard(request: HttpRequest) -> HttpResponse:
    node = scorecards.access_scorecard_node(request.user, request.GET.get("region"))
    notes: list[str] = []  # a bad date shows the default range and says so (dispatch/defaults.py)
    end = choose_day(request.GET.get("end"), notes)
    start = choose_day(request.GET.get("start"), notes, default=end.replace(day=1), named="当月1日起")
    for note in notes:
        messages.warning(request, note)
    if start > end:
        start, end = end, start
    if end - start > datetime.timedelta(days=366):
        start = end - datetime.timedelta(days=366)  # a year at most: the cards walk every event
    cards = scorecards.scorecards(request.user, node, start, end)
    context = {
        "cards": cards,
        "node": node,
        "start": start,
        "end": end,
        "ancestors": [a for a in node.ancestors() if may_at(request.user, Action.VIEW, a.path)],
        "open_by_category": scorecards.open_by_category(request.user, node),
        "clusters": scorecards.common_problems(request.user, node),
        "rank_min": scorecards.RANK_MIN_PROBLEMS,
        "list_url": reverse("problem_list"),
    }
    return render(request, "problems/scorecard.html", context)
