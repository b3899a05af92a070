"""Which WeCom or DingTalk person is which Fugong account."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
        settings.AUTH_USER_MODEL, verbose_name="复工通账号", on_delete=models.CASCADE, related_name="identities"
    )
    name = models.CharField("对方显示的姓名", max_length=60, blank=True)
    linked_at = models.DateTimeField("关联时间", auto_now_add=True)
    last_sign_in_at = models.DateTimeField("最近登录", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "第三方登录关联"
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="identity_unique")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.name or self.subject} → {self.user}"
