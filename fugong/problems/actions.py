"""The only code that changes problems: intake (`check_create_problem`) and every move of the
work order (`do_transition`), each writing its immutable event in the same transaction."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from fugong.accounts.models import Department
from fugong.core import cells
from fugong.core.access import Action, access_object, is_own_enterprise, may_dispatch_at, own_department_ids
from fugong.core.errors import Conflict, ErrorItem, Forbidden, ValidationFailed
from fugong.dispatch.models import Report
from fugong.enterprises.models import Enterprise
from fugong.problems import clocks, flow
from fugong.problems.models import (
    OPEN_STATUSES,
    Assist,
    Category,
    Event,
    Problem,
    Rating,
    Source,
    Status,
    Urgency,
)
from fugong.problems.notices import tell_next
from fugong.problems.similar import similar
from fugong.regions.models import Level, Region

MAX_BACKDATE = datetime.timedelta(days=30)
MAX_EXTENSION_DAYS = Decimal(20)
RECEIVED = "受理时间"


class DuplicateSuspected(ValidationFailed):
    code = "confirmation_required"


def receiving_level(enterprise: Enterprise) -> Region:
    """The region whose dispatchers first answer for an enterprise's problem: its county (or
    the zone it reports to), never a town."""
    region = enterprise.region
    if region.level != Level.TOWN or region.parent_id is None:
        return region
    return Region.objects.get(code=region.parent_id)


def check_create_problem(
    user: Any, enterprise: Enterprise, raw: dict[str, Any], *, now: datetime.datetime | None = None
) -> Problem:
    """Intake from the enterprise, its liaison, or staff who took it by phone or on a visit.
    `enterprise` must come from access_object(..., Action.REPORT) or (staff) Action.CHANGE."""
    now = now or timezone.now()
    errors: list[ErrorItem] = []
    category = Category.objects.filter(active=True, name=str(raw.get("category") or "").strip()).first()
    if category is None:
        names = "、".join(Category.objects.filter(active=True).values_list("name", flat=True))
        errors.append(ErrorItem(f"请选择问题类别（{names}）", "required", "category", "问题类别"))
    urgency = raw.get("urgency") or Urgency.NORMAL
    if urgency not in Urgency.values:
        errors.append(ErrorItem("紧急程度只能是“一般”（normal）或“紧急”（urgent）", field="urgency", label="紧急程度"))
    title = text(raw.get("title"), 100, "title", "标题", errors, required=True)
    description = text(raw.get("description"), 4000, "description", "问题描述", errors, required=True)
    staff = may_dispatch_at(user, enterprise.region.path)
    own = Source.ENTERPRISE if is_own_enterprise(user, enterprise.pk) else Source.LIAISON
    source = raw.get("source") or (Source.PHONE if staff else own)
    if source not in Source.values:
        errors.append(ErrorItem(f"来源只能是 {'、'.join(Source.values)}", field="source", label="来源"))
    elif source in (Source.PHONE, Source.VISIT) and not staff:
        source = own  # only staff take problems by phone or on a visit
    elif source == Source.REPORT and not raw.get("report"):
        errors.append(ErrorItem("来源为“日报突出问题”时请指明是哪一天的日报", "required", "report", "日报"))
    report_id = raw.get("report") or None
    if report_id and not Report.objects.filter(pk=report_id, enterprise=enterprise).exists():
        errors.append(ErrorItem("所引用的日报不是该企业的，请从该企业的日报页面转为诉求", field="report", label="日报"))
    received_at = now
    if raw.get("received_at"):
        if not staff:
            errors.append(ErrorItem("只有调度员可以补录此前电话、走访受理的诉求时间", field="received_at", label=RECEIVED))
        else:
            received_at = parse_moment(raw["received_at"], errors)
            if received_at > now or received_at < now - MAX_BACKDATE:
                errors.append(ErrorItem(f"受理时间应在最近{MAX_BACKDATE.days}天内，且不晚于现在", field="received_at", label=RECEIVED))
    if errors:
        raise ValidationFailed.of(errors)
    assert category is not None
    duplicates = [
        p
        for p in Problem.objects.filter(enterprise=enterprise, status__in=OPEN_STATUSES)
        if similar(p.title + p.description, (title or "") + (description or ""))
    ]
    if duplicates and "duplicate" not in (raw.get("confirm") or []):
        listed = "、".join(f"#{p.pk}“{p.title}”（{p.get_status_display()}）" for p in duplicates[:3])
        message = f"该企业已有相似的未办结诉求：{listed}。如确属新问题，请确认后再提交"
        raise DuplicateSuspected(
            message,
            # the similar problems' ids are data about the conflict, not a second item shape
            details={"warnings": [ErrorItem(message, "duplicate")], "duplicates": [p.pk for p in duplicates]},
        )
    with transaction.atomic():
        problem = Problem.objects.create(
            enterprise=enterprise,
            category=category,
            urgency=urgency,
            title=title,
            description=description,
            source=source,
            report_id=report_id,
            received_at=received_at,
            received_by=user if getattr(user, "pk", None) else None,
            level_region=receiving_level(enterprise),
            close_clock_from=received_at,
            respond_due_at=clocks.due(received_at, urgency, clocks.limit(category, urgency, "respond")),
            due_at=clocks.due(received_at, urgency, clocks.limit(category, urgency, "close")),
        )
        record(problem, user, "create", "", Status.PENDING, now, "", {"source": source})
    return problem


def text(
    value: Any, length: int, field: str, label: str, errors: list[ErrorItem], *, required: bool = False
) -> str:
    try:
        cleaned = cells.clean_text(value, max_length=length) or ""
    except cells.CellError as exc:
        errors.append(ErrorItem(f"{label}：{exc}", field=field, label=label))
        return ""
    if required and not cleaned:
        errors.append(ErrorItem(f"请填写{label}", "required", field, label))
    return cleaned


def parse_moment(value: Any, errors: list[ErrorItem]) -> datetime.datetime:
    moment = value if isinstance(value, datetime.datetime) else None
    if moment is None:
        try:
            moment = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            errors.append(ErrorItem(f"受理时间“{value}”无法识别，请写成 2020-02-17 09:30", field="received_at", label=RECEIVED))
            return timezone.now()
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def record(
    problem: Problem,
    user: Any,
    action: str,
    before: str,
    after: str,
    now: datetime.datetime,
    note: str,
    data: dict[str, Any] | None = None,
) -> Event:
    return Event.objects.create(
        problem=problem,
        action=action,
        from_status=before,
        to_status=after,
        actor=user if getattr(user, "pk", None) else None,
        at=now,
        note=note,
        data=data or {},
    )


def do_transition(
    user: Any, problem_id: int, action: str, params: dict[str, Any], *, now: datetime.datetime | None = None
) -> Problem:
    """One move of the work order; illegal moves are a 409 listing the allowed ones."""
    now = now or timezone.now()
    with transaction.atomic():
        problem = access_object(
            Problem.objects.select_for_update().select_related(
                "category", "level_region", "enterprise__region"
            ),
            user,
            pk=problem_id,
        )
        move = flow.MOVES.get(action)
        permitted = flow.allowed(user, problem, now)
        if move is None or action not in permitted:
            raise Conflict(
                flow.refusal(user, problem, action, now),
                details={"allowed": permitted, "status": problem.status},
            )
        note = str(params.get("note") or "").strip()
        if move.note_required and not note:
            raise ValidationFailed(f"“{move.label}”需要填写说明（理由或内容）")
        if len(note) > 4000:
            raise ValidationFailed("说明最多4000字")
        before = problem.status
        data = APPLY[action](user, problem, params, note, now) or {}
        problem.save()
        record(problem, user, action, before, problem.status, now, note, data)
        tell_next(user, problem, action, before, note, now)
        if action == "reply":
            follow_master(user, problem, note, now)
    return problem


def pause(problem: Problem, reason: str, now: datetime.datetime) -> None:
    problem.paused_at, problem.pause_reason = now, reason


def resume(problem: Problem, now: datetime.datetime) -> datetime.timedelta:
    """Moves the running deadlines on by the paused time (working time for normal problems)."""
    assert problem.paused_at is not None
    lasted = clocks.elapsed(problem.paused_at, now, problem.urgency)
    problem.due_at = clocks.shift(problem.due_at, problem.urgency, lasted)
    if problem.first_response_at is None:
        problem.respond_due_at = clocks.shift(problem.respond_due_at, problem.urgency, lasted)
    problem.paused_at, problem.pause_reason = None, ""
    return lasted


def department_in(user: Any, problem: Problem, value: Any, label: str) -> Department:
    """A department the dispatcher may send work to: in their own subtree."""
    try:
        department_id = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"请选择{label}") from None
    department = Department.objects.select_related("region").filter(pk=department_id, active=True).first()
    if department is None or not may_dispatch_at(user, department.region.path):
        raise ValidationFailed(f"{label}不存在或不在您的管辖范围内")
    return department


def apply_dispatch(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    lead = department_in(user, p, params.get("department"), "主办单位")
    insist = bool(params.get("insist")) and p.returns > 0  # after a return: no second one
    assists = [department_in(user, p, d, "协办单位") for d in params.get("assists") or []]
    p.lead_department, p.status, p.dispatched_at, p.insisted = lead, Status.DISPATCHED, now, insist
    p.sign_due_at = clocks.due(now, p.urgency, clocks.limit(p.category, p.urgency, "sign"))
    assist_due = p.due_at or now  # by default the supporting units answer by the lead's deadline
    if params.get("assist_days") not in (None, ""):
        days = working_days_param(params["assist_days"], "协办时限")
        assist_due = clocks.due(now, Urgency.NORMAL, datetime.timedelta(seconds=int(days * 86400)))
    for department in assists:
        if department.pk != lead.pk:
            Assist.objects.update_or_create(problem=p, department=department, defaults={"due_at": assist_due})
    return {"department": lead.pk, "assists": [d.pk for d in assists], "insist": insist}


def working_days_param(value: Any, label: str) -> Decimal:
    try:
        days = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{label}请填工作日天数，如 3") from None
    if not days.is_finite() or not Decimal(0) < days <= MAX_EXTENSION_DAYS:
        raise ValidationFailed(f"{label}应在0到{MAX_EXTENSION_DAYS}个工作日之间")
    return days


def apply_sign(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    p.status, p.signed_at = Status.HANDLING, now
    p.sign_late = bool(p.sign_due_at and now > p.sign_due_at)
    return {"late": p.sign_late}


def apply_return(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    department = p.lead_department_id
    p.status, p.returns, p.lead_department, p.sign_due_at = Status.PENDING, p.returns + 1, None, None
    return {"department": department}


def apply_contact(user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime) -> None:
    if p.first_response_at is None:
        p.first_response_at = now


def apply_request_info(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> None:
    apply_contact(user, p, params, note, now)
    pause(p, "enterprise", now)


def apply_provide_info(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    return {"paused_seconds": int(resume(p, now).total_seconds())}


def apply_request_extension(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    try:
        days = Decimal(str(params.get("days")))
    except InvalidOperation:
        raise ValidationFailed("请填写延期天数（工作日，如 3）") from None
    # "NaN" parses, and comparing it raises: refuse it (and infinities) before comparing
    if not days.is_finite() or not Decimal(0) < days <= MAX_EXTENSION_DAYS:
        raise ValidationFailed(f"延期天数应在0到{MAX_EXTENSION_DAYS}个工作日之间")
    p.extension_days = days
    pause(p, "extension", now)
    return {"days": str(days)}


def apply_approve_extension(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    days = p.extension_days or Decimal(0)
    resume(p, now)
    length = datetime.timedelta(seconds=int(days * 86400))
    p.due_at = clocks.shift(p.due_at, Urgency.NORMAL, length)  # an extension is in working days
    return {"days": str(days), "due_at": p.due_at.isoformat() if p.due_at else None}


def apply_refuse_extension(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> None:
    resume(p, now)
    p.extension_days = None


def apply_assist_answer(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    departments = own_department_ids(user)
    answered = []
    for assist in p.assists.all():
        if assist.department_id in departments:
            assist.answer, assist.answered_at = note, now
            assist.save()
            answered.append(assist.department_id)
    return {"departments": answered}


def apply_reply(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    p.status, p.reply, p.replied_at = Status.REPLIED, note, now
    if p.first_response_at is None:
        p.first_response_at = now
    p.close_late = bool(p.due_at and now > p.due_at)
    return {"late": p.close_late}


def apply_review(user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime) -> None:
    p.status, p.rating_since = Status.RATING, now


def apply_reject_reply(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> None:
    p.status = Status.HANDLING


def apply_rate(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    rating = params.get("rating")
    if rating not in Rating.values:
        raise ValidationFailed("请选择评价：满意、基本满意或不满意")
    try:
        resolved = cells.parse_bool(params.get("resolved"))
    except cells.CellError:
        raise ValidationFailed("“问题是否解决”请填“是”或“否”") from None
    p.rating, p.rating_note, p.resolved = rating, note[:500], resolved
    if rating != Rating.UNSATISFIED:
        p.status, p.closed_at = Status.CLOSED, now
        return {"rating": rating, "resolved": resolved}
    p.redos += 1
    if p.redos > flow.MAX_REDOS:
        reached, p.redos = p.redos, 0  # the next level gets its own redos (the event keeps the count)
        if p.level_region.parent_id is None:
            # Nobody is above the top level: its dispatchers get it back (to send to a 工作专班)
            # rather than the enterprise's rating being refused and lost.
            back_to_dispatchers(p, now)
        else:
            escalate(p, now)
        return {"rating": rating, "redo": reached, "escalated_to": p.level_region_id}
    p.status, p.replied_at, p.close_clock_from = Status.HANDLING, None, now
    p.due_at = clocks.due(now, p.urgency, clocks.limit(p.category, p.urgency, "close"))
    return {"rating": rating, "redo": p.redos}


def apply_close(user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime) -> None:
    p.status, p.closed_at = Status.CLOSED, now


def escalate(p: Problem, now: datetime.datetime) -> None:
    if p.level_region.parent_id is None:
        raise ValidationFailed("已是最高层级，无法再提级；请派给工作专班办理")
    p.level_region = Region.objects.get(code=p.level_region.parent_id)
    p.escalations += 1
    back_to_dispatchers(p, now)


def back_to_dispatchers(p: Problem, now: datetime.datetime) -> None:
    """Pending again at its level: no lead unit, no pause, a fresh close limit."""
    p.status = Status.PENDING
    p.lead_department, p.sign_due_at, p.insisted, p.paused_at, p.pause_reason = None, None, False, None, ""
    p.due_at = clocks.due(now, p.urgency, clocks.limit(p.category, p.urgency, "close"))
    p.close_clock_from = now


def apply_escalate(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    """Up one level, or (at any level) straight to a task force (工作专班) department."""
    if params.get("department"):
        task_force = department_in(user, p, params["department"], "工作专班")
        if p.paused_at is not None:
            resume(p, now)  # a pause belongs to the unit that asked for it, not the task force
        p.escalations += 1
        p.close_clock_from = now  # the task force gets a full close limit of its own
        p.due_at = clocks.due(now, p.urgency, clocks.limit(p.category, p.urgency, "close"))
        apply_dispatch(user, p, {"department": task_force.pk}, note, now)
        return {"department": task_force.pk}
    escalate(p, now)
    return {"to": p.level_region_id}


def apply_notice(user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime) -> None:
    """督办 and 催办 change nothing but the record (and tell the handlers, see notices.py)."""


def apply_merge(
    user: Any, p: Problem, params: dict[str, Any], note: str, now: datetime.datetime
) -> dict[str, Any]:
    try:
        master_id = int(params.get("master") or 0)
    except (TypeError, ValueError):
        master_id = 0
    master = Problem.objects.visible_to(user, Action.CHANGE).filter(pk=master_id).first()
    # The master must not have replied yet: its reply reaches the merged ones only when it is
    # given (follow_master), so a master already answered would leave them waiting for ever.
    unreplied = (Status.PENDING, Status.DISPATCHED, Status.HANDLING)
    if master is None or master.pk == p.pk or master.status not in unreplied or master.master_id:
        raise ValidationFailed("请填写要并入的主单编号（一件尚未答复、您可调度的诉求）")
    if not may_dispatch_at(user, master.level_region.path):
        raise Forbidden("主单不在您的调度层级，不能并入")
    if p.merged.exists():  # its own merged ones would follow a problem that never replies
        raise ValidationFailed(f"已有诉求并入本单，本单不能再并入其他工单；请把#{master.pk}并入本单")
    if p.paused_at is not None:
        resume(p, now)  # the master's clock answers for it now
    p.master, p.status = master, Status.MERGED
    return {"master": master.pk}


def follow_master(user: Any, master: Problem, reply: str, now: datetime.datetime) -> None:
    """A master's answer goes to each merged problem, which each enterprise then rates itself."""
    for child in master.merged.filter(status=Status.MERGED):
        child.status, child.reply, child.replied_at = Status.REPLIED, reply, now
        child.first_response_at = child.first_response_at or now
        child.save()
        record(child, user, "reply", Status.MERGED, Status.REPLIED, now, reply, {"from_master": master.pk})


APPLY: dict[str, Any] = {
    "dispatch": apply_dispatch,
    "sign": apply_sign,
    "return": apply_return,
    "contact": apply_contact,
    "request_info": apply_request_info,
    "provide_info": apply_provide_info,
    "request_extension": apply_request_extension,
    "approve_extension": apply_approve_extension,
    "refuse_extension": apply_refuse_extension,
    "assist_answer": apply_assist_answer,
    "reply": apply_reply,
    "review": apply_review,
    "reject_reply": apply_reject_reply,
    "rate": apply_rate,
    "close": apply_close,
    "escalate": apply_escalate,
    "supervise": apply_notice,
    "urge": apply_notice,
    "merge": apply_merge,
}
