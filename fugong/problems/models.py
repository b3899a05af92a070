"""Problems enterprises raise (诉求), tracked as work orders to closure, 12345-hotline style.

A problem has one status (see `flow.py` for how it moves), a lead unit (主办) and any number of
supporting units (协办) with their own due dates, and an owner — the unit that first received it
(首接负责) — who answers for it until the lead unit signs for it. Every move is an immutable
event. Clocks run on the government working-day calendar (`clocks.py`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from fugong.core.access import RestrictedQuerySet, Scope


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"


class Status(models.TextChoices):
    PENDING = "pending", "待受理"
    DISPATCHED = "dispatched", "已派单（待签收）"
    HANDLING = "handling", "办理中"
    REPLIED = "replied", "已答复"
    RATING = "rating", "待评价"
    CLOSED = "closed", "已办结"
    MERGED = "merged", "已并单"


OPEN_STATUSES = (Status.PENDING, Status.DISPATCHED, Status.HANDLING, Status.REPLIED, Status.RATING)


class Source(models.TextChoices):
    REPORT = "report", "日报突出问题"
    ENTERPRISE = "enterprise", "企业自行提交"
    LIAISON = "liaison", "联络员代报"
    PHONE = "phone", "电话受理"
    VISIT = "visit", "走访受理"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Category(models.Model):
    """A problem category from the seeds (防疫物资短缺, 物流运输不畅, …), with its time limits.

    Normal problems count working days; urgent ones clock hours (they do not wait for Monday).
    """

    name = models.CharField("名称", max_length=30, unique=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)
    active = models.BooleanField("启用", default=True)
    sign_workdays = models.DecimalField("签收时限（工作日）", max_digits=4, decimal_places=1, default=1)
    respond_workdays = models.DecimalField(
        "首次响应时限（工作日）", max_digits=4, decimal_places=1, default=2
    )
    close_workdays = models.DecimalField("办结时限（工作日）", max_digits=4, decimal_places=1, default=5)
    urgent_sign_hours = models.PositiveSmallIntegerField("紧急签收时限（小时）", default=2)
    urgent_respond_hours = models.PositiveSmallIntegerField("紧急首次响应时限（小时）", default=8)
    urgent_close_hours = models.PositiveSmallIntegerField("紧急办结时限（小时）", default=24)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = verbose_name_plural = "诉求类别"

    def __str__(self) -> str:
        return self.name


class ProblemQuerySet(RestrictedQuerySet["Problem"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        """Dispatchers and leaders: their subtree; enterprises and liaisons: their enterprises;
        handlers: what is dispatched to their department (as lead or support), not the region."""
        grant = scope.grant(action)
        q = Q(pk__in=[])
        for path in grant.paths:
            if len(path) > 2 and path not in scope.department_only_paths:
                q |= Q(enterprise__region__path__startswith=path) | Q(level_region__path__startswith=path)
        q |= Q(enterprise_id__in=grant.enterprise_ids)
        if scope.department_ids:
            q |= Q(lead_department_id__in=scope.department_ids)
            # A subquery, not a join: a join repeats a problem per assisting department, and the
            # DISTINCT that would undo it cannot be combined with SELECT … FOR UPDATE on
            # PostgreSQL (do_transition locks the row it reads through this queryset).
            assisted = Assist.objects.filter(department_id__in=scope.department_ids).values("problem_id")
            q |= Q(pk__in=assisted)
        return q


class Problem(models.Model):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="problems"
    )
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.PROTECT)
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    title = models.CharField("标题", max_length=100)
    description = models.TextField("问题描述", max_length=4000)
    source = models.CharField("来源", max_length=12, choices=Source.choices)
    report = models.ForeignKey(
        "dispatch.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_orders"
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    received_at = models.DateTimeField("受理时间")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 首接负责: the region whose dispatchers received it answer for it until the lead unit signs;
    # escalation (提级) moves it one level up.
    level_region = models.ForeignKey("regions.Region", verbose_name="受理层级", on_delete=models.PROTECT)
    lead_department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="主办单位",
    )
    master = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged", verbose_name="并入"
    )
    sign_due_at = models.DateTimeField("签收时限", null=True, blank=True)
    respond_due_at = models.DateTimeField("首次响应时限", null=True, blank=True)
    due_at = models.DateTimeField("办结时限", null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # the close clock restarts after a redo or an escalation; yellow and red are shares of it
    close_clock_from = models.DateTimeField("办结计时起点", null=True, blank=True)
    rating_since = models.DateTimeField("待评价起始", null=True, blank=True)
    paused_at = models.DateTimeField("计时暂停于", null=True, blank=True)
    pause_reason = models.CharField(max_length=20, blank=True)  # extension | enterprise
    extension_days = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    reply = models.TextField("答复内容", blank=True)
    resolved = models.BooleanField("问题已解决", null=True, blank=True)
    rating = models.CharField("评价", max_length=12, choices=Rating.choices, blank=True)
    rating_note = models.CharField("评价意见", max_length=500, blank=True)
    returns = models.PositiveSmallIntegerField("退单次数", default=0)
    insisted = models.BooleanField("调度员坚持派单", default=False)  # after a return: no second one
    redos = models.PositiveSmallIntegerField("重办次数", default=0)
    escalations = models.PositiveSmallIntegerField("提级次数", default=0)
    sign_late = models.BooleanField(default=False)
    close_late = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = verbose_name_plural = "诉求工单"
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["enterprise", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Assist(models.Model):
    """A supporting unit (协办) with its own due date and answer."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField("协办时限")
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["problem", "department"], name="assist_once")]
        verbose_name = verbose_name_plural = "协办单位"

    def __str__(self) -> str:
        return f"{self.problem_id} {self.department_id}"


class Event(models.Model):
    """One move of a work order: who, when, what, from which status to which. Never changed."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("操作", max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField("时间")
    note = models.TextField("说明", blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = verbose_name_plural = "工单记录"

    def __str__(self) -> str:
        return f"{self.problem_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("工单记录不可修改")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Attachment(models.Model):
    """A file attached at intake or with a reply, kept in the database: an intranet install then
    backs up one thing, and the size limit keeps it small."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.name
