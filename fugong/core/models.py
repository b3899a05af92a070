"""Cross-cutting records: the audit trail every action writes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40)
    object_key = models.CharField(max_length=64)
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_key", "at"])]
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "操作记录"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_key}"
