"""Bounds on what one API request may carry, as types the schemas share.

Every list and free-text string in a request schema has a maximum, so that a request with a
million ids or a megabyte "name" is refused by the parser at once (422, naming the field and
the limit) instead of tying a worker up; the same bounds appear in the OpenAPI description.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

NAME_CHARS = 200  # names, codes, titles, labels
TEXT_CHARS = 5000  # descriptions, notes, suggestions: a page of text
ITEMS = 1000  # ids in one request (mark read, nominations): more than any page shows
TAGS = 100  # tags, measures, choices picked from a short list
NUMBER_CHARS = 30  # a decimal written as a string
DB_INT = 2**63 - 1  # the largest id a bigint column holds
PAGES = 100_000  # a page beyond this is not a page anyone reads (and its offset stays a bigint)

Name = Annotated[str, Field(max_length=NAME_CHARS)]
Text = Annotated[str, Field(max_length=TEXT_CHARS)]
Id = Annotated[int, Field(ge=1, le=DB_INT)]
SmallInt = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


def too_long(what: str, limit: int, actual: int, unit: str) -> PydanticCustomError:
    return PydanticCustomError(
        "too_long_value",
        "{what}最多{limit}{unit}，实际{actual}{unit}",
        {"what": what, "limit": limit, "actual": actual, "unit": unit},
    )


def bound_raw(value: Any) -> Any:
    """A value typed as a person would (a string, number, yes/no or a list of strings), bounded."""
    if isinstance(value, str) and len(value) > TEXT_CHARS:
        raise too_long("文字", TEXT_CHARS, len(value), "个字符")
    if isinstance(value, list):
        if len(value) > TAGS:
            raise too_long("列表", TAGS, len(value), "项")
        longest = max((len(v) for v in value if isinstance(v, str)), default=0)
        if longest > NAME_CHARS:
            raise too_long("列表中每项", NAME_CHARS, longest, "个字符")
    return value


RAW_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "maxLength": TEXT_CHARS},
        {"type": "integer"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "maxItems": TAGS, "items": {"type": "string", "maxLength": NAME_CHARS}},
        {"type": "null"},
    ]
}
# The actions parse these values with the spreadsheet's rules (cells.py); the schema only bounds them.
RawValue = Annotated[
    str | int | float | bool | list[str] | None, BeforeValidator(bound_raw), WithJsonSchema(RAW_SCHEMA)
]
RawScalar = Annotated[
    str | int | float | bool | None,
    BeforeValidator(bound_raw),
    WithJsonSchema({"anyOf": [*RAW_SCHEMA["anyOf"][:4], {"type": "null"}]}),
]


def bound_json(value: Any) -> Any:
    """Free-form JSON objects (a plan's selector, a report's extra fields): at most a few KB."""
    size = len(json.dumps(value, ensure_ascii=False, default=str))
    if size > TEXT_CHARS * 4:
        raise too_long("内容", TEXT_CHARS * 4, size, "个字符")
    return value


def bound_number_text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > NUMBER_CHARS:
        raise too_long("数字", NUMBER_CHARS, len(value), "位")
    return value


# A decimal as JSON allows it: a number, or a string of digits (bounded; the action checks the range).
Amount = Annotated[
    Decimal,
    BeforeValidator(bound_number_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "maxLength": NUMBER_CHARS, "pattern": r"^-?\d{1,12}(\.\d{1,6})?$"},
            ]
        }
    ),
]

JsonObject = Annotated[dict[str, Any], BeforeValidator(bound_json)]
JsonList = Annotated[list[dict[str, Any]], Field(max_length=TAGS), BeforeValidator(bound_json)]


def required_in_docs(*names: str) -> ConfigDict:
    """Marks fields required in the OpenAPI description while the parser still lets them be absent.

    The action then reports a missing field together with every other mistake of the request
    ("新登记企业必须填写企业名称；在册员工不能为负数"), in one answer, as the page and the sheet do.
    """

    def extra(schema: dict[str, Any]) -> None:
        schema["required"] = sorted({*schema.get("required", []), *names})

    return ConfigDict(json_schema_extra=extra)


class Pages(PageNumberPagination):
    """Ninja's page-number pagination with page bounded (a page past bigint used to be a 500)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=PAGES)
        page_size: int | None = Field(None, ge=1, le=PAGES)  # clamped to the list's maximum
