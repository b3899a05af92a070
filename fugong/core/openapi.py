"""The error responses of every API operation, added to Ninja's OpenAPI description in one place.

The handlers in fugong/api.py answer every refusal as {code, message, details}; which statuses
an operation can give follows from its shape (signed in or not, reads or writes, has a body),
so a new endpoint is documented without anyone remembering to.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from fugong.core.errors import ErrorItem

ITEM_REF = {"$ref": "#/components/schemas/ErrorItem"}
# one Chinese line per ErrorItem key; a key added there without one here fails the schema's build
ITEM_DESCRIPTIONS = {
    "message": "中文说明：这一项哪里有误、怎样改正",
    "code": "供程序判断：required（必填）、too_long、bad_file（文件无法读取）、invalid（取值有误），"
    "请求格式错误时为校验类型（如 missing、string_too_long），待确认的提醒为其代码（confirm 中回传）",
    "field": "出错的字段名（列表中的项写作 ids.3）；针对整个请求或整个文件时为 null",
    "label": "字段的中文名称（表单、表格表头中的叫法），无则为 null",
    "row": "表格导入时出错的行号（与 Excel/WPS 中的行号一致，从1起），其他情况为 null",
    "column": "表格导入时出错列的表头文字，其他情况为 null",
}
LIST_DESCRIPTIONS = {
    "errors": "必须改正的错误，逐项列出（422 validation_failed、invalid_request 时至少一项）",
    "warnings": "需确认的提醒（confirmation_required）：确认无误后把各项 code 放入 confirm 重新提交",
    "confirmed": "本次已确认的提醒",
}


def error_item_schema() -> dict[str, Any]:
    schema = TypeAdapter(ErrorItem).json_schema()
    for name, prop in schema["properties"].items():
        prop.pop("default", None)  # every key is always sent, null where it does not apply
        prop["description"] = ITEM_DESCRIPTIONS[name]
    schema["required"] = list(schema["properties"])
    schema["additionalProperties"] = False
    schema["description"] = "校验错误（及待确认提醒）的一项，所有接口格式相同"
    return schema


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "所有错误的统一格式：code 供程序判断，message 是给人看的中文说明，details 是补充信息",
    "properties": {
        "code": {"type": "string", "description": "错误代码，如 not_found、validation_failed"},
        "message": {"type": "string", "description": "中文说明：哪里有误、怎样改正"},
        "details": {
            "type": "object",
            "description": "补充信息。校验错误逐项列于 errors（及 warnings、confirmed），每项格式见 ErrorItem；"
            "冲突等其他错误另有说明中的键（如 409 的 current、allowed）",
            "properties": {
                name: {"type": "array", "items": ITEM_REF, "description": text}
                for name, text in LIST_DESCRIPTIONS.items()
            },
            "additionalProperties": True,
        },
    },
    "required": ["code", "message", "details"],
}

DESCRIPTIONS = {
    400: "请求有误（如 JSON 无法解析、含有不可存储的字符、参数组合不对）",
    401: "未登录、令牌无效，或用户名密码错误",
    403: "可以查看但无权进行此操作",
    404: "对象不存在，或不在您的管辖范围内",
    409: "与已有数据冲突（如同一 client_id 内容不同、当前状态不允许此操作、所基于的版本已过期："
    "stale_revision / stale_version，details.current 为已保存的值）",
    413: "请求体超过大小上限",
    422: "字段格式或取值有误，details.errors 逐项说明（每项格式见 ErrorItem）；"
    "confirmation_required 时 details.warnings 列出需确认的提醒",
    429: "尝试次数过多，请稍后再试",
    503: "数据库暂时不可用，请按 Retry-After 头的秒数后重试",
}
WRITES = {"post", "put", "patch", "delete"}


def statuses_of(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    signed_in = bool(operation.get("security"))
    statuses = [400, 401, 503]
    if signed_in:
        statuses += [403, 404]
    if method in WRITES:
        statuses.append(409)
    if "requestBody" in operation:
        statuses.append(413)
    if operation.get("parameters") or "requestBody" in operation:
        statuses.append(422)
    if not signed_in and path.endswith(("/auth/token", "/auth/sms-code")):
        statuses.append(429)
    return sorted(statuses)


def document_errors(schema: Any) -> Any:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    components["ErrorItem"] = error_item_schema()
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in statuses_of(path, method, operation):
                if status in responses or str(status) in responses:
                    continue  # the operation documents this one itself
                response: dict[str, Any] = {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": ref}},
                }
                if status == 503:
                    response["headers"] = {
                        "Retry-After": {"description": "建议等待的秒数", "schema": {"type": "integer"}}
                    }
                responses[status] = response
    return schema
