"""The query and form parameters every dispatch page reads the same way, refused in Chinese."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from fugong.core.cells import CellError, parse_date
from fugong.core.errors import ValidationFailed

EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)


def int_param(data: Any, name: str) -> int:
    try:
        return int(data.get(name, ""))
    except ValueError:
        raise ValidationFailed(f"参数 {name} 应为整数") from None


def day_param(request: HttpRequest, name: str = "date") -> datetime.date:
    first, second = (request.POST, request.GET) if request.method == "POST" else (request.GET, request.POST)
    text = first.get(name) or second.get(name)
    if not text:
        return timezone.localdate()
    try:
        day = parse_date(text)
    except CellError as exc:
        raise ValidationFailed(f"日期有误：{exc}") from None
    assert day is not None
    if not EARLIEST <= day <= LATEST:
        raise ValidationFailed(f"日期{day}超出范围（{EARLIEST.year}—{LATEST.year}年）")
    return day
