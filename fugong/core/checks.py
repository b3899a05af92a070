"""Deployment checks shown by `manage.py check` (and at start-up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register

DEVELOPMENT_KEY_PREFIX = "fugong-development-key"


@register(deploy=True)
def secret_key_is_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.SECRET_KEY.startswith(DEVELOPMENT_KEY_PREFIX) and not settings.DEBUG:
        return [
            Warning(
                "SECRET_KEY 仍是开发用的默认值：生产部署前请在环境变量中设置随机的 SECRET_KEY",
                id="fugong.W001",
            )
        ]
    return []
