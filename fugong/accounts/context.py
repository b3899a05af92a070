"""Template context: the signed-in user's memberships and what their scope allows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fugong.core.access import Action, scope_for


def user_scope(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {
        "can_change": scope.allows(Action.CHANGE),
        "can_manage": scope.allows(Action.MANAGE),
        # Enterprise reporters and liaisons work from their enterprises, not from region pages.
        "is_region_user": scope.everything or bool(scope.grant(Action.VIEW).paths),
    }
