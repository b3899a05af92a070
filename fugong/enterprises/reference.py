"""Reference data shipped with the registry: the GB/T 4754-2017 table and the default sector tags."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

INDUSTRY_CSV = Path(__file__).resolve().parent / "data" / "industry_gbt4754_2017.csv"

DEFAULT_SECTORS = (
    "外贸",
    "外资",
    "规上工业",
    "零售",
    "餐饮",
    "住宿",
    "电商",
    "物流",
    "防疫物资生产",
    "民生保供",
    "重点项目",
    "建筑业",
    "服务业",
)


def load_reference_data(industry_model: Any, sector_model: Any) -> None:
    """Idempotent; takes models as arguments so that migrations can pass historical ones."""
    with INDUSTRY_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    industry_model.objects.bulk_create(
        [
            industry_model(code=r["code"], name=r["name"], level=r["level"], parent_id=r["parent"] or None)
            for r in rows
        ],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "parent"],
    )
    for order, name in enumerate(DEFAULT_SECTORS):
        sector_model.objects.get_or_create(name=name, defaults={"sort_order": order * 10})
