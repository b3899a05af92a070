"""Template context: what the signed-in user's scope allows, and the pages of their header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fugong.core.access import Action, may_anywhere


def user_scope(request: HttpRequest) -> dict[str, Any]:
    from fugong.pages import ACCOUNT_PAGES, pages_for  # the page list gathers from every app

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_change": may_anywhere(user, Action.CHANGE),
        "can_manage": may_anywhere(user, Action.MANAGE),
        "nav_pages": pages_for(user),
        "account_pages": pages_for(user, ACCOUNT_PAGES),
    }
