"""The registry through the API and pages: validation messages, filters, scope after a write."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from fugong.core.models import AuditEvent
from fugong.enterprises.models import Enterprise
from tests.conftest import World, uscc


def post(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(payload), content_type="application/json")


def patch(client: Client, path: str, payload: dict[str, Any]) -> Any:
    return client.patch(path, json.dumps(payload), content_type="application/json")


def test_registering_returns_the_enterprise_with_region_and_industry_names(world: World) -> None:
    code = uscc("220102", 501)
    payload = {
        "uscc": code.lower(),
        "name": "长春戊机械有限公司",
        "region": "长春市南关区",
        "industry": "C34",
        "sectors": ["外贸"],
        "tier": "市级",
        "baseline_headcount": "1,200",
        "active_from": "2020-02-17",
    }
    response = post(world.client("changchun"), "/api/v1/enterprises", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["uscc"], body["region"], body["region_name"], body["industry_name"]) == (
        code,
        "220102",
        "南关区",
        "通用设备制造业",
    )
    assert (body["tier"], body["baseline_headcount"], body["sectors"]) == ("city", 1200, ["外贸"])


def test_a_wrong_check_character_names_the_right_one(world: World) -> None:
    code = uscc("220102", 502)
    wrong = code[:17] + ("1" if code[17] != "1" else "2")
    response = post(
        world.client("changchun"), "/api/v1/enterprises", {"uscc": wrong, "name": "甲", "region": "220102"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert f"第18位应为“{code[17]}”" in body["message"]
    assert body["details"]["errors"][0]["field"] == "uscc"


def test_several_errors_are_reported_together(world: World) -> None:
    response = post(world.client("changchun"), "/api/v1/enterprises", {"uscc": "", "baseline_headcount": -1})
    fields = {e["field"] for e in response.json()["details"]["errors"]}
    assert fields == {"uscc", "name", "region", "baseline_headcount"}


def test_a_uscc_already_registered_is_a_conflict(world: World) -> None:
    existing = world.enterprise("nanguan")
    response = post(
        world.client("changchun"),
        "/api/v1/enterprises",
        {"uscc": existing.uscc, "name": "x", "region": "220102"},
    )
    assert response.status_code == 409
    assert (
        response.json()["message"] == f"统一社会信用代码{existing.uscc}已登记为“长春南关汽车零部件有限公司”"
    )


def test_a_conflict_outside_scope_does_not_reveal_the_name(world: World) -> None:
    other = world.enterprise("changyi")
    response = post(
        world.client("changchun"),
        "/api/v1/enterprises",
        {"uscc": other.uscc, "name": "x", "region": "220102"},
    )
    assert response.status_code == 409
    assert "吉林昌邑" not in response.json()["message"]


def test_moving_an_enterprise_out_of_ones_scope_is_refused_and_nothing_changes(world: World) -> None:
    e = world.enterprise("nanguan")
    response = patch(
        world.client("changchun"), f"/api/v1/enterprises/{e.uscc}", {"region": "220202", "name": "新名"}
    )
    assert response.status_code == 422
    assert "不在您的管辖范围内" in response.json()["message"]
    e.refresh_from_db()
    assert (e.region_id, e.name) == ("220102", "长春南关汽车零部件有限公司")


def test_the_province_may_move_an_enterprise_between_cities_and_history_says_so(world: World) -> None:
    e = world.enterprise("nanguan")
    response = patch(world.client("province"), f"/api/v1/enterprises/{e.uscc}", {"region": "220202"})
    assert response.status_code == 200
    event = AuditEvent.objects.get(object_type="enterprise", object_key=str(e.pk), action="enterprise.update")
    assert event.changes == {"region": ["南关区", "昌邑区"]} and event.channel == "api"
    assert world.client("changchun").get(f"/api/v1/enterprises/{e.uscc}").status_code == 404


def test_the_uscc_cannot_be_changed(world: World) -> None:
    e = world.enterprise("nanguan")
    response = patch(world.client("province"), f"/api/v1/enterprises/{e.uscc}", {"uscc": uscc("220102", 999)})
    assert response.status_code == 422
    assert "不能修改" in response.json()["message"]


def test_closing_before_opening_is_refused(world: World) -> None:
    e = world.enterprise("nanguan")
    response = patch(world.client("province"), f"/api/v1/enterprises/{e.uscc}", {"active_to": "2019-12-31"})
    assert response.status_code == 422
    assert "停用日期2019-12-31早于启用日期2020-01-01" in response.json()["message"]


def test_list_filters_combine_with_scope(world: World) -> None:
    client = world.client("province")
    Enterprise.objects.filter(name__startswith="长春朝阳").update(tier="city", above_scale=True)

    def names(query: str) -> set[str]:
        return {item["name"] for item in client.get(f"/api/v1/enterprises?{query}").json()["items"]}

    assert names("region=220100") == {"长春南关汽车零部件有限公司", "长春朝阳食品有限公司"}
    assert names("region=220100Z01") == {"长春高新光电有限公司"}
    assert names("tier=city") == {"长春朝阳食品有限公司"}
    assert names("above_scale=true&region=220100") == {"长春朝阳食品有限公司"}
    assert names("q=公主岭") == {"公主岭粮油加工有限公司"}
    assert len(names("sector=外贸")) == 5
    assert world.client("changchun").get("/api/v1/enterprises?region=220200").status_code == 404


def test_the_edit_page_saves_and_shows_errors_in_place(world: World) -> None:
    e = world.enterprise("nanguan")
    client = world.client("changchun")
    form = {"name": e.name, "region": "220102", "baseline_headcount": "abc", "active_from": "2020-01-01"}
    response = client.post(f"/enterprises/{e.uscc}/edit/", form)
    assert response.status_code == 422
    assert "“abc”不是数字" in response.content.decode()
    form["baseline_headcount"] = "520"
    form["sectors"] = "外贸"
    assert client.post(f"/enterprises/{e.uscc}/edit/", form).status_code == 302
    e.refresh_from_db()
    assert e.baseline_headcount == 520
    detail = client.get(f"/enterprises/{e.uscc}/").content.decode()
    assert "480 → 520" in detail


def test_the_create_page_registers_an_enterprise(world: World) -> None:
    code = uscc("220104", 601)
    form = {
        "uscc": code,
        "name": "长春己商贸有限公司",
        "region": "220104",
        "sectors": ["零售", "外贸"],
        "above_scale": "1",
    }
    response = world.client("changchun").post("/enterprises/new/", form)
    assert response.status_code == 302
    e = Enterprise.objects.get(uscc=code)
    assert e.above_scale and {s.name for s in e.sectors.all()} == {"零售", "外贸"}
