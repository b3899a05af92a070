"""API: problems (诉求) as work orders — intake, lists, detail with history, transitions."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from fugong.core.access import Action, access_object
from fugong.core.errors import BadRequest
from fugong.core.limits import TAGS, Amount, Id, Name, Pages, Text
from fugong.enterprises.models import Enterprise
from fugong.problems import clocks, flow
from fugong.problems.actions import check_create_problem, do_transition
from fugong.problems.models import Problem, Status, Urgency
from fugong.regions.models import Region

router = Router(tags=["诉求办理"])
OTHER_EVENTS = {"create": "提交诉求", "attach": "上传附件"}


class ProblemIn(Schema):
    enterprise: Name  # USCC
    category: Name
    title: Name
    description: Text
    urgency: Name = Urgency.NORMAL
    source: Name | None = None
    received_at: datetime.datetime | None = None  # staff: when it was taken by phone or on a visit
    report: Id | None = None
    confirm: Annotated[list[Name], Field(max_length=TAGS)] = []


class EventOut(Schema):
    action: str
    label: str
    from_status: str
    to_status: str
    actor: str | None
    at: datetime.datetime
    note: str
    data: dict[str, Any]


class AssistOut(Schema):
    department: str
    due_at: datetime.datetime
    answered_at: datetime.datetime | None
    answer: str


class ProblemOut(Schema):
    id: int
    enterprise: str
    enterprise_name: str
    category: str
    urgency: str
    title: str
    description: str
    source: str
    status: str
    status_label: str
    received_at: datetime.datetime
    level_region: str
    lead_department: str | None
    sign_due_at: datetime.datetime | None
    respond_due_at: datetime.datetime | None
    due_at: datetime.datetime | None
    light: str  # green | yellow | red | breached | paused | "" (no clock running)
    paused: bool
    reply: str
    rating: str
    resolved: bool | None
    returns: int
    redos: int
    escalations: int
    master: int | None

    @staticmethod
    def resolve_enterprise(p: Problem) -> str:
        return p.enterprise.uscc

    @staticmethod
    def resolve_enterprise_name(p: Problem) -> str:
        return p.enterprise.name

    @staticmethod
    def resolve_category(p: Problem) -> str:
        return p.category.name

    @staticmethod
    def resolve_status_label(p: Problem) -> str:
        return p.get_status_display()

    @staticmethod
    def resolve_level_region(p: Problem) -> str:
        return p.level_region_id

    @staticmethod
    def resolve_lead_department(p: Problem) -> str | None:
        return p.lead_department.name if p.lead_department else None

    @staticmethod
    def resolve_light(p: Problem) -> str:
        return clocks.light(p)

    @staticmethod
    def resolve_paused(p: Problem) -> bool:
        return p.paused_at is not None

    @staticmethod
    def resolve_master(p: Problem) -> int | None:
        return p.master_id


class ProblemDetailOut(ProblemOut):
    events: list[EventOut]
    assists: list[AssistOut]
    allowed: list[str]  # the actions the caller may take now

    @staticmethod
    def resolve_events(p: Problem) -> list[dict[str, Any]]:
        return [
            {
                "action": e.action,
                "label": flow.MOVES[e.action].label
                if e.action in flow.MOVES
                else OTHER_EVENTS.get(e.action, e.action),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": str(e.actor) if e.actor else None,
                "at": e.at,
                "note": e.note,
                "data": e.data,
            }
            for e in p.events.select_related("actor")
        ]

    @staticmethod
    def resolve_assists(p: Problem) -> list[dict[str, Any]]:
        return [
            {
                "department": a.department.name,
                "due_at": a.due_at,
                "answered_at": a.answered_at,
                "answer": a.answer,
            }
            for a in p.assists.select_related("department")
        ]

    @staticmethod
    def resolve_allowed(p: Problem) -> list[str]:
        return list(getattr(p, "allowed_actions", []))


class TransitionIn(Schema):
    action: Name
    note: Text = ""
    department: Id | None = None  # dispatch / escalate to a task force
    assists: Annotated[list[Id], Field(max_length=TAGS)] = []
    assist_days: Amount | None = None  # the supporting units' own limit, in working days
    insist: bool = False
    days: Amount | None = None  # request_extension, in working days
    rating: Name | None = None  # rate: satisfied | basic | unsatisfied
    resolved: bool | None = None
    master: Id | None = None  # merge


RELATED = ("enterprise__region", "category", "level_region", "lead_department")


def detail_of(user: Any, problem_id: int) -> Problem:
    p = access_object(Problem.objects.select_related(*RELATED), user, pk=problem_id)
    p.allowed_actions = flow.allowed(user, p, timezone.now())  # type: ignore[attr-defined]
    return p


@router.post(
    "/problems",
    response={201: ProblemDetailOut},
    summary="提交诉求（企业、联络员，或调度员补录电话/走访受理）",
)
def create_problem(request: HttpRequest, payload: ProblemIn) -> tuple[int, Problem]:
    enterprise = access_object(
        Enterprise.objects.select_related("region"),
        request.user,
        Action.REPORT,
        uscc=payload.enterprise.strip().upper(),
    )
    problem = check_create_problem(request.user, enterprise, payload.dict(exclude={"enterprise"}))
    return 201, detail_of(request.user, problem.pk)


@router.get("/problems", response=list[ProblemOut], summary="诉求列表（按管辖范围）")
@paginate(Pages, page_size=50)
def list_problems(
    request: HttpRequest, status: str | None = None, region: str | None = None, category: str | None = None
) -> Any:
    qs: QuerySet[Problem] = Problem.objects.visible_to(request.user).select_related(*RELATED)
    if status:
        if status not in Status.values and status != "open":
            raise BadRequest(f"status 只能是 open 或 {'、'.join(Status.values)}")
        qs = qs.filter(status__in=flow.OPEN_STATUSES) if status == "open" else qs.filter(status=status)
    if region:
        node = Region.objects.filter(code=region).first()
        if node is None:
            raise BadRequest(f"区划代码“{region}”不存在")
        qs = qs.filter(enterprise__region__path__startswith=node.path)
    if category:
        qs = qs.filter(category__name=category)
    return qs.order_by("-received_at", "-pk")


@router.get("/problems/{problem_id}", response=ProblemDetailOut, summary="诉求详情、办理记录与可进行的操作")
def get_problem(request: HttpRequest, problem_id: int) -> Problem:
    return detail_of(request.user, problem_id)


@router.post(
    "/problems/{problem_id}/transitions",
    response=ProblemDetailOut,
    summary="办理操作（派单、签收、退单、答复、评价、延期、提级、督办、并单……）；不允许的操作返回409并列出可进行的操作",
)
def transition(request: HttpRequest, problem_id: int, payload: TransitionIn) -> Problem:
    params = payload.dict(exclude={"action"}, exclude_none=True)
    problem = do_transition(request.user, problem_id, payload.action, params)
    # the problem as saved, even if the move took it out of the caller's sight (a 退单)
    problem.allowed_actions = flow.allowed(request.user, problem, timezone.now())  # type: ignore[attr-defined]
    return problem
