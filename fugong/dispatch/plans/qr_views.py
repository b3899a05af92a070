"""The plan's printable QR sheet (打印二维码)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fugong.core.access import Action, access_object, require_action
from fugong.dispatch.models import Plan
from fugong.dispatch.plans import qr_sheet
from fugong.regions.models import Region


@login_required
def plan_qr_sheet(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = access_object(Plan.objects.select_related("owner_region"), request.user, pk=plan_id)
    require_action(request.user, Action.CHANGE)  # a dispatcher's sheet: leaders and reporters print none
    code = request.GET.get("region") or ""
    region = access_object(Region.objects.all(), request.user, code=code) if code else None
    enterprises = qr_sheet.sheet_enterprises(request.user, plan, timezone.localdate(), region)
    page = Paginator(enterprises.values_list("uscc", "name"), qr_sheet.PER_PAGE).get_page(
        request.GET.get("page")
    )
    listed = qr_sheet.entries(list(page.object_list), request.build_absolute_uri("/"))
    context = {
        "plan": plan,
        "region": region,
        "regions": qr_sheet.region_choices(request.user),
        "page": page,
        "codes": [(entry, qr_sheet.qr_svg(entry.url)) for entry in listed],
        "query": f"region={code}&" if code else "",
    }
    return render(request, "dispatch/qr_sheet.html", context)
