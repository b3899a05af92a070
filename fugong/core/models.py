"""Cross-cutting records: the audit trail every action writes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from fugong.core.access import RestrictedQuerySet, Scope


class Channel(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"
    EXCEL = "excel", "表格导入"
    CLI = "cli", "命令行"
    JOB = "job", "后台任务"
    ADMIN = "admin", "管理后台"


class AuditEvent(models.Model):
    """One state change made by an action: who, when, through which channel, old → new.

    Written in the same transaction as the change itself, so history and data never disagree.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    action = models.CharField("操作", max_length=60)  # shown through audit.ACTION_LABELS
    object_type = models.CharField("对象类型", max_length=40)
    object_key = models.CharField("对象编号", max_length=64)
    changes = models.JSONField("变更内容", default=dict, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_key", "at"])]
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "操作记录"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action_label} {self.object_type}:{self.object_key}"

    @property
    def action_label(self) -> str:
        """The action in Chinese (提醒, 解锁填报 …), as every page that shows history says it."""
        from fugong.core.audit import action_label  # audit imports this module

        return action_label(self.action)


class JobQuerySet(RestrictedQuerySet["Job"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        return Q(created_by_id=scope.user_id) if scope.user_id else Q(pk__in=[])


class Job(models.Model):
    """Long work (a big import, later reminders and roll-overs) done by `run_jobs` workers.

    A worker claims one queued job at a time (SKIP LOCKED on PostgreSQL, a conditional UPDATE
    elsewhere), so any number of workers can run. Progress is written as it goes so that the
    page that started the job can show a progress bar.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=40)
    title = models.CharField("名称", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    run_after = models.DateTimeField("计划开始", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    worker = models.CharField("执行进程", max_length=80, blank=True)
    progress_done = models.PositiveIntegerField("已完成", default=0)
    progress_total = models.PositiveIntegerField("总数", default=0)
    payload = models.JSONField("参数", default=dict, blank=True)
    data = models.BinaryField("上传文件", null=True, blank=True)  # cleared when the job ends
    result = models.JSONField("结果", default=dict, blank=True)
    # a file the job made for its user to download (an import's sheet with a result column)
    result_file = models.BinaryField("结果文件", null=True, blank=True)
    result_filename = models.CharField("结果文件名", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status", "run_after"])]
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "后台任务"

    def __str__(self) -> str:
        return f"{self.title or self.kind} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class CalendarOverride(models.Model):
    """An admin's word on one day, taking precedence over the chinese-calendar package.

    The package knows statutory holidays and 调休 only up to 2026; for later years the State
    Council's schedule is entered here (rest days and make-up working days).
    """

    date = models.DateField("日期", unique=True)
    is_working_day = models.BooleanField("是否工作日")
    note = models.CharField("说明", max_length=60, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = verbose_name_plural = "节假日调整"

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_working_day else '休息'} {self.note}"


class Throttle(models.Model):
    """Failures counted for one key of one scope (a user name, an address), for core.throttle.

    One row per key, changed by single conditional UPDATEs so that several workers share it.
    """

    scope = models.CharField("范围", max_length=40)
    key = models.CharField("对象", max_length=200)
    failures = models.PositiveIntegerField("失败次数", default=0)
    wait_until = models.DateTimeField("需等待至", null=True, blank=True)
    last_failure_at = models.DateTimeField("最近失败", default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="throttle_one_row_per_key")]
        indexes = [models.Index(fields=["scope", "last_failure_at"])]
        ordering = ["-last_failure_at"]
        verbose_name = verbose_name_plural = "失败次数限制"

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}（失败{self.failures}次）"
