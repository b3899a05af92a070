"""Users, departments, memberships (role + region or enterprise), API tokens, login attempts."""

from __future__ import annotations

import hashlib
from typing import cast

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from fugong.core.access import RestrictedQuerySet, Role, Scope


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships, not from here."""

    display_name = models.CharField("姓名", max_length=40, blank=True)
    # 11 digits (core.phones); one account per mobile, which SMS sign-in and the registry key on
    phone = models.CharField("手机号", max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~models.Q(phone=""), name="user_phone_unique")
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


def me(request: HttpRequest) -> User:
    """The signed-in user of a request that login or token auth has already guarded."""
    return cast(User, request.user)


class DepartmentQuerySet(RestrictedQuerySet["Department"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        return scope.region_q(action, "region__path") | Q(pk__in=scope.department_ids)


class Department(models.Model):
    """A department or division (部门、处室) of a bureau in one region."""

    name = models.CharField("名称", max_length=80)
    region = models.ForeignKey("regions.Region", verbose_name="所属区划", on_delete=models.PROTECT)
    phone = models.CharField("电话", max_length=30, blank=True)
    active = models.BooleanField("启用", default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="department_unique_name")]
        verbose_name = verbose_name_plural = "部门"

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One role a user holds, anchored to a region, a department or an enterprise.

    Dispatchers, leaders and admins are anchored to a region (an admin with no region sees the
    whole country); handlers to a department (and so its region); liaisons and reporters to one
    enterprise each (a liaison with 60 enterprises has 60 memberships).
    """

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=12, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name="区划", null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        Department, verbose_name="部门", null=True, blank=True, on_delete=models.PROTECT
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        indexes = [models.Index(fields=["user", "active"])]

    def __str__(self) -> str:
        anchor = self.enterprise or self.department or self.region or "全国"
        return f"{self.get_role_display()}·{anchor}"

    def clean(self) -> None:
        needs = {
            Role.REPORTER: "enterprise",
            Role.LIAISON: "enterprise",
            Role.HANDLER: "department",
            Role.DISPATCHER: "region",
            Role.LEADER: "region",
        }.get(Role(self.role))
        labels = {"enterprise": "企业", "department": "部门", "region": "区划"}
        if needs and getattr(self, f"{needs}_id") is None:
            raise ValidationError(f"“{self.get_role_display()}”角色必须指定{labels[needs]}")


def active_memberships(user: User) -> QuerySet[Membership]:
    """What a user's scope is computed from (core.access is handed this in AccountsConfig.ready)."""
    return Membership.objects.filter(user=user, active=True).select_related("region", "department")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its hash is stored; the raw value is shown once."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=60)
    prefix = models.CharField("前缀", max_length=8)
    key_hash = models.CharField("摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "接口令牌"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SmsCode(models.Model):
    """A sign-in code sent to a phone (accounts.sms_sign_in). Only its HMAC is kept; it is good
    for one sign-in within its minutes, and every check of it, right or wrong, uses one of its
    attempts, so parallel guesses cannot get more checks than the limit."""

    phone = models.CharField("手机号", max_length=11)
    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField("验证码摘要", max_length=64)
    address = models.GenericIPAddressField("请求地址", null=True, blank=True)
    created_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("已核对次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"], name="smscode_latest")]
        verbose_name = verbose_name_plural = "短信验证码"

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} @ {self.created_at:%Y-%m-%d %H:%M}"


class SmsAllowance(models.Model):
    """How many codes one phone or one address has been sent in its current window.

    One row per (rule, phone or address), its key an HMAC so that numbers nobody registered are
    not kept in clear; taken by conditional UPDATEs (accounts.sms_sign_in.take_allowance), so
    parallel requests cannot both take the last one."""

    key = models.CharField("键", max_length=64, unique=True)
    window_start = models.DateTimeField("本时段开始")
    count = models.PositiveIntegerField("本时段已发送", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "验证码发送额度"

    def __str__(self) -> str:
        return f"{self.key[:8]}…：{self.count}"


class DeviceSession(models.Model):
    """A signed-in browser: which session it is, so "我的设备" lists and ends sessions without
    decoding every session row (accounts.devices)."""

    session_key = models.CharField("会话", max_length=40, unique=True)
    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="devices")
    device = models.CharField("设备", max_length=80)
    user_agent = models.CharField("浏览器标识", max_length=300, blank=True)
    address = models.GenericIPAddressField("登录地址", null=True, blank=True)
    by_sms = models.BooleanField("短信验证码登录", default=False)
    signed_in_at = models.DateTimeField("登录时间")
    last_seen_at = models.DateTimeField("最近使用")

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = verbose_name_plural = "登录设备"

    def __str__(self) -> str:
        return f"{self.user}·{self.device}"

class Provider(models.TextChoices):
    WECOM = "wecom", "企业微信"
    DINGTALK = "dingtalk", "钉钉"


class ExternalIdentity(models.Model):
    """A provider's person linked to an account: made at their first sign-in through the
    provider, by the mobile number the provider gives and the account already has. Never an
    account of its own: nobody gets rights by signing in through an app."""

    provider = models.CharField("登录方式", max_length=10, choices=Provider.choices)
    # WeCom's userid inside the corp; DingTalk's unionId (the same person across its apps)
    subject = models.CharField("对方用户标识", max_length=128)
    user = models.ForeignKey(
        User, verbose_name="复工通账号", on_delete=models.CASCADE, related_name="identities"
    )
    name = models.CharField("对方显示的姓名", max_length=60, blank=True)
    linked_at = models.DateTimeField("关联时间", auto_now_add=True)
    last_sign_in_at = models.DateTimeField("最近登录", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "第三方登录关联"
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="identity_unique")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.name or self.subject} → {self.user}"
