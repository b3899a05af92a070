"""Template context: what the signed-in user's scope allows, and the pages of their header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fugong.core.access import Action, scope_for


def user_scope(request: HttpRequest) -> dict[str, Any]:
    from fugong.pages import ACCOUNT_PAGES, pages_for  # the page list gathers from every app

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {
        "can_change": scope.allows(Action.CHANGE),
        "can_manage": scope.allows(Action.MANAGE),
        "nav_pages": pages_for(user),
        "account_pages": pages_for(user, ACCOUNT_PAGES),
    }
