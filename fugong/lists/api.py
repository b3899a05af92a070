"""API: key-enterprise lists — create and read them (entries as of a date), nominate, decide."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from fugong.core.errors import BadRequest
from fugong.core.limits import ITEMS, TAGS, Id, JsonList, Name, Pages, Text
from fugong.core.models import Channel
from fugong.lists import actions, export, reads
from fugong.lists.models import KeyList, Nomination

router = Router(tags=["重点企业清单"])
Usccs = Annotated[list[Name], Field(max_length=ITEMS)]


class CriterionOut(Schema):
    field: str
    weight: float


class ListFields(Schema):
    id: int
    title: str
    kind: str
    kind_label: str
    tier: str  # province | city | county
    region: str
    department: int | None
    criteria: list[CriterionOut]
    approval_levels: list[str]
    created_at: datetime.datetime


class ListOut(ListFields):
    @staticmethod
    def resolve_kind_label(obj: KeyList) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_region(obj: KeyList) -> str:
        return obj.region_id

    @staticmethod
    def resolve_department(obj: KeyList) -> int | None:
        return obj.department_id


class ListIn(Schema):
    title: Name
    region: Name
    kind: Name = "other"
    department: Id | None = None
    criteria: JsonList = []
    approval_levels: Annotated[list[Name], Field(max_length=TAGS)] | None = None


class EntryOut(Schema):
    enterprise: str
    enterprise_name: str
    score: float | None
    rank: int
    since: datetime.date
    basis: dict[str, Any]


class NominationOut(Schema):
    id: int
    enterprise: str
    enterprise_name: str
    status: str
    awaited_level: str | None
    nominated_at: datetime.datetime
    note: str
    decisions: list[dict[str, Any]]

    @staticmethod
    def resolve_enterprise(obj: Nomination) -> str:
        return obj.enterprise.uscc

    @staticmethod
    def resolve_enterprise_name(obj: Nomination) -> str:
        return obj.enterprise.name


class ListDetailOut(ListFields):  # built as a dict by detail()
    date: datetime.date
    entries: list[EntryOut]
    pending: list[NominationOut]


class NominationsIn(Schema):
    enterprises: Usccs
    note: Text = ""


class DecisionIn(Schema):
    enterprises: Usccs
    decision: Name  # approve | return | remove
    reason: Text = ""


def detail(user: Any, key_list: KeyList, day: datetime.date) -> dict[str, Any]:
    rows = reads.entries_on(user, key_list, day)
    out: dict[str, Any] = {
        "id": key_list.pk,
        "title": key_list.title,
        "kind": key_list.kind,
        "kind_label": key_list.get_kind_display(),
        "tier": key_list.tier,
        "region": key_list.region_id,
        "department": key_list.department_id,
        "criteria": key_list.criteria,
        "approval_levels": key_list.approval_levels,
        "created_at": key_list.created_at,
        "date": day,
    }
    out["entries"] = [
        {
            "enterprise": r.entry.enterprise.uscc,
            "enterprise_name": r.entry.enterprise.name,
            "score": r.score,
            "rank": r.rank,
            "since": r.entry.valid_from,
            "basis": r.entry.basis,
        }
        for r in rows
    ]
    out["pending"] = reads.pending(user, key_list)
    return out


def check_day(day: datetime.date) -> None:
    if not datetime.date(2000, 1, 1) <= day <= datetime.date(2100, 12, 31):
        raise BadRequest(f"日期{day}超出范围（2000—2100年）")


@router.get("/lists", response=list[ListOut], summary="重点企业清单列表（本级、上级和下级的清单）")
@paginate(Pages, page_size=50)
def list_lists(request: HttpRequest) -> Any:
    return KeyList.objects.visible_to(request.user).select_related("region")


@router.post("/lists", response={201: ListOut}, summary="新建重点企业清单（所属区划的调度员）")
def create_list(request: HttpRequest, payload: ListIn) -> tuple[int, KeyList]:
    raw = payload.dict(exclude_unset=True)
    return 201, actions.check_create_list(request.user, raw, channel=Channel.API)


@router.get(
    "/lists/{list_id}",
    response=ListDetailOut,
    summary="清单详情：某日在列的企业（date，默认今天）及待审批的提名，只列您管辖范围内的企业",
)
def get_list(request: HttpRequest, list_id: int, date: datetime.date | None = None) -> dict[str, Any]:
    key_list = actions.access_list(request.user, list_id)
    day = date or timezone.localdate()
    check_day(day)
    return detail(request.user, key_list, day)


@router.get(
    "/lists/{list_id}/export.xlsx",
    response={200: None},
    summary="导出清单某日（date，默认今天）在列企业的 Excel 表，只含您管辖范围内的企业",
    openapi_extra={
        "responses": {
            200: {
                "description": "Excel 表（.xlsx）",
                "content": {export.XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_list(request: HttpRequest, list_id: int, date: datetime.date | None = None) -> HttpResponse:
    key_list = actions.access_list(request.user, list_id)
    day = date or timezone.localdate()
    check_day(day)
    return export.download(request, key_list, day)


@router.post(
    "/lists/{list_id}/nominations",
    response={201: list[NominationOut]},
    summary="提名企业列入清单（只能提名您可修改的本区划企业）",
)
def nominate(request: HttpRequest, list_id: int, payload: NominationsIn) -> tuple[int, list[Nomination]]:
    key_list = actions.access_list(request.user, list_id)
    made = actions.check_nominate(
        request.user, key_list, payload.enterprises, payload.note, channel=Channel.API
    )
    return 201, made


@router.post(
    "/lists/{list_id}/decisions",
    response=ListDetailOut,
    summary="审批：approve 批准（逐级）、return 退回修改、remove 移出清单（后两者须写理由）；已被他人处理的返回409",
)
def decide(request: HttpRequest, list_id: int, payload: DecisionIn) -> dict[str, Any]:
    key_list = actions.access_list(request.user, list_id)
    actions.check_decide(
        request.user, key_list, payload.enterprises, payload.decision, payload.reason, channel=Channel.API
    )
    return detail(request.user, key_list, timezone.localdate())
