"""统一社会信用代码 (USCC) validation and generation, per GB 32100-2015.

The code has 18 characters from a 31-character alphabet (digits and capital letters without
I, O, Z, S, V). Positions 3–8 are the registering authority's region code; the 18th is a
check character computed from the first 17 with fixed weights, modulo 31.
"""

from __future__ import annotations

import random

from fugong.core.errors import ErrorItem, ValidationFailed

LABEL = "统一社会信用代码"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FULL_WIDTH = {chr(0xFF10 + i): str(i) for i in range(10)} | {
    chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)
}


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(raw: object) -> str:
    """Upper-cases, converts full-width characters and strips spaces; does not validate."""
    text = "" if raw is None else str(raw)
    text = "".join(FULL_WIDTH.get(ch, ch) for ch in text)
    return "".join(text.split()).upper()


def uscc_problem(code: str) -> str | None:
    """The first thing wrong with a normalized code, as a Chinese sentence, or None if valid."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，“{code}”为{len(code)}位，请核对是否漏填或多填"
    for position, ch in enumerate(code, start=1):
        if ch not in ALPHABET:
            return (
                f"统一社会信用代码第{position}位“{ch}”不是合法字符"
                "（只能是数字和除I、O、Z、S、V以外的大写字母）"
            )
    if not code[2:8].isdigit():
        return f"统一社会信用代码第3–8位应为登记机关行政区划码（6位数字），现为“{code[2:8]}”"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"统一社会信用代码校验位错误：第18位应为“{expected}”，现为“{code[17]}”，请核对前17位是否抄错"
    return None


def validate_uscc(raw: object) -> str:
    """Returns the normalized code or raises ValidationFailed naming the problem."""
    code = normalize_uscc(raw)
    if not code:
        raise ValidationFailed.of([ErrorItem("统一社会信用代码不能为空", "required", "uscc", LABEL)])
    problem = uscc_problem(code)
    if problem:
        raise ValidationFailed.of([ErrorItem(problem, "invalid", "uscc", LABEL)])
    return code


def organization_code_check(first8: str) -> str:
    """GB 11714 check character of the 9-character organization code (digits only here)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    value = 11 - sum(int(ch) * w for ch, w in zip(first8, weights, strict=True)) % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def make_uscc(region_code: str, rng: random.Random, *, kind: str = "91") -> str:
    """A well-formed code for demo data: registered in region_code, random organization code."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = kind + region_code[:6] + body + organization_code_check(body)
    return first17 + check_character(first17)
