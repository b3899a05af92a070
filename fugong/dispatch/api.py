"""API: plans, completeness, reports (idempotent on client_id) with their revisions."""

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from fugong.core.access import access_object
from fugong.core.errors import BadRequest
from fugong.core.limits import TAGS, Id, JsonList, JsonObject, Name, Pages, RawScalar, Text, required_in_docs
from fugong.core.models import Channel
from fugong.dispatch.figures import reads, reference
from fugong.dispatch.figures.completeness import Node, completeness, node_for
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.dispatch.plans import actions as plan_actions
from fugong.dispatch.plans.periods import is_reporting_day, period_of
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.dispatch.reports import submit

router = Router(tags=["调度"])
RawValue = RawScalar
Names = Annotated[list[Name], Field(max_length=TAGS)]


class PlanOut(Schema):
    id: int
    title: str
    owner_region: str
    owner_department: int | None
    cadence: str
    deadline: str
    deadline_weekday: int
    reminder_times: list[str]
    start_date: datetime.date
    end_date: datetime.date | None
    report_on_rest_days: bool
    attendance_basis: str
    lock_after_days: int | None
    selector: dict[str, Any]
    extra_fields: list[dict[str, Any]]
    active: bool

    @staticmethod
    def resolve_owner_region(obj: Plan) -> str:
        return obj.owner_region_id

    @staticmethod
    def resolve_owner_department(obj: Plan) -> int | None:
        return obj.owner_department_id

    @staticmethod
    def resolve_deadline(obj: Plan) -> str:
        return obj.deadline_time.strftime("%H:%M")


class PlanIn(Schema):
    model_config = required_in_docs("title", "owner_region", "start_date")

    title: RawValue = None
    owner_region: RawValue = None
    owner_department: Id | None = None
    cadence: Name | None = None
    deadline: Name | None = None
    deadline_weekday: int | None = None
    reminder_times: Names | None = None  # local times before the deadline, e.g. ["14:00", "15:30"]
    start_date: RawValue = None
    end_date: RawValue = None
    report_on_rest_days: bool | None = None
    attendance_basis: Name | None = None
    lock_after_days: int | None = None
    selector: JsonObject | None = None
    extra_fields: JsonList | None = None
    active: bool | None = None


class CompletenessOut(Schema):
    region: str
    name: str
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    submitted_rate: Decimal | None
    on_time_rate: Decimal | None
    children: list["CompletenessOut"] = []


class RevisionOut(Schema):
    number: int
    at: datetime.datetime
    by: str | None
    channel: str
    on_behalf: bool
    client_id: str
    changes: dict[str, Any]
    confirmed: list[str]

    @staticmethod
    def resolve_by(obj: Any) -> str | None:
        return obj.by.username if obj.by else None


class ReportOut(Schema):
    id: int
    enterprise: str
    enterprise_name: str
    date: datetime.date
    resumed: bool
    resumed_on: datetime.date | None
    baseline_headcount: int
    reported_back: int
    isolated: int
    on_duty: int
    capacity_pct: Decimal | None
    measures: list[str]
    problems: str
    problem_tags: list[str]
    suggestions: str
    extra: dict[str, Any]
    received_at: datetime.datetime
    updated_at: datetime.datetime
    revision: int  # the version to send back as base_revision when editing this report
    revisions: list[RevisionOut]

    @staticmethod
    def resolve_enterprise(obj: Report) -> str:
        return obj.enterprise.uscc

    @staticmethod
    def resolve_enterprise_name(obj: Report) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_revision(obj: Report) -> int:
        return obj.revision_count

    @staticmethod
    def resolve_revisions(obj: Report) -> list[Any]:
        return list(obj.revisions.all())


class ReportIn(Schema):
    # baseline_headcount is not required: it defaults to the registry's
    model_config = required_in_docs("resumed", "reported_back", "isolated", "on_duty")

    enterprise: Name
    date: datetime.date
    client_id: Name = ""
    resumed: RawValue = None
    resumed_on: RawValue = None
    baseline_headcount: RawValue = None
    reported_back: RawValue = None
    isolated: RawValue = None
    on_duty: RawValue = None
    capacity_pct: RawValue = None
    measures: Names | Text | None = None
    problems: Text | None = None
    problem_tags: Names | Text | None = None
    suggestions: Text | None = None
    extra: JsonObject | None = None
    confirm: Names = []
    base_revision: int | None = Field(
        None,
        ge=0,
        description="编辑所基于的版本（读取时日报的 revision；当日尚未报送为 0）。"
        "与已保存的版本不同 → 409 stale_revision，details.current 为已保存的值；"
        "不提供则不检查（旧客户端，后提交者为准）。同一 client_id 的重试先按幂等处理，返回原结果。",
    )


class ReportFilter(Schema):
    enterprise: Name | None = None
    date: datetime.date | None = None
    plan: Id | None = None


def check_day(day: datetime.date) -> None:
    if not datetime.date(2000, 1, 1) <= day <= datetime.date(2100, 12, 31):
        raise BadRequest(f"日期{day}超出范围（2000—2100年）")


def report_queryset() -> Any:
    revisions = Prefetch("revisions", ReportRevision.objects.select_related("by"))
    return Report.objects.select_related("enterprise").prefetch_related(revisions)


@router.get("/plans", response=list[PlanOut], summary="调度任务列表")
@paginate(Pages, page_size=50)
def list_plans(request: HttpRequest) -> Any:
    return Plan.objects.visible_to(request.user).order_by("-active", "id")


@router.post("/plans", response={201: PlanOut}, summary="新建调度任务")
def create_plan(request: HttpRequest, payload: PlanIn) -> tuple[int, Plan]:
    raw = payload.dict(exclude_unset=True)
    if "deadline" in raw:
        raw["deadline_time"] = raw.pop("deadline")
    return 201, plan_actions.check_save_plan(request.user, raw, channel=Channel.API)


@router.get("/plans/{plan_id}", response=PlanOut, summary="调度任务详情")
def get_plan(request: HttpRequest, plan_id: int) -> Plan:
    return access_object(Plan.objects.all(), request.user, pk=plan_id)


def node_out(node: Node) -> dict[str, Any]:
    return {
        "region": node.region.code,
        "name": node.region.name,
        **node.tally.as_dict(),
        "children": [node_out(child) for child in node.children],
    }


@router.get("/plans/{plan_id}/completeness", response=CompletenessOut, summary="填报完整性与及时性")
def get_completeness(
    request: HttpRequest, plan_id: int, date: datetime.date, region: str | None = None
) -> dict[str, Any]:
    plan = access_object(Plan.objects.select_related("owner_region"), request.user, pk=plan_id)
    check_day(date)
    node_region = node_for(request.user, plan, region)
    return node_out(completeness(plan, date, node_region, request.user))


@router.post("/reports", response={200: ReportOut, 201: ReportOut}, summary="报送日报（按 client_id 幂等）")
def submit_report(request: HttpRequest, payload: ReportIn) -> tuple[int, Report]:
    enterprise = submit.access_enterprise_for_report(request.user, payload.enterprise)
    raw = payload.dict(
        exclude={"enterprise", "date", "client_id", "confirm", "base_revision"}, exclude_unset=True
    )
    result = submit.check_submit_report(
        request.user,
        enterprise,
        payload.date,
        raw,
        channel=Channel.API,
        client_id=payload.client_id,
        confirm=payload.confirm,
        base_revision=payload.base_revision,
    )
    report = result.report
    report.enterprise = enterprise
    # One query for the revisions (with their authors) instead of re-reading the report.
    prefetch_related_objects([report], Prefetch("revisions", ReportRevision.objects.select_related("by")))
    return (201 if result.created else 200), report


@router.get("/reports", response=list[ReportOut], summary="日报列表")
@paginate(Pages, page_size=50)
def list_reports(request: HttpRequest, filters: Query[ReportFilter]) -> Any:
    qs = report_queryset().visible_to(request.user).order_by("-date", "enterprise__name")
    if filters.enterprise:
        qs = qs.filter(enterprise__uscc=filters.enterprise.strip().upper())
    if filters.plan:
        plan = access_object(Plan.objects.select_related("owner_region"), request.user, pk=filters.plan)
        if filters.date is None:
            raise BadRequest("按调度任务查询时请同时给出 date")
        check_day(filters.date)
        period = period_of(plan, filters.date)
        covered = (
            plan_enterprises(plan, filters.date)
            if is_reporting_day(plan, filters.date)
            else plan_enterprises(plan).none()
        )
        return qs.filter(enterprise__in=covered, date__range=(period.start, period.end))
    if filters.date:
        qs = qs.filter(date=filters.date)
    return qs


@router.get("/reports/{report_id}", response=ReportOut, summary="日报详情（含修改记录）")
def get_report(request: HttpRequest, report_id: int) -> Report:
    return access_object(report_queryset(), request.user, pk=report_id)


class FiguresOut(Schema):
    key: str
    name: str
    enterprises: int
    resumed: int
    resumption_rate: Decimal | None
    baseline_headcount: int
    baseline_headcount_resumed: int
    reported_back: int
    isolated: int
    on_duty: int
    on_duty_resumed: int
    attendance_rate: Decimal | None
    attendance_rate_all: Decimal | None
    capacity_recovery_rate: Decimal | None
    stale: int


class ResumptionOut(Schema):
    plan: int
    date: datetime.date
    region: str
    by: str
    rows: list[FiguresOut]
    total: FiguresOut
    previous_total: FiguresOut  # the day before, for day-over-day changes


@router.get("/stats/resumption", response=ResumptionOut, summary="复工率、到岗率、产能恢复率（精确值）")
def get_resumption(
    request: HttpRequest, plan: int, date: datetime.date, region: str | None = None, by: str = "region"
) -> dict[str, Any]:
    if by not in reference.GROUPINGS:
        raise BadRequest(f"by 只能是 {'、'.join(reference.GROUPINGS)}，不能是“{by}”")
    the_plan = access_object(Plan.objects.select_related("owner_region"), request.user, pk=plan)
    check_day(date)
    node = node_for(request.user, the_plan, region)
    previous_day = date - datetime.timedelta(days=1)
    if by == "region":  # both days from the roll-ups in one read
        both = reads.resumption_days(the_plan, [date, previous_day], node, request.user)
        result, previous = both[date], both[previous_day].total
    else:
        result = reads.resumption(the_plan, date, node, by, request.user)
        previous = reads.total(the_plan, previous_day, node, request.user)
    return {
        "plan": the_plan.pk,
        "date": date,
        "region": node.code,
        "by": by,
        "rows": [row.as_dict() for row in result.rows],
        "total": result.total.as_dict(),
        "previous_total": previous.as_dict(),
    }
