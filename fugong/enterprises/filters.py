"""The registry's list filters, shared by the page and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from ninja import Schema

from fugong.core.access import access_object
from fugong.enterprises.models import EnterpriseQuerySet
from fugong.regions.models import Region


class EnterpriseFilter(Schema):
    region: str | None = None
    sector: str | None = None
    tier: str | None = None
    above_scale: bool | None = None
    q: str | None = None
    active: bool | None = None


def filter_enterprises(qs: EnterpriseQuerySet, f: EnterpriseFilter, user: Any) -> EnterpriseQuerySet:
    """Narrows an already scope-restricted queryset; a region outside the scope is a 404."""
    if f.region:
        region = access_object(Region.objects.all(), user, code=f.region.strip())
        qs = qs.in_region(region.path)
    if f.sector:
        qs = qs.filter(sectors__name=f.sector)
    if f.tier is not None and f.tier != "":
        qs = qs.filter(tier="" if f.tier == "none" else f.tier)
    if f.above_scale is not None:
        qs = qs.filter(above_scale=f.above_scale)
    if f.q:
        text = f.q.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(uscc__startswith=text.upper()))
    if f.active is not None:
        from django.utils import timezone

        today = timezone.localdate()
        qs = qs.active_on(today) if f.active else qs.exclude(pk__in=qs.active_on(today).values("pk"))
    return qs.distinct() if f.sector else qs
