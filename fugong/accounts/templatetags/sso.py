from __future__ import annotations

from typing import Any

from django import template

from fugong.accounts import sso_providers as providers

register = template.Library()


@register.inclusion_tag("accounts/sso_buttons.html")
def sso_buttons(next_url: str = "") -> dict[str, Any]:
    """The sign-in page's buttons for the providers this install has keys for (none: nothing)."""
    return {"providers": providers.configured(), "next": next_url}
