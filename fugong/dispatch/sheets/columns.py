"""The dispatch sheet's columns and hidden metadata, shared by the fill-in template and the import.

One list of columns says what each header means, which other headers people write for it
(Excel sheets passed between bureaus rarely keep the exact words), and whether the template
pre-fills it from the registry or leaves it for the enterprise to fill. The template carries a
very hidden sheet with the plan, date and region it was made for, so that an import can tell
when a sheet is loaded against the wrong plan or day.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from fugong.core.tables import Sheet, header_text
from fugong.dispatch.reports.fields import LABELS

META_SHEET = "_fugong"
META_VERSION = "1"


@dataclass(frozen=True)
class Column:
    field: str  # a report field, "uscc", "name", "region", or "extra:<key>" for a plan's own item
    header: str  # the canonical header the template writes
    aliases: tuple[str, ...] = ()
    prefilled: bool = False  # written from the registry, locked in the template
    width: int = 12
    hint: str = ""  # the instructions sheet's line for this column


COLUMNS = (
    Column(
        "uscc",
        "统一社会信用代码",
        ("社会信用代码", "信用代码", "统一代码", "企业信用代码", "USCC"),
        prefilled=True,
        width=22,
        hint="18位代码，用于识别企业，请勿修改；缺少时按本区划内的企业名称精确匹配",
    ),
    Column(
        "name",
        "企业名称",
        ("企业", "单位名称", "企业（单位）名称", "名称"),
        prefilled=True,
        width=30,
        hint="仅供核对，以统一社会信用代码为准",
    ),
    Column("region", "所属区划", ("区划", "所在地区", "所属地区"), prefilled=True, width=14, hint="仅供核对"),
    Column(
        "resumed",
        "是否复工",
        ("是否开复工", "是否复工复产", "开复工", "已复工", "复工情况"),
        width=10,
        hint="填“是”或“否”（也可填 √ / ×）",
    ),
    Column(
        "resumed_on", "复工日期", ("开复工日期", "复工时间"), width=12, hint="如 2020-02-17 或 2020年2月17日"
    ),
    Column(
        "baseline_headcount",
        "在册员工",
        ("在册员工数", "在册人数", "在册", "员工总数", "员工情况在册", "员工人数"),
        prefilled=True,
        width=10,
        hint="已按企业库预填，人数有变化可直接修改",
    ),
    Column(
        "reported_back",
        "报到人数",
        ("报到", "员工情况报到", "返岗人数", "已返岗人数", "到岗报到人数"),
        width=10,
        hint="已返回单位报到的员工数（含隔离的员工）",
    ),
    Column("isolated", "报到后隔离", ("隔离", "隔离人数", "员工情况隔离", "报到隔离"), width=10),
    Column(
        "on_duty",
        "实际到岗",  # 到岗 as in 到岗率; the older 上岗 headers are still read
        ("上岗", "上岗人数", "实际上岗人数", "员工情况上岗", "实际上岗", "到岗人数", "到岗", "员工情况到岗"),
        width=10,
        hint="未复工企业填0",
    ),
    Column(
        "capacity_pct",
        "产能恢复比例",
        ("实际产能恢复比例", "产能恢复", "产能恢复率", "产能恢复情况"),
        width=12,
        hint="填百分比，如 65% 或 0.65；未复工填0",
    ),
    Column("measures", "防疫措施", ("防疫措施落实", "防疫措施落实情况", "疫情防控措施"), width=24),
    Column("problem_tags", "问题类别", ("突出问题类别", "问题分类"), width=18),
    Column("problems", "突出问题", ("开工后突出问题", "存在问题", "存在的困难和问题", "困难问题"), width=30),
    Column("suggestions", "政策建议", ("意见建议", "建议", "对策建议"), width=30),
)
COLUMNS_BY_FIELD = {c.field: c for c in COLUMNS}
REPORT_COLUMNS = [c.field for c in COLUMNS if c.field in LABELS]


def header_aliases(extra_fields: list[dict[str, Any]]) -> dict[str, str]:
    """Bare header text → field, for `tables.locate_header`; a plan's own items by their label."""
    aliases: dict[str, str] = {}
    for column in COLUMNS:
        for text in (column.header, *column.aliases):
            aliases.setdefault(header_text(text), column.field)
    for field, label in LABELS.items():
        aliases.setdefault(header_text(label), field)
    for spec in extra_fields:
        aliases.setdefault(header_text(spec.get("label", spec["key"])), f"extra:{spec['key']}")
    return aliases


@dataclass(frozen=True)
class SheetMeta:
    """What the template was made for, read back from its hidden sheet."""

    plan_id: int
    date: datetime.date
    region: str


def meta_rows(plan_id: int, day: datetime.date, region: str) -> list[tuple[str, str]]:
    return [
        ("version", META_VERSION),
        ("plan", str(plan_id)),
        ("date", day.isoformat()),
        ("region", region),
    ]


def read_meta(sheets: list[Sheet]) -> SheetMeta | None:
    """The template's metadata, or None for a sheet not made from a template (or mangled)."""
    for sheet in sheets:
        if sheet.name != META_SHEET:
            continue
        pairs = {str(row[0]).strip(): row[1] for row in sheet.rows if len(row) >= 2 and row[0]}
        try:
            return SheetMeta(
                plan_id=int(float(pairs["plan"])),
                date=datetime.date.fromisoformat(str(pairs["date"]).strip()),
                region=str(pairs["region"]).strip(),
            )
        except (KeyError, ValueError, TypeError):
            return None
    return None
