"""Typed domain errors: a code, a Chinese message, details and an HTTP status.

Actions raise these; the API handler and the page middleware turn them into responses in
one place, so a rule's message reads the same on every channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = "请求有误"

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequest(DomainError):
    code = "bad_request"
    status = 400


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    default_message = "请先登录，或在请求头 Authorization 中提供有效的令牌（Bearer <token>）"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = "您可以查看此对象，但没有修改它的权限；如需修改，请联系上级调度员"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "对象不存在，或不在您的管辖范围内"


class MethodNotAllowed(DomainError):
    code = "method_not_allowed"
    status = 405
    default_message = "此接口不支持该请求方法"


class Conflict(DomainError):
    code = "conflict"
    status = 409


@dataclass(frozen=True)
class ErrorItem:
    """One thing wrong with the input, in the one shape every validation refusal lists
    (details.errors, and details.warnings / details.confirmed for what is to be confirmed).
    Documented as the ErrorItem schema of /api/v1/openapi.json (core.openapi)."""

    message: str  # Chinese: what is wrong and how to fix it
    code: str = "invalid"  # for programs: required, too_long, bad_file, or a warning's code to confirm
    field: str | None = None  # the request field (or dotted path, "ids.3"), None for the input as a whole
    label: str | None = None  # the field's Chinese name, as forms and sheet headers call it
    row: int | None = None  # the sheet row, 1-based as the spreadsheet numbers it; None outside sheets
    column: str | None = None  # the sheet column's header text; None outside sheets

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ERROR_ITEM_KEYS = frozenset(f.name for f in fields(ErrorItem))
ItemLike = ErrorItem | dict[str, Any] | str


def error_item(item: ItemLike) -> dict[str, Any]:
    """An item as it is sent. A plain message or a dict with some of the keys is completed; a dict
    with another key is a bug in the raiser (TypeError), so no second shape can creep back in."""
    if isinstance(item, str):
        item = ErrorItem(item)
    elif isinstance(item, dict):
        item = ErrorItem(**item)
    return item.as_dict()


class ValidationFailed(DomainError):
    """Input that breaks a rule. details["errors"] always lists ErrorItems: the raiser's, or (raised
    with a message alone) one item holding the message; a request to confirm (details["warnings"]
    given) may have none. Other details keys stay as given."""

    code = "validation_failed"
    status = 422
    default_message = "提交的数据有误，请按提示修改后重新提交"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        errors: Sequence[ItemLike] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, details=details)
        details = dict(self.details)
        if errors is None:
            errors = details.get("errors")
        if errors is None:
            errors = [] if "warnings" in details else [ErrorItem(self.message, field=field)]
        details["errors"] = [error_item(e) for e in errors]
        for key in ("warnings", "confirmed"):
            if key in details:
                details[key] = [error_item(e) for e in details[key]]
        self.details = details

    @classmethod
    def of(cls, items: Sequence[ErrorItem], **details: Any) -> ValidationFailed:
        """The refusal listing `items`, its message their messages in order."""
        return cls("；".join(i.message for i in items), errors=items, details=details or None)


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    default_message = "登录失败次数过多，请稍后再试"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    default_message = "提交的内容过大，请减少数据量后重试"


class Unavailable(DomainError):
    """The database (or another service the request needs) cannot be reached right now."""

    code = "unavailable"
    status = 503
    retry_after = 30  # seconds: long enough for a database restart or fail-over
    default_message = "系统暂时无法访问数据库，请稍后（约30秒后）重试；数据未作任何修改"
