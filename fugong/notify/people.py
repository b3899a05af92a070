"""Who to tell: the users holding a role for a department, an enterprise or a region level."""

from __future__ import annotations

from typing import Any

from fugong.accounts.models import Membership
from fugong.core.access import Role


def active() -> Any:
    return Membership.objects.filter(active=True, user__is_active=True)


def handlers_of(department_id: int | None) -> set[int]:
    if department_id is None:
        return set()
    return set(
        active().filter(role=Role.HANDLER, department_id=department_id).values_list("user_id", flat=True)
    )


def enterprise_people(enterprise_id: int) -> set[int]:
    """The enterprise's own reporters and its liaisons."""
    people = active().filter(enterprise_id=enterprise_id, role__in=[Role.REPORTER, Role.LIAISON])
    return set(people.values_list("user_id", flat=True))


def nearest(role: str, path: str) -> set[int]:
    """The users holding a role at the region itself or, if none there, at the closest level above
    (a county without a dispatcher account is supervised by its city's)."""
    codes = [code for code in path.strip("/").split("/") if code]
    found: dict[str, set[int]] = {}
    for user_id, region_id in (
        active().filter(role=role, region_id__in=codes).values_list("user_id", "region_id")
    ):
        found.setdefault(region_id, set()).add(user_id)
    for code in reversed(codes):
        if code in found:
            return found[code]
    return set()
