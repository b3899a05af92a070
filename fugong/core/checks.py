"""Configuration checks shown by every `manage.py check` (and so at start-up of runserver and migrate).

They are registered for the plain check, not only `--deploy`: a county server is often started with
`manage.py migrate && gunicorn …` and nobody runs `check --deploy`; the warning must be seen there.
A development machine with DEBUG on is left alone.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.core.checks import Warning, register

DEVELOPMENT_KEY_PREFIX = "fugong-development-key"
DATA_KEY_BYTES = 32


@register()
def secret_key_is_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.DEBUG or not settings.SECRET_KEY.startswith(DEVELOPMENT_KEY_PREFIX):
        return []
    return [
        Warning(
            "SECRET_KEY 仍是代码库里的开发用默认值，任何人都能据此伪造登录会话",
            hint="请在环境变量 SECRET_KEY 中设置至少50个字符的随机值，例如用 "
            "python -c \"import secrets; print(secrets.token_urlsafe(50))\" 生成",
            id="fugong.W001",
        )
    ]


@register()
def data_key_is_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.DEBUG:
        return []
    key = getattr(settings, "FUGONG_DATA_KEY", "")
    if not key:
        return [
            Warning(
                "未设置 FUGONG_DATA_KEY：个人信息字段无法加密存储",
                hint="请在环境变量 FUGONG_DATA_KEY 中设置32字节随机数的 base64 编码，例如用 "
                "python -c \"import base64, os; print(base64.b64encode(os.urandom(32)).decode())\" 生成，"
                "并妥善备份（丢失后已加密的数据无法读出）",
                id="fugong.W002",
            )
        ]
    if not _is_data_key(key):
        return [
            Warning(
                f"FUGONG_DATA_KEY 格式不对：应为{DATA_KEY_BYTES}字节随机数的 base64 编码（44个字符）",
                hint="请按 README“配置”一节重新生成并设置",
                id="fugong.W003",
            )
        ]
    return []


def _is_data_key(key: str) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == DATA_KEY_BYTES
    except (binascii.Error, ValueError):
        return False
