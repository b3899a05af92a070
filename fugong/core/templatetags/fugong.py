"""Template filters shared by all pages."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(value: Any) -> str:
    """A fraction as a percentage rounded half-up to 0.1 point (pages round; the API is exact)."""
    if value is None or value == "":
        return "—"
    points = (Decimal(str(value)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{points}%"


@register.filter
def iso(value: Any) -> str:
    """A date as YYYY-MM-DD for <input type=date>; text (as typed) passes through unchanged."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
