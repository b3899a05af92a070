"""The printable QR sheet of a plan: one code per enterprise, opening its report page.

A county prints it for the enterprises it dispatches, to hand out or post at a park's gate: a
reporter scans it, signs in by SMS code and lands on the form. The link is the one the SMS
invitation opens after sign-in (accounts.invitations.report_path), made absolute with the site's
address. The codes are inline SVG (segno, no image library), so the page prints as it is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings

from fugong.accounts.invitations import report_path
from fugong.core.access import dispatch_region_q, may_dispatch_at
from fugong.core.errors import Forbidden
from fugong.dispatch.models import Plan
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.enterprises.models import EnterpriseQuerySet
from fugong.regions.models import Level, Region

PER_PAGE = 120  # ten A4 sheets of twelve: about 0.7 s of QR codes per page


@dataclass(frozen=True)
class QrEntry:
    uscc: str
    name: str
    url: str


def sheet_enterprises(user: Any, plan: Plan, day: datetime.date, region: Region | None) -> EnterpriseQuerySet:
    """The plan's enterprises of that day where the user dispatches, in `region` when given (one
    of the user's own: a dispatcher prints for the enterprises they answer for, no others)."""
    if region is not None and not may_dispatch_at(user, region.path):
        raise Forbidden(f"“{region.name}”不在您的调度范围内，只能打印本级及下级区划的二维码")
    qs = plan_enterprises(plan, day).filter(dispatch_region_q(user, "region__path"))
    if region is not None:
        qs = qs.in_region(region.path)
    return qs.order_by("region_id", "name")


def region_choices(user: Any) -> list[Region]:
    """The regions down to county level a dispatcher may print for."""
    return list(
        Region.objects.filter(dispatch_region_q(user, "path")).exclude(level=Level.TOWN).order_by("path")
    )


def entries(enterprises: list[tuple[str, str]], base: str) -> list[QrEntry]:
    """(uscc, name) → what each code says: the report page's absolute address."""
    root = (getattr(settings, "FUGONG_SITE_URL", "") or base).rstrip("/")
    return [QrEntry(uscc, name, f"{root}{report_path(uscc)}") for uscc, name in enterprises]


def qr_svg(url: str) -> str:
    """The code as an inline <svg> (error correction M: still reads when a corner is creased)."""
    return str(segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True))
