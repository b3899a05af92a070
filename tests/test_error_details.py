"""Every validation refusal lists its items in one shape, the ErrorItem of /api/v1/openapi.json
(issue 13 §3): a client reads details.errors the same way for a report, a sheet, a work order or a token."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fugong.core import tables
from fugong.core.errors import ValidationFailed
from fugong.core.models import Channel
from fugong.enterprises.importing import check_import_enterprises
from fugong.problems.attachments import check_files
from tests.conftest import PASSWORD, World

ITEM_KEYS = {"code", "message", "field", "label", "row", "column"}


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def items_of(details: dict[str, Any], key: str = "errors") -> list[dict[str, Any]]:
    """The items under `key`, each checked to have exactly the documented keys and a Chinese message."""
    items: list[dict[str, Any]] = details[key]
    for item in items:
        assert set(item) == ITEM_KEYS, item
        assert isinstance(item["code"], str) and item["code"], item
        assert is_chinese(item["message"]), item
    return items


def refused(response: Any, code: str = "validation_failed") -> list[dict[str, Any]]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code, body
    items = items_of(body["details"])
    assert items, body
    return items


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_report_with_a_bad_figure_names_the_field_in_the_one_shape(world: World, plan: Any) -> None:
    body = {
        "enterprise": world.enterprise("nanguan").uscc,
        "date": str(datetime.date.today()),
        "resumed": True,
        "baseline_headcount": 480,
        "reported_back": 300,
        "isolated": 20,
        "on_duty": 310,  # more on duty than came back
        "capacity_pct": 55,
    }
    items = refused(post(world.client("reporter"), "/api/v1/reports", body))
    assert "on_duty" in {i["field"] for i in items}
    assert all(i["row"] is None and i["column"] is None for i in items)


def test_a_report_asking_for_confirmation_lists_its_warnings_in_the_one_shape(world: World, plan: Any) -> None:
    body = {
        "enterprise": world.enterprise("nanguan").uscc,
        "date": str(datetime.date.today()),
        "resumed": True,
        "baseline_headcount": 480,
        "reported_back": 500,
        "isolated": 0,
        "on_duty": 490,
        "capacity_pct": 55,
    }
    response = post(world.client("reporter"), "/api/v1/reports", body)
    assert response.status_code == 422 and response.json()["code"] == "confirmation_required"
    details = response.json()["details"]
    assert items_of(details) == []  # nothing to correct, only to confirm
    assert "over_baseline" in [w["code"] for w in items_of(details, "warnings")]
    assert items_of(details, "confirmed") == []


def test_a_file_that_is_not_a_sheet_is_one_item_about_the_file(world: World) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_import_enterprises(world.user("changchun"), b"%PDF-1.4\n%%EOF\n", "名单.xlsx", channel=Channel.EXCEL)
    (item,) = items_of(error.value.details)
    assert (item["code"], item["row"], item["column"]) == ("bad_file", None, None)
    with pytest.raises(ValidationFailed) as error:
        tables.read_sheet(b"", "空.xlsx")
    assert [i["code"] for i in items_of(error.value.details)] == ["bad_file"]


def test_an_attachment_that_is_not_what_its_name_says_is_an_item_on_files() -> None:
    with pytest.raises(ValidationFailed) as error:
        check_files([SimpleUploadedFile("营业执照.pdf", b"GIF89a")])
    (item,) = items_of(error.value.details)
    assert (item["field"], item["code"]) == ("files", "bad_file")


def test_a_problem_with_missing_fields_lists_each_in_the_one_shape(world: World) -> None:
    body = {"enterprise": world.enterprise("nanguan").uscc, "category": "没有这一类", "title": " ", "description": ""}
    items = refused(post(world.client("reporter"), "/api/v1/problems", body))
    assert {i["field"]: i["code"] for i in items} == {
        "category": "required",
        "title": "required",
        "description": "required",
    }
    assert all(i["label"] for i in items)


def test_a_request_the_parser_refuses_lists_its_fields_in_the_one_shape(world: World) -> None:
    body = {"enterprise": world.enterprise("nanguan").uscc, "category": "用工难"}
    items = refused(post(world.client("reporter"), "/api/v1/problems", body), "invalid_request")
    assert {i["field"]: i["code"] for i in items} == {"title": "missing", "description": "missing"}


def test_a_token_without_a_name_is_an_item_on_name(world: World) -> None:
    body = {"username": "reporter", "password": PASSWORD, "name": "  "}
    (item,) = refused(post(Client(), "/api/v1/auth/token", body))
    assert (item["field"], item["code"]) == ("name", "required")


def test_a_bad_credit_code_is_an_item_on_uscc(world: World) -> None:
    body = {"uscc": "91220102MA0000000X", "name": "长春某某机械有限公司", "region": "220102"}
    (item,) = refused(post(world.client("changchun"), "/api/v1/enterprises", body))
    assert (item["field"], item["label"]) == ("uscc", "统一社会信用代码")


def test_a_rule_raised_with_a_message_alone_still_lists_one_item(world: World, plan: Any) -> None:
    body = {"enterprise": world.enterprise("nanguan").uscc, "date": "2999-01-01", "resumed": True}
    (item,) = refused(post(world.client("reporter"), "/api/v1/reports", body))
    assert item["message"] == post(world.client("reporter"), "/api/v1/reports", body).json()["message"]


def test_the_openapi_schema_documents_the_item_keys(world: World) -> None:
    schema = world.client("province").get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    item = components["ErrorItem"]
    assert set(item["properties"]) == ITEM_KEYS == set(item["required"])
    assert item["additionalProperties"] is False
    assert all(is_chinese(p["description"]) for p in item["properties"].values())
    lists = components["Error"]["properties"]["details"]["properties"]
    for key in ("errors", "warnings", "confirmed"):
        assert lists[key]["items"] == {"$ref": "#/components/schemas/ErrorItem"}
    refusal = schema["paths"]["/api/v1/reports"]["post"]["responses"]["422"]
    assert refusal["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_a_plan_with_bad_selector_entries_lists_one_item_on_selector_for_each(world: World) -> None:
    body = {
        "title": "全省重点企业日调度",
        "owner_region": "220000",
        "start_date": "2020-02-10",
        "selector": {"regions": ["229999"], "tiers": ["village"]},
    }
    items = refused(post(world.client("province"), "/api/v1/plans", body))
    assert [(i["field"], i["label"]) for i in items] == [("selector", "纳入范围")] * 2
    assert "229999" in items[0]["message"] and "village" in items[1]["message"]


def test_a_selector_of_the_wrong_shape_is_an_item_on_selector(world: World) -> None:
    body = {"title": "全省重点企业日调度", "owner_region": "220000", "start_date": "2020-02-10", "selector": {"towns": []}}
    (item,) = refused(post(world.client("province"), "/api/v1/plans", body))
    assert (item["field"], item["label"]) == ("selector", "纳入范围")
