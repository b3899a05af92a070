"""Bounds: every list and text in a request schema, the request body, and the page number."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from fugong.notify.models import Notification
from tests.conftest import World
from tests.support.api_operations import Operation, ids, lists, openapi, writes


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_marking_a_thousand_and_one_messages_read_is_refused_naming_the_field_and_the_limit(
    world: World,
) -> None:
    user = world.user("reporter")
    Notification.objects.create(user=user, topic="notice", title="请于16时前报送")
    response = post_json(world.client("reporter"), "/api/v1/notifications/read", {"ids": list(range(1, 1002))})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request"
    assert "ids" in body["message"] and "最多1000项" in body["message"], body["message"]
    assert body["details"]["errors"][0]["field"] == "ids"
    assert Notification.objects.filter(user=user, read_at__isnull=True).count() == 1  # nothing marked


def test_a_million_ids_are_refused_before_they_are_read(world: World) -> None:
    body = json.dumps({"ids": list(range(1_000_000))})  # about 7 MB
    response = world.client("reporter").post("/api/v1/notifications/read", body, content_type="application/json")
    assert response.status_code == 413
    answer = response.json()
    assert answer["code"] == "payload_too_large"
    assert "上限为1.0 MB" in answer["message"] and "分批" in answer["message"]


def test_a_page_form_over_the_limit_gets_a_readable_page(world: World) -> None:
    response = world.client("changchun").post("/enterprises/new/", {"name": "甲" * 400_000})  # 1.2 MB
    assert response.status_code == 413
    page = response.content.decode()
    assert "提交的内容过大" in page and "返回首页" in page
    assert response["Content-Type"].startswith("text/html")


@override_settings(FUGONG_MAX_REQUEST_BYTES=1000)
def test_the_limit_is_the_setting(world: World) -> None:
    response = post_json(world.client("reporter"), "/api/v1/notifications/read", {"ids": list(range(1, 400))})
    assert response.status_code == 413 and "上限为1 KB" in response.json()["message"]


def test_an_upload_page_keeps_the_upload_limit(world: World) -> None:
    # 2 MB of spreadsheet is over the request limit but well under FUGONG_MAX_UPLOAD_BYTES:
    # it reaches the import page, which answers about the file itself, not 413.
    from django.core.files.uploadedfile import SimpleUploadedFile

    sheet = SimpleUploadedFile("企业名单.csv", b"x" * (2 * 1024 * 1024), content_type="text/csv")
    response = world.client("changchun").post("/enterprises/import/", {"file": sheet})
    assert response.status_code != 413
    assert "提交的内容过大" not in response.content.decode()


def walk(schema: dict[str, Any], components: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Lists and strings without a maximum, anywhere inside a request schema."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return walk(components[name], components, name, seen | {name})
    missing = []
    for key in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(key, []):
            missing += walk(member, components, where, seen)
    kind = schema.get("type")
    if kind == "array":
        if "maxItems" not in schema:
            missing.append(f"{where}: list without maxItems")
        missing += walk(schema.get("items", {}), components, f"{where}[]", seen)
    if kind == "string" and "maxLength" not in schema and "format" not in schema and "enum" not in schema:
        missing.append(f"{where}: string without maxLength")
    for name, prop in schema.get("properties", {}).items():
        missing += walk(prop, components, f"{where}.{name}", seen)
    return missing


@pytest.mark.parametrize("operation", writes(), ids=ids(writes()))
def test_every_list_and_text_in_a_request_body_has_a_maximum(operation: Operation) -> None:
    components = openapi()["components"]["schemas"]
    body = operation.spec["requestBody"]["content"]["application/json"]["schema"]
    assert walk(body, components, str(operation), set()) == []


PAGES = ["9223372036854775808", "99999999999999999999999", "-1", "0", "abc", "1.5", "1e3", ""]


@pytest.mark.parametrize("operation", lists(), ids=ids(lists()))
@pytest.mark.parametrize("page", PAGES)
def test_a_page_number_no_list_has_is_refused_in_chinese_not_a_500(
    world: World, operation: Operation, page: str
) -> None:
    response = world.client("province").get(operation.url, {"page": page})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid_request" and "page" in body["message"]
    assert any(word in body["message"] for word in ("应为整数", "应不小于1", "应不大于100000")), body["message"]


@pytest.mark.parametrize("operation", lists(), ids=ids(lists()))
def test_a_page_past_the_last_is_empty(world: World, operation: Operation) -> None:
    response = world.client("province").get(operation.url, {"page": "100000"})
    assert response.status_code == 200
    assert response.json()["items"] == []
