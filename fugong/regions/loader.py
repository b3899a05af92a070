"""Loads the vendored GB/T 2260 tables and the shipped dispatch overrides, idempotently.

The whole tree is read into memory (a few thousand rows), dispatch paths are computed by
walking up the parent links, and everything is written with one bulk upsert per table, so a
national load takes seconds and running it twice changes nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from django.db import transaction

from fugong.core.signals import registry_changed
from fugong.regions.models import Kind, Level, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
REGIONS_CSV = DATA_DIR / "regions.csv"
TOWNS_CSV = DATA_DIR / "towns.csv"
OVERRIDES_CSV = DATA_DIR / "dispatch_overrides.csv"


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str
    kind: str
    admin_parent: str | None
    parent: str | None
    note: str = ""


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def read_tree(town_provinces: Iterable[str] = ()) -> dict[str, RegionRow]:
    rows: dict[str, RegionRow] = {}
    for r in read_csv(REGIONS_CSV):
        parent = r["parent"] or None
        rows[r["code"]] = RegionRow(r["code"], r["name"], r["level"], Kind.ADMINISTRATIVE, parent, parent)
    prefixes = tuple(town_provinces)
    if prefixes:
        for r in read_csv(TOWNS_CSV):
            if r["code"].startswith(prefixes):
                rows[r["code"]] = RegionRow(
                    r["code"], r["name"], Level.TOWN, Kind.ADMINISTRATIVE, r["county"], r["county"]
                )
    return apply_overrides(rows, read_csv(OVERRIDES_CSV))


def apply_overrides(rows: dict[str, RegionRow], overrides: list[dict[str, str]]) -> dict[str, RegionRow]:
    """Re-parents existing regions in the dispatch tree and adds functional zones."""
    result = dict(rows)
    for o in overrides:
        code = o["code"]
        if code in result:
            result[code] = replace(result[code], parent=o["dispatch_parent"] or None, note=o["note"])
        else:
            result[code] = RegionRow(
                code=code,
                name=o["name"],
                level=o["level"],
                kind=o["kind"] or Kind.ZONE,
                admin_parent=o["admin_parent"] or None,
                parent=o["dispatch_parent"] or None,
                note=o["note"],
            )
    return result


def compute_paths(rows: dict[str, RegionRow]) -> dict[str, str]:
    paths: dict[str, str] = {}

    def path_of(code: str, seen: tuple[str, ...] = ()) -> str:
        if code in paths:
            return paths[code]
        if code in seen:
            raise ValueError(f"区划调度关系出现循环：{' → '.join((*seen, code))}")
        parent = rows[code].parent
        if parent is not None and parent not in rows:
            raise ValueError(f"区划{code}的调度上级{parent}不存在")
        prefix = path_of(parent, (*seen, code)) if parent else "/"
        paths[code] = f"{prefix}{code}/"
        return paths[code]

    for code in rows:
        path_of(code)
    return paths


@transaction.atomic
def load_regions(town_provinces: Iterable[str] = ()) -> int:
    rows = read_tree(town_provinces)
    paths = compute_paths(rows)
    regions = [
        Region(
            code=row.code,
            name=row.name,
            level=row.level,
            kind=row.kind,
            parent_id=row.parent,
            admin_parent_id=row.admin_parent if row.admin_parent in rows else None,
            path=paths[row.code],
            depth=paths[row.code].count("/") - 2,
            note=row.note,
        )
        for row in sorted(rows.values(), key=lambda r: paths[r.code].count("/"))
    ]
    Region.objects.bulk_create(
        regions,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name", "level", "kind", "parent", "admin_parent", "path", "depth", "note"],
    )
    registry_changed.send(sender=Region)  # paths may have moved: derived figures are rebuilt
    return len(regions)
