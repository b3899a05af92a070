"""The region tree: real GB/T 2260 data, Jilin's dispatch hierarchy, subtree queries."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fugong.enterprises.models import Enterprise
from fugong.regions.loader import load_regions
from fugong.regions.models import Kind, Level, Region
from tests.conftest import World

# The addressees of the province's notice of 2020-02-17 (seed 000).
JILIN_DIRECT_UNITS = {
    "长春市",
    "吉林市",
    "四平市",
    "辽源市",
    "通化市",
    "白山市",
    "松原市",
    "白城市",
    "延边朝鲜族自治州",
    "长白山管委会",
    "长春新区",
    "公主岭市",
    "梅河口市",
}


def test_the_national_tables_are_complete(world: World) -> None:
    assert Region.objects.filter(level=Level.PROVINCE).count() == 34
    assert Region.objects.filter(level=Level.CITY, kind=Kind.ADMINISTRATIVE).count() == 333
    assert Region.objects.filter(level=Level.COUNTY, kind=Kind.ADMINISTRATIVE).count() == 2846
    assert Region.objects.filter(level=Level.TOWN, code__startswith="22").count() == 1024


def test_jilin_reports_through_exactly_the_units_addressed_by_the_province(world: World) -> None:
    children = Region.objects.filter(parent_id="220000")
    assert {r.name for r in children} == JILIN_DIRECT_UNITS


def test_a_province_managed_city_keeps_its_administrative_parent(world: World) -> None:
    gongzhuling = Region.objects.get(code="220184")
    assert (gongzhuling.parent_id, gongzhuling.admin_parent_id) == ("220000", "220100")
    assert gongzhuling.path == "/220000/220184/"


def test_a_zone_inside_a_new_area_is_dispatched_through_it(world: World) -> None:
    gaoxin = Region.objects.get(code="220173")
    assert gaoxin.kind == Kind.ZONE
    assert [r.name for r in gaoxin.ancestors()] == ["吉林省", "长春新区"]
    assert gaoxin.admin_parent_id == "220100"


def test_the_changchun_subtree_excludes_units_that_report_elsewhere(world: World) -> None:
    changchun = Region.objects.get(code="220100")
    codes = set(Region.objects.subtree(changchun).values_list("code", flat=True))
    assert {"220100", "220102", "220104", "220171", "220102001"} <= codes
    assert "220184" not in codes and "220173" not in codes


def test_everything_under_a_city_is_one_query(world: World) -> None:
    changchun = Region.objects.get(code="220100")
    with CaptureQueriesContext(connection) as queries:
        count = Enterprise.objects.in_region(changchun.path).count()
    assert count == 2
    assert len(queries) == 1
    assert "LIKE" in queries[0]["sql"].upper()


def test_loading_again_changes_nothing(world: World) -> None:
    before = list(Region.objects.values_list("code", "name", "parent_id", "admin_parent_id", "path"))
    load_regions(["22"])
    after = list(Region.objects.values_list("code", "name", "parent_id", "admin_parent_id", "path"))
    assert before == after


def test_the_command_loads_towns_for_the_listed_provinces(world: World, capsys: Any) -> None:
    from django.core.management import call_command

    call_command("load_regions", "--towns", "15")
    assert Region.objects.filter(level=Level.TOWN, code__startswith="15").count() == 1209
    assert "已载入区划" in capsys.readouterr().out


def test_the_api_tells_zones_from_administrative_regions(world: World) -> None:
    body = world.client("province").get("/api/v1/regions/220000/children").json()
    kinds = {item["name"]: item["kind"] for item in body["items"]}
    assert body["count"] == 13
    assert kinds["长春新区"] == "zone" and kinds["长春市"] == "admin"
    region = world.client("province").get("/api/v1/regions/220184").json()
    assert region == {
        "code": "220184",
        "name": "公主岭市",
        "level": "county",
        "kind": "admin",
        "parent": "220000",
        "admin_parent": "220100",
        "note": "省直管县级市：行政上属长春市，直接向省报送",
    }
