"""API: the enterprise registry — list with filters, detail, create, update."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from fugong.core.access import Action, access_object
from fugong.core.limits import Pages, RawValue, required_in_docs
from fugong.core.models import Channel
from fugong.enterprises import actions
from fugong.enterprises.filters import EnterpriseFilter, filter_enterprises
from fugong.enterprises.models import Enterprise

router = Router(tags=["企业库"])


class EnterpriseOut(Schema):
    uscc: str
    name: str
    region: str
    region_name: str
    industry: str | None
    industry_name: str | None
    sectors: list[str]
    above_scale: bool
    tier: str
    park: str
    address: str
    contact_name: str
    contact_phone: str
    baseline_headcount: int
    baseline_capacity: Decimal | None
    trade_value_last_year: Decimal | None
    active_from: datetime.date
    active_to: datetime.date | None
    version: str  # send back as base_version (or If-Match) when changing this enterprise

    @staticmethod
    def resolve_version(obj: Enterprise) -> str:
        return actions.version(obj)

    @staticmethod
    def resolve_region(obj: Enterprise) -> str:
        return obj.region_id

    @staticmethod
    def resolve_region_name(obj: Enterprise) -> str:
        return obj.region.name

    @staticmethod
    def resolve_industry(obj: Enterprise) -> str | None:
        return obj.industry_id

    @staticmethod
    def resolve_industry_name(obj: Enterprise) -> str | None:
        return obj.industry.name if obj.industry else None

    @staticmethod
    def resolve_sectors(obj: Enterprise) -> list[str]:
        return [s.name for s in obj.sectors.all()]


class EnterpriseIn(Schema):
    """Values as a person would type them; the same rules as the page and the spreadsheet apply.

    `region` is a region code or a full name; `industry` a GB/T 4754 code such as "C36";
    `sectors` a list of tag names; `tier` one of province/city/county/"" (or 省级/市级/县级).
    """

    uscc: RawValue = None
    name: RawValue = None
    region: RawValue = None
    industry: RawValue = None
    sectors: RawValue = None
    above_scale: RawValue = None
    tier: RawValue = None
    park: RawValue = None
    address: RawValue = None
    contact_name: RawValue = None
    contact_phone: RawValue = None
    baseline_headcount: RawValue = None
    baseline_capacity: RawValue = None
    trade_value_last_year: RawValue = None
    active_from: RawValue = None
    active_to: RawValue = None


class EnterpriseUpdateIn(EnterpriseIn):
    base_version: str | None = Field(
        None,
        max_length=64,
        description="修改所基于的版本（读取时的 version；也可放在请求头 If-Match）。"
        "与当前版本不同 → 409 stale_version，details.current 为已保存的值；不提供则不检查。",
    )


class EnterpriseCreateIn(EnterpriseIn):
    """A new enterprise: the three fields every registry row has are required."""

    model_config = required_in_docs("uscc", "name", "region")


def with_relations(qs: Any) -> Any:
    return qs.select_related("region", "industry").prefetch_related("sectors")


@router.get("", response=list[EnterpriseOut], summary="企业列表（region 含下级）")
@paginate(Pages, page_size=50)
def list_enterprises(request: HttpRequest, filters: Query[EnterpriseFilter]) -> Any:
    return with_relations(
        filter_enterprises(Enterprise.objects.visible_to(request.user), filters, request.user)
    )


@router.get("/{uscc}", response=EnterpriseOut, summary="企业详情")
def get_enterprise(request: HttpRequest, uscc: str) -> Enterprise:
    return access_object(with_relations(Enterprise.objects.all()), request.user, uscc=uscc.upper())


@router.post("", response={201: EnterpriseOut}, summary="登记企业")
def create_enterprise(request: HttpRequest, payload: EnterpriseCreateIn) -> tuple[int, Enterprise]:
    enterprise = actions.check_create_enterprise(
        request.user, payload.dict(exclude_unset=True), channel=Channel.API
    )
    return 201, enterprise


@router.patch("/{uscc}", response=EnterpriseOut, summary="修改企业信息（只改提交的字段）")
def update_enterprise(request: HttpRequest, uscc: str, payload: EnterpriseUpdateIn) -> Enterprise:
    enterprise = access_object(Enterprise.objects.all(), request.user, Action.CHANGE, uscc=uscc.upper())
    raw = payload.dict(exclude_unset=True)
    base_version = raw.pop("base_version", None) or request.headers.get("If-Match") or None
    actions.check_update_enterprise(
        request.user, enterprise, raw, channel=Channel.API, base_version=base_version
    )
    return access_object(with_relations(Enterprise.objects.all()), request.user, uscc=enterprise.uscc)
