"""The enterprise fields as people fill them in: labels, spreadsheet aliases and parsing.

Pages, the API and spreadsheet imports all pass their raw values through `clean_fields`, so
a rule and its message live here once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from fugong.core import cells
from fugong.core.cells import CellError
from fugong.core.errors import ErrorItem
from fugong.core.uscc import normalize_uscc, uscc_problem
from fugong.enterprises.models import Enterprise, Industry, SectorTag, Tier
from fugong.regions.resolver import RegionResolver


@dataclass(frozen=True)
class FieldError:
    field: str
    label: str
    value: Any
    message: str
    code: str = "invalid"  # "required" for a blank that must be filled

    def item(self, row: int | None = None, column: str | None = None) -> ErrorItem:
        return ErrorItem(self.message, self.code, self.field, self.label, row, column)

    def __str__(self) -> str:
        return f"{self.label}：{self.message}"


class Lookups:
    """Reference tables needed to parse a batch of rows, each loaded at most once."""

    @cached_property
    def regions(self) -> RegionResolver:
        return RegionResolver()

    @cached_property
    def industries(self) -> dict[str, Industry]:
        return {i.code: i for i in Industry.objects.all()}

    @cached_property
    def industries_by_name(self) -> dict[str, Industry]:
        return {i.name: i for i in self.industries.values()}

    @cached_property
    def sectors(self) -> dict[str, SectorTag]:
        return {s.name: s for s in SectorTag.objects.filter(active=True)}


SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)


def parse_uscc(value: Any, _: Lookups) -> str | None:
    if (isinstance(value, float | int) and not isinstance(value, bool)) or SCIENTIFIC.match(
        str(value or "").strip()
    ):
        raise CellError(
            f"统一社会信用代码被存成了数字（{value}），后几位已丢失；请把该列设置为“文本”格式，重新填写完整的18位代码"
        )
    cells.reject_non_scalar(value)
    code = normalize_uscc(value)
    if not code:
        return None
    problem = uscc_problem(code)
    if problem:
        raise CellError(problem)
    return code


def parse_region(value: Any, lookups: Lookups) -> Any:
    return None if cells.is_blank(value) else lookups.regions.resolve(value)


INDUSTRY_PATTERN = re.compile(r"^([A-Ta-t])?\s*(\d{2,4})?")


def parse_industry(value: Any, lookups: Lookups) -> Industry | None:
    text = cells.clean_text(value)
    if text is None:
        return None
    if isinstance(value, float | int) and not isinstance(value, bool):
        text = str(int(value)).zfill(2)
    if text in lookups.industries_by_name:
        return lookups.industries_by_name[text]
    match = INDUSTRY_PATTERN.match(text.replace(" ", ""))
    letter, digits = (match.group(1), match.group(2)) if match else (None, None)
    if digits:
        division = lookups.industries.get(digits[:2].zfill(2))
        if division is None:
            raise CellError(f"行业代码“{text}”不在 GB/T 4754-2017 大类（01–97）中，请核对")
        if letter and division.parent_id != letter.upper():
            raise CellError(
                f"行业代码“{text}”前后不符：大类{division.code}属于门类{division.parent_id}，不属于门类{letter.upper()}"
            )
        return division
    if letter and len(text) == 1:
        return lookups.industries[letter.upper()]
    raise CellError(f"“{text}”不是可识别的行业代码，请填写 GB/T 4754-2017 代码，如 C36 或 36")


SPLIT_TAGS = re.compile(r"[、,，;；/|\s]+")


def parse_sectors(value: Any, lookups: Lookups) -> list[SectorTag] | None:
    if cells.is_blank(value):
        return None
    names = value if isinstance(value, list | tuple) else SPLIT_TAGS.split(str(value).strip())
    tags = []
    for name in (str(n).strip() for n in names):
        if not name:
            continue
        tag = lookups.sectors.get(name)
        if tag is None:
            options = "、".join(lookups.sectors)
            raise CellError(f"没有“{name}”这个行业标签，可选：{options}（如需新增请联系管理员）")
        if tag not in tags:
            tags.append(tag)
    return tags


TIER_WORDS = {
    "省级": Tier.PROVINCE,
    "省级重点": Tier.PROVINCE,
    "province": Tier.PROVINCE,
    "市级": Tier.CITY,
    "市级重点": Tier.CITY,
    "city": Tier.CITY,
    "县级": Tier.COUNTY,
    "县级重点": Tier.COUNTY,
    "county": Tier.COUNTY,
    "否": Tier.NONE,
    "无": Tier.NONE,
    "非重点": Tier.NONE,
    "": Tier.NONE,
}


def parse_tier(value: Any, _: Lookups) -> str | None:
    if cells.is_blank(value):
        return None
    tier = TIER_WORDS.get("".join(str(value).split()))
    if tier is None:
        raise CellError(f"“{value}”无法识别，重点企业层级请填“省级”“市级”“县级”或留空")
    return str(tier)


def text_parser(max_length: int) -> Callable[[Any, Lookups], str | None]:
    return lambda value, _: cells.clean_text(value, max_length=max_length)


def phone_parser(value: Any, _: Lookups) -> str | None:
    text = cells.clean_text(value, max_length=30)
    if text and not re.fullmatch(r"[0-9+\-()（）\s转、,，/]{5,30}", text):
        raise CellError(f"“{text}”不像电话号码，请只填数字、短横线和“转”，多个号码用顿号分隔")
    return text


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    parse: Callable[[Any, Lookups], Any]
    aliases: tuple[str, ...] = ()
    required: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "uscc",
        "统一社会信用代码",
        parse_uscc,
        ("信用代码", "社会信用代码", "统一代码", "USCC", "企业代码"),
        True,
    ),
    FieldSpec("name", "企业名称", text_parser(100), ("名称", "企业全称", "单位名称", "企业"), True),
    FieldSpec(
        "region",
        "所属区划",
        parse_region,
        ("区划", "所属地区", "行政区划", "区划代码", "所在地区", "县区", "所属县区"),
        True,
    ),
    FieldSpec(
        "industry",
        "行业代码",
        parse_industry,
        ("国民经济行业", "行业分类", "所属行业", "行业", "国民经济行业代码"),
    ),
    FieldSpec("sectors", "行业标签", parse_sectors, ("标签", "企业类型", "类别")),
    FieldSpec(
        "above_scale",
        "规模以上",
        lambda v, _: cells.parse_bool(v),
        ("是否规上", "规上企业", "是否规模以上", "规上"),
    ),
    FieldSpec("tier", "重点企业层级", parse_tier, ("重点企业", "重点层级", "重点企业级别")),
    FieldSpec("park", "所属园区", text_parser(100), ("园区", "开发区")),
    FieldSpec("address", "地址", text_parser(200), ("企业地址", "注册地址", "经营地址")),
    FieldSpec("contact_name", "联系人", text_parser(40), ("企业联系人", "联系人姓名")),
    FieldSpec("contact_phone", "联系电话", phone_parser, ("电话", "手机", "联系方式", "手机号")),
    FieldSpec(
        "baseline_headcount",
        "在册员工",
        lambda v, _: cells.parse_int(v, maximum=1_000_000),
        ("在册员工数", "员工总数", "职工人数", "在册", "员工人数"),
    ),
    FieldSpec(
        "baseline_capacity",
        "产能基数",
        lambda v, _: cells.parse_decimal(v, maximum=Decimal("999999999999.99")),
        ("日产值", "正常日产值", "产能基数万元"),
    ),
    FieldSpec(
        "trade_value_last_year",
        "上年进出口额",
        lambda v, _: cells.parse_decimal(v, maximum=Decimal("99999999999999.99")),
        ("上年进出口", "进出口额", "上年外贸额"),
    ),
    FieldSpec("active_from", "启用日期", lambda v, _: cells.parse_date(v), ("纳入日期", "开始日期")),
    FieldSpec(
        "active_to", "停用日期", lambda v, _: cells.parse_date(v), ("退出日期", "关停日期", "注销日期")
    ),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
HEADER_ALIASES: dict[str, str] = {
    alias: spec.name for spec in FIELDS for alias in (spec.label, spec.name, *spec.aliases)
}


def clean_fields(
    raw: dict[str, Any], lookups: Lookups, *, creating: bool
) -> tuple[dict[str, Any], list[FieldError]]:
    """Parsed values for the fields present in `raw`, and the errors found.

    When creating, required fields must be present and non-empty; when updating, only the
    fields given are touched, and a required field may not be emptied.
    """
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for spec in FIELDS:
        if spec.name not in raw and not (creating and spec.required):
            continue
        value = raw.get(spec.name)
        try:
            parsed = spec.parse(value, lookups)
        except CellError as exc:
            errors.append(FieldError(spec.name, spec.label, value, str(exc)))
            continue
        if parsed is None and spec.required:
            errors.append(FieldError(spec.name, spec.label, value, f"{spec.label}不能为空，请填写", "required"))
            continue
        cleaned[spec.name] = parsed
    start, end = cleaned.get("active_from"), cleaned.get("active_to")
    if start and end and end < start:
        errors.append(
            FieldError("active_to", "停用日期", str(end), f"停用日期{end}早于启用日期{start}，请核对")
        )
    return cleaned, errors


def current_values(enterprise: Enterprise) -> dict[str, Any]:
    """The enterprise's values in the shape clean_fields returns (for diffs and unchanged checks)."""
    values = {spec.name: getattr(enterprise, spec.name) for spec in FIELDS if spec.name != "sectors"}
    values["sectors"] = list(enterprise.sectors.all()) if enterprise.pk else []
    return values
