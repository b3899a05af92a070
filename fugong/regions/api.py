"""API: a region and its children in the dispatch hierarchy, within the caller's scope."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from fugong.core.access import access_object
from fugong.regions.models import Region

router = Router(tags=["行政区划"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    admin_parent: str | None
    note: str

    @staticmethod
    def resolve_parent(obj: Region) -> str | None:
        return obj.parent_id

    @staticmethod
    def resolve_admin_parent(obj: Region) -> str | None:
        return obj.admin_parent_id


class RegionList(Schema):
    items: list[RegionOut]
    count: int


@router.get("/{code}", response=RegionOut, summary="区划详情")
def get_region(request: HttpRequest, code: str) -> Region:
    return access_object(Region.objects.all(), request.user, code=code)


@router.get("/{code}/children", response=RegionList, summary="下级调度单位")
def get_children(request: HttpRequest, code: str) -> dict[str, object]:
    region = access_object(Region.objects.all(), request.user, code=code)
    items = list(Region.objects.visible_to(request.user).filter(parent=region).order_by("kind", "code"))
    return {"items": items, "count": len(items)}
