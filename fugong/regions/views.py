"""Pages: a region with its dispatch children and how many enterprises each covers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fugong.core.access import access_object
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Region


@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = access_object(Region.objects.all(), request.user, code=code)
    children = list(Region.objects.visible_to(request.user).filter(parent=region).order_by("kind", "code"))
    visible = Enterprise.objects.visible_to(request.user)
    for child in children:
        child.enterprise_count = visible.in_region(child.path).count()  # type: ignore[attr-defined]
    context = {
        "region": region,
        "ancestors": region.ancestors(),
        "children": children,
        "enterprise_count": visible.in_region(region.path).count(),
    }
    return render(request, "regions/detail.html", context)
