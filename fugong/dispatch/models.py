"""Dispatch plans (调度任务), daily reports (填报) with their revisions, and period unlocks.

One report per enterprise per day serves every plan that covers the enterprise (no 多头报送).
Reports are never overwritten: every submission that changes anything adds a revision with
who, when, through which channel and on whose behalf, and the old → new values.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from fugong.core.access import Action, RestrictedQuerySet, Scope


class Cadence(models.TextChoices):
    DAILY = "daily", "每日"
    WEEKLY = "weekly", "每周"


class AttendanceBasis(models.TextChoices):
    RESUMED = "resumed", "按已复工企业计算"
    ALL = "all", "按全部纳入企业计算"


WEEKDAYS = [(0, "周一"), (1, "周二"), (2, "周三"), (3, "周四"), (4, "周五"), (5, "周六"), (6, "周日")]


def default_reminder_times() -> list[str]:
    return ["14:00", "15:30"]


class PlanQuerySet(RestrictedQuerySet["Plan"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        if action == Action.VIEW:
            # Plans owned anywhere one can see — one's subtree, the regions above it, and the
            # regions of the enterprises one reports for (their province's and city's plans).
            from fugong.regions.models import Region

            visible_regions = Region.objects.filter(Region.objects.all().scope_q(scope, action))
            return Q(owner_region__in=visible_regions.values("code"))
        return scope.region_q(action, "owner_region__path")


class Plan(models.Model):
    """Who must report, how often and by when, owned by a department of a region."""

    title = models.CharField("名称", max_length=100)
    owner_region = models.ForeignKey("regions.Region", verbose_name="发起区划", on_delete=models.PROTECT)
    owner_department = models.ForeignKey(
        "accounts.Department", verbose_name="牵头部门", null=True, blank=True, on_delete=models.PROTECT
    )
    cadence = models.CharField("频次", max_length=10, choices=Cadence.choices, default=Cadence.DAILY)
    deadline_time = models.TimeField("截止时间", default=datetime.time(16, 0))
    deadline_weekday = models.PositiveSmallIntegerField("每周截止日", choices=WEEKDAYS, default=4)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    report_on_rest_days = models.BooleanField("周末和法定节假日也需填报", default=False)
    attendance_basis = models.CharField(
        "日报采用的到岗率口径",
        max_length=10,
        choices=AttendanceBasis.choices,
        default=AttendanceBasis.RESUMED,
    )
    # a week by default, so that old days' figures do not change quietly; null never locks
    lock_after_days = models.PositiveSmallIntegerField("几天后锁定（空为不锁定）", null=True, blank=True, default=7)
    selector = models.JSONField("纳入范围", default=dict, blank=True)
    extra_fields = models.JSONField("附加填报项", default=list, blank=True)
    # local times ("14:00") on a reporting day at which enterprises that have not reported are reminded
    reminder_times = models.JSONField("提醒时间", default=default_reminder_times, blank=True)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-active", "title"]
        verbose_name = verbose_name_plural = "调度任务"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="plan_date_range",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def runs_on(self, day: datetime.date) -> bool:
        return self.active and self.start_date <= day and (self.end_date is None or day <= self.end_date)


class ReportQuerySet(RestrictedQuerySet["Report"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        return scope.region_q(action, "enterprise__region__path") | Q(
            enterprise_id__in=scope.grant(action).enterprise_ids
        )


class Report(models.Model):
    """One enterprise's status for one day: its current values, with revisions behind them."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="reports")
    date = models.DateField("日期")
    resumed = models.BooleanField("是否开复工")
    resumed_on = models.DateField("复工日期", null=True, blank=True)
    baseline_headcount = models.PositiveIntegerField("在册员工")
    reported_back = models.PositiveIntegerField("报到人数")
    isolated = models.PositiveIntegerField("报到后隔离")
    on_duty = models.PositiveIntegerField("实际上岗")
    capacity_pct = models.DecimalField(
        "实际产能恢复比例(%)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    measures = models.JSONField("防疫措施落实", default=list, blank=True)
    problems = models.TextField("开工后突出问题", blank=True)
    problem_tags = models.JSONField("问题类别", default=list, blank=True)
    suggestions = models.TextField("政策建议", blank=True)
    extra = models.JSONField("附加填报项", default=dict, blank=True)
    received_at = models.DateTimeField("首次报送时间")
    updated_at = models.DateTimeField("最近修改时间")
    revision_count = models.PositiveIntegerField(default=1)
    # While the report's 在册员工 is far from the accepted baseline and awaits the county (a
    # BaselineChange), the figures count this accepted one instead; null: the report's own.
    counted_baseline = models.PositiveIntegerField("计入统计的在册员工", null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        verbose_name = verbose_name_plural = "企业日报"
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "date"], name="one_report_per_enterprise_day")
        ]
        indexes = [models.Index(fields=["date", "enterprise"])]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.date}"

    def values(self) -> dict[str, Any]:
        from fugong.dispatch.reports.fields import REPORT_FIELDS

        return {name: getattr(self, name) for name in REPORT_FIELDS}


class ReportRevision(models.Model):
    """One accepted submission: who, when, how, for whom, and what it changed."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField("版本")
    at = models.DateTimeField("时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField("渠道", max_length=10)
    on_behalf = models.BooleanField("代报", default=False)
    client_id = models.CharField(max_length=80, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)
    data = models.JSONField("提交后的值", default=dict)
    changes = models.JSONField("变更", default=dict, blank=True)
    confirmed = models.JSONField("已确认的提示", default=list, blank=True)
    # a change to a day older than yesterday: flagged to the county, shown on the report and
    # counted in the figures' footnote (see dispatch/corrections.py)
    correction = models.BooleanField("更正以往日期", default=False, db_default=False)

    class Meta:
        ordering = ["report", "number"]
        verbose_name = verbose_name_plural = "填报修改记录"
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="revision_number_unique"),
            models.UniqueConstraint(
                fields=["enterprise", "client_id"],
                condition=~Q(client_id=""),
                name="revision_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} #{self.number}"


class PeriodUnlock(models.Model):
    """A dispatcher's permission to change one enterprise's locked period, with the reason."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="unlocks")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    date = models.DateField("日期")
    reason = models.CharField("理由", max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "解锁记录"
        constraints = [models.UniqueConstraint(fields=["plan", "enterprise", "date"], name="unlock_unique")]

    def __str__(self) -> str:
        return f"{self.plan} {self.enterprise} {self.date}"


class RollupDay(models.Model):
    """Marks that the roll-up rows of one plan-day are complete (built, then kept up to date)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    built_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "date"], name="rollup_day_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.date}"


class Rollup(models.Model):
    """The figures' sums for one plan, day and region node (its whole subtree), in total and
    per sector, tier and industry section.

    Built once per plan-day from the reports, then adjusted by each submission's delta, so that
    reading a province's figures costs a few rows whatever the number of enterprises.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    # "" for the node's totals; else a breakdown ("sector", "tier", "industry") and its group key
    dimension = models.CharField(max_length=16, default="", blank=True)
    member = models.CharField(max_length=64, default="", blank=True)
    enterprises = models.IntegerField(default=0)
    resumed = models.IntegerField(default=0)
    baseline_headcount = models.BigIntegerField(default=0)
    baseline_headcount_resumed = models.BigIntegerField(default=0)
    reported_back = models.BigIntegerField(default=0)
    isolated = models.BigIntegerField(default=0)
    on_duty = models.BigIntegerField(default=0)
    on_duty_resumed = models.BigIntegerField(default=0)
    capacity_weighted = models.DecimalField(max_digits=28, decimal_places=6, default=0)
    capacity_weight = models.DecimalField(max_digits=24, decimal_places=2, default=0)
    stale = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "date", "region", "dimension", "member"], name="rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.date} {self.region_id} {self.dimension} {self.member}".rstrip()


class BaselineChangeQuerySet(RestrictedQuerySet["BaselineChange"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        return scope.region_q(action, "enterprise__region__path")


class BaselineChange(models.Model):
    """A report's 在册员工 far from the accepted baseline, flagged to the county: the figures keep
    the accepted baseline until a dispatcher of the enterprise's region accepts the new one
    (which then becomes the registry's). See docs/metrics.md, "在册员工的变动"."""

    class State(models.TextChoices):
        PENDING = "pending", "待确认"
        ACCEPTED = "accepted", "已采用"
        REJECTED = "rejected", "未采用"
        WITHDRAWN = "withdrawn", "企业已改回"

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    date = models.DateField("填报日期")
    previous = models.PositiveIntegerField("原在册员工")
    proposed = models.PositiveIntegerField("填报的在册员工")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField("填报时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)

    objects = BaselineChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        verbose_name = verbose_name_plural = "在册员工变动"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(state="pending"), name="one_pending_baseline_change"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.previous}→{self.proposed}"
