"""The request parser's refusals (pydantic's error list) in Chinese: the field, what is wrong, the limit."""

from __future__ import annotations

from typing import Any

from fugong.core.errors import ErrorItem

SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}
# how pydantic names the member of a union that failed ("str", "list[str]", "constrained-str"…)
TYPE_TAGS = {"str", "int", "float", "bool", "decimal", "none"}


def is_type_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in TYPE_TAGS or "[" in part or "-" in part)

# pydantic's error types → a Chinese message; {…} are filled from the error's ctx
MESSAGES = {
    "missing": "必填，请提供此字段",
    "string_too_long": "最多{max_length}个字符",
    "string_too_short": "至少{min_length}个字符",
    "too_long": "最多{max_length}项，实际{actual_length}项",
    "too_short": "至少{min_length}项",
    "greater_than": "应大于{gt}",
    "greater_than_equal": "应不小于{ge}",
    "less_than": "应小于{lt}",
    "less_than_equal": "应不大于{le}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "数字位数过多（最多{max_digits}位）",
    "decimal_max_places": "小数位数过多（最多{decimal_places}位）",
    "bool_parsing": "应为是/否（true 或 false）",
    "bool_type": "应为是/否（true 或 false）",
    "string_type": "应为文字",
    "string_unicode": "应为 UTF-8 文字",
    "list_type": "应为列表",
    "dict_type": "应为对象（{…}）",
    "model_type": "应为对象（{…}）",
    "model_attributes_type": "应为对象（{…}）",
    "date_parsing": "应为日期，如 2020-02-10",
    "date_from_datetime_parsing": "应为日期，如 2020-02-10",
    "date_from_datetime_inexact": "应为日期（不含时刻），如 2020-02-10",
    "date_type": "应为日期，如 2020-02-10",
    "datetime_parsing": "应为日期时刻，如 2020-02-10T09:30:00+08:00",
    "datetime_from_date_parsing": "应为日期时刻，如 2020-02-10T09:30:00+08:00",
    "datetime_type": "应为日期时刻，如 2020-02-10T09:30:00+08:00",
    "date_past": "应为今天以前的日期",
    "date_future": "应为今天以后的日期",
    "time_parsing": "应为时刻，如 16:00",
    "literal_error": "只能是 {expected}",
    "enum": "只能是 {expected}",
    "json_invalid": "不是有效的 JSON",
    "extra_forbidden": "不是可以提交的字段",
    "none_required": "应为空（null）",
    "value_error": "取值有误：{error}",
    "uuid_parsing": "应为 UUID",
}


def field_of(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """body.payload.ids.3 → "ids.3"; query.page → "page" (the source and Ninja's argument name dropped)."""
    parts = list(loc)
    if parts and parts[0] in SOURCES:
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)  # the view's argument name ("payload")
    return ".".join(str(p) for p in parts if not is_type_tag(p)) or None


def chinese_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    template = MESSAGES.get(kind)
    if template is None:
        # our own PydanticCustomErrors (limits.py) already speak Chinese
        message = str(error.get("msg", ""))
        return message if any("\u4e00" <= ch <= "\u9fff" for ch in message) else f"格式不正确（{message}）"
    try:
        return template.format(**{k: v for k, v in ctx.items()})
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("（，") or "格式不正确"


def chinese_errors(errors: list[dict[str, Any]]) -> list[ErrorItem]:
    """One item per field: a value failing every member of a union is one mistake, not five.
    The item's code is pydantic's error type (missing, string_too_long…)."""
    seen: dict[str | None, ErrorItem] = {}
    for error in errors:
        field = field_of(tuple(error.get("loc", ())))
        if field not in seen:
            seen[field] = ErrorItem(chinese_message(error), str(error.get("type") or "invalid"), field)
    return list(seen.values())
