"""Parsing of one value as people type it into forms and spreadsheets (Excel, WPS, CSV).

Each parser takes what arrived (text from a form or CSV, a float or date from calamine, an int
or bool from JSON) and returns the typed value or raises CellError with a Chinese reason that
says what is wrong and how to fix it. Empty input gives None; required-ness is the caller's.
"""

from __future__ import annotations

import datetime
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋％：／　", "0123456789.,-+%:/ ")
EXCEL_ERRORS = {"#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
TRUE_WORDS = {"是", "√", "✓", "✔", "y", "yes", "true", "1", "有", "对"}
FALSE_WORDS = {"否", "×", "✗", "✘", "x", "n", "no", "false", "0", "无", "不是"}
YES_OR_NO = TRUE_WORDS | FALSE_WORDS
EXCEL_EPOCH = datetime.date(1899, 12, 30)


class CellError(ValueError):
    """A value that cannot be used, with the reason in Chinese."""


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_text(value: Any, *, max_length: int | None = None) -> str | None:
    if is_blank(value):
        return None
    reject_non_scalar(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell comes back as 13900000000.0
    text = " ".join(str(value).split())
    reject_excel_error(text)
    if max_length is not None and len(text) > max_length:
        raise CellError(f"内容过长：最多{max_length}个字，现为{len(text)}个字，请精简后重填")
    return text


def reject_non_scalar(value: Any) -> None:
    if isinstance(value, list | tuple | dict | set):
        raise CellError("应填写单个值，不能是列表")
    if isinstance(value, float) and not math.isfinite(value):
        raise CellError(f"“{value}”不是有效数值")
    if isinstance(value, str) and "\x00" in value:
        raise CellError("内容含有不可见的控制字符（NUL），请删除后重新填写")


MAX_DIGITS = 15  # larger figures are typing errors here, and would overflow the columns


def reject_excel_error(text: str) -> None:
    if text.strip().upper() in EXCEL_ERRORS:
        raise CellError(f"单元格是公式错误值“{text.strip()}”，请修正公式或改填数值")


def _number_text(value: Any) -> str:
    text = str(value).translate(FULL_WIDTH).strip().replace(" ", "")
    reject_excel_error(text)
    return text.replace(",", "")


def parse_int(value: Any, *, minimum: int | None = 0, maximum: int | None = None) -> int | None:
    kind = type(value)
    if kind is int or (
        kind is float and value.is_integer()
    ):  # most cells (a sheet's are floats): no text to check
        number = int(value)
    elif is_blank(value):
        return None
    elif isinstance(value, bool):
        raise CellError("应填写整数，而不是是/否")
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        reject_non_scalar(value)  # inf, nan
        raise CellError(f"应为整数，“{value:g}”带有小数")
    else:
        reject_non_scalar(value)
        text = _number_text(value)
        text = re.sub(r"(人|户|个)$", "", text)
        try:
            as_decimal = Decimal(text)
        except InvalidOperation:
            raise CellError(f"“{value}”不是数字，请填写整数，如 120") from None
        if not as_decimal.is_finite() or as_decimal.adjusted() >= MAX_DIGITS:
            raise CellError(f"“{value}”数值过大，请核对")
        if as_decimal != as_decimal.to_integral_value():
            raise CellError(f"应为整数，“{value}”带有小数")
        number = int(as_decimal)
    if minimum is not None and number < minimum:
        raise CellError(f"不能小于{minimum}，现为{number}")
    if maximum is not None and number > maximum:
        raise CellError(f"不能大于{maximum}，现为{number}")
    return number


def parse_decimal(
    value: Any, *, minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None, places: int = 2
) -> Decimal | None:
    if is_blank(value):
        return None
    reject_non_scalar(value)
    if isinstance(value, bool):
        raise CellError("应填写数值，而不是是/否")
    try:
        number = Decimal(str(value)) if isinstance(value, int | float) else Decimal(_number_text(value))
    except InvalidOperation:
        raise CellError(f"“{value}”不是数值，请填写数字，如 35.5") from None
    if not number.is_finite() or number.adjusted() >= MAX_DIGITS - places:
        raise CellError(f"“{value}”数值过大，请核对（最多{MAX_DIGITS - places}位整数）")
    number = number.quantize(Decimal(1).scaleb(-places))
    if minimum is not None and number < minimum:
        raise CellError(f"不能小于{minimum}，现为{number}")
    if maximum is not None and number > maximum:
        raise CellError(f"不能大于{maximum}，现为{number}")
    return number


def parse_percent(value: Any, *, maximum: Decimal = Decimal(200), ratios: bool = False) -> Decimal | None:
    """A percentage in points: "65%" and 65 mean 65. With `ratios` (spreadsheets, where a cell
    formatted as a percentage holds 0.65), a value below 1 without a % sign is a ratio."""
    if is_blank(value):
        return None
    text = _number_text(value) if not isinstance(value, int | float) else str(value)
    had_sign = text.endswith("%")
    number = parse_decimal(text.rstrip("%"), maximum=None, places=4)
    assert number is not None
    if ratios and not had_sign and Decimal(0) < number < Decimal(1):
        number *= 100
    number = number.quantize(Decimal("0.01"))
    if number > maximum:
        raise CellError(f"比例不能超过{maximum}%，现为{number}%")
    return number


def parse_bool(value: Any) -> bool | None:
    if type(value) is str and value in YES_OR_NO:  # most cells: “是” or “否” as typed
        return value in TRUE_WORDS
    if is_blank(value):
        return None
    reject_non_scalar(value)
    if isinstance(value, bool):
        return value
    text = str(value).translate(FULL_WIDTH).strip().lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(int(value)) if float(value).is_integer() else text
    reject_excel_error(text)
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(f"“{value}”无法识别，请填写“是”或“否”")


DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: Any) -> datetime.date | None:
    if is_blank(value):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    reject_non_scalar(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 < value < 80000:  # an Excel serial day number
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        value = str(int(value))
    text = str(value).translate(FULL_WIDTH).strip()
    reject_excel_error(text)
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise CellError(f"“{value}”不是存在的日期，请核对月份和日") from None
    raise CellError(f"“{value}”不是可识别的日期，请写成 2020-02-17 或 2020年2月17日")


def parse_time(value: Any) -> datetime.time:
    """A clock time written "16:00" (or "16：00")."""
    if isinstance(value, datetime.time):
        return value
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", str(value or "").strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise CellError(f"“{value}”不是有效的时间，请写成 16:00")
    return datetime.time(int(match.group(1)), int(match.group(2)))
