"""Notifications: the in-app inbox, and an outbox of deliveries through external channels.

A notice is written in the same transaction as its cause: one `Notification` per user (the
inbox, with its unread badge) and one `Delivery` per external channel it must also go through
(the user's SMS or e-mail, a group robot's webhook). `run_jobs` delivers the outbox with retries
and backoff. Scheduled notices (reminders, SLA warnings) are claimed once per key in `Claim`, so
that two runners at once never send the same one twice.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class Topic(models.TextChoices):
    REMINDER = "reminder", "填报提醒"
    SUMMARY = "summary", "填报进度"
    MISSING = "missing", "截止未报名单"
    SLA = "sla", "办理时限预警"
    PROBLEM = "problem", "诉求办理进展"
    MANUAL = "manual", "调度员催报"


# Outbox rows only, never a topic a person or a robot subscribes to: the SMS sign-in code
# (accounts.sms_sign_in), sent at once through delivery.send_now and never kept in clear.
SIGN_IN = "signin"
DELIVERY_TOPICS = [*Topic.choices, (SIGN_IN, "登录验证码")]


class Notification(models.Model):
    """A message to one user, e.g. a reminder to report before the deadline."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="收件人", on_delete=models.CASCADE, related_name="notifications"
    )
    topic = models.CharField("类别", max_length=10, choices=Topic.choices, default=Topic.MANUAL)
    # set for scheduled notices: the same key never reaches the same user twice
    key = models.CharField("去重键", max_length=120, blank=True)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=200, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发送人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("发送时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    # a reminder whose every enterprise has reported since: shown as 已报送, and read
    done_at = models.DateTimeField("已报送", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], condition=~Q(key=""), name="notification_once")
        ]
        verbose_name = verbose_name_plural = "站内消息"

    def __str__(self) -> str:
        return self.title


class AwaitedReport(models.Model):
    """One enterprise a reminder (manual or automatic) asks to report, for one plan's period.

    The board reads the latest of these to show "已提醒 14:05", a dispatcher's second click reads
    them to hold back a repeat, and a report arriving marks them done (and the notice, once all
    its enterprises have reported). Plain ids, not foreign keys: notify imports no other app."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)  # the notification's key: (user, key) is the notice
    enterprise_id = models.BigIntegerField()
    plan_id = models.BigIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    manual = models.BooleanField(default=False)  # a dispatcher's 提醒, not a scheduled round
    sent_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["enterprise_id", "period_start"], name="awaited_open"),
            models.Index(fields=["plan_id", "period_start", "enterprise_id"], name="awaited_plan"),
            models.Index(fields=["key"], name="awaited_key"),
        ]
        verbose_name = verbose_name_plural = "待报送提醒"

    def __str__(self) -> str:
        return f"{self.key}·{self.enterprise_id}"


class Channel(models.Model):
    """An external way out: the mail server, an SMS gateway, or one WeCom/DingTalk group robot.

    E-mail and SMS carry personal notices (to a user's address or phone, as the user's
    preferences say). A group robot carries the notices of its region (progress summaries,
    missing lists) or of its department (SLA warnings), for the topics it is set up for.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", "电子邮件"
        SMS = "sms", "短信网关"
        WECOM = "wecom", "企业微信群机器人"
        DINGTALK = "dingtalk", "钉钉群机器人"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=60)
    url = models.URLField("接口地址（Webhook）", max_length=500, blank=True)
    secret = models.CharField(
        "密钥", max_length=200, blank=True, help_text="钉钉“加签”密钥，或短信网关的访问令牌"
    )
    sender = models.CharField("发件人", max_length=100, blank=True, help_text="电子邮件的发件地址")
    region = models.ForeignKey(
        "regions.Region", verbose_name="区划", null=True, blank=True, on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        "accounts.Department", verbose_name="部门", null=True, blank=True, on_delete=models.CASCADE
    )
    topics = models.JSONField("推送的消息类别", default=list, blank=True)
    per_minute = models.PositiveSmallIntegerField(
        "每分钟最多发送", default=20, help_text="企业微信、钉钉群机器人每分钟最多 20 条"
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "外部通知渠道"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}·{self.name}"

    @property
    def personal(self) -> bool:
        return self.kind in (self.Kind.EMAIL, self.Kind.SMS)

    def clean(self) -> None:
        """What each kind needs, said the way an administrator setting it up can act on."""
        errors: dict[str, str] = {}
        if self.kind != self.Kind.EMAIL and not self.url:
            errors["url"] = (
                f"{self.get_kind_display()}需要填写接口地址（Webhook），可在群设置的“群机器人”中复制"
            )
        if self.personal and (self.region_id or self.department_id):
            errors["region"] = "短信和邮件按个人发送，不需要选择区划或部门；群机器人才按区划或部门推送"
        if not self.personal and not (self.region_id or self.department_id):
            errors["region"] = "请为群机器人选择区划（推送填报进度）或部门（推送办理时限预警）"
        if not self.personal and self.region_id and self.department_id:
            errors["department"] = "区划和部门只选一个：一个群机器人推送一个区划或一个部门的消息"
        wrong = [t for t in self.topics or [] if t not in Topic.values]
        if wrong or not isinstance(self.topics, list):
            errors["topics"] = f'消息类别只能是 {"、".join(Topic.values)} 的列表，如 ["summary", "sla"]'
        elif not self.personal and not self.topics:
            errors["topics"] = '请填写群机器人推送的消息类别，如 ["summary", "missing"] 或 ["sla"]'
        if errors:
            raise ValidationError(errors)


class Preference(models.Model):
    """One user's say on external notices: which topics by SMS or e-mail, and quiet hours
    (personal SMS and e-mail wait until the quiet hours end; the in-app inbox is never quiet)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sms_topics = models.JSONField("短信接收的类别", default=list, blank=True)
    email_topics = models.JSONField("邮件接收的类别", default=list, blank=True)
    quiet_from = models.TimeField("免打扰开始", null=True, blank=True)
    quiet_to = models.TimeField("免打扰结束", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知偏好"

    def __str__(self) -> str:
        return f"通知偏好·{self.user}"

    def quiet_until(self, local: datetime.datetime) -> datetime.datetime | None:
        """The local moment quiet hours end if `local` falls inside them, else None."""
        if self.quiet_from is None or self.quiet_to is None or self.quiet_from == self.quiet_to:
            return None
        now = local.time()
        if self.quiet_from < self.quiet_to:  # e.g. 12:00–14:00
            inside = self.quiet_from <= now < self.quiet_to
            end_day = local.date()
        else:  # across midnight, e.g. 22:00–07:00
            inside = now >= self.quiet_from or now < self.quiet_to
            end_day = local.date() + datetime.timedelta(days=1 if now >= self.quiet_from else 0)
        if not inside:
            return None
        return datetime.datetime.combine(end_day, self.quiet_to, tzinfo=local.tzinfo)


class Delivery(models.Model):
    """The outbox: one notice to deliver through one external channel, retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已送达"
        FAILED = "failed", "发送失败"
        CANCELLED = "cancelled", "已取消"  # a reminder whose enterprise reported before it went out

    channel = models.ForeignKey(
        Channel, verbose_name="渠道", on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收件人",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    address = models.CharField("收件地址", max_length=254, blank=True)  # e-mail or phone; blank for robots
    topic = models.CharField("类别", max_length=10, choices=DELIVERY_TOPICS)
    key = models.CharField("去重键", max_length=160, blank=True)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("内容", blank=True)
    url = models.CharField("链接", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    last_error = models.TextField("最近错误", blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    sent_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the runners' next row, read in order from the index (a sort of the backlog otherwise)
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="delivery_due",
            ),
            # a channel's sends in the last minute, for its rate limit
            models.Index(fields=["channel", "status", "sent_at"], name="delivery_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address", "key"], condition=~Q(key=""), name="delivery_once"
            )
        ]
        verbose_name = verbose_name_plural = "通知投递"

    def __str__(self) -> str:
        return f"{self.channel} → {self.address or '群'}：{self.title}"


class Claim(models.Model):
    """A scheduled notice (a 14:00 reminder round, one SLA warning) taken by one runner.

    Inserted in the same transaction as the notices it sends: a second runner's insert waits for
    the first and then fails on the unique key, so the round is done exactly once."""

    key = models.CharField(max_length=160, unique=True)
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "定时通知记录"

    def __str__(self) -> str:
        return self.key
