"""Mainland mobile numbers as people type them, one rule for every way in.

A reporter's account is keyed by the mobile phone the registry gives for the enterprise, the SMS
code signs it in, and the invitation goes to it, so the enterprise import, the sign-in and the
account pages must read "138 0431 0000", "+86-13804310000" and "13804310000" as one number and
refuse a landline or a typo with the same words. The numbering plan: 11 digits, 1 then 3–9
(MIIT's mobile, IoT-excluded and virtual-operator ranges all start so).
"""

from __future__ import annotations

import re

from fugong.core.cells import FULL_WIDTH, CellError

SEPARATORS = re.compile(r"[\s\-()（）.]")
MOBILE = re.compile(r"1[3-9]\d{9}")


def normalize_mobile(value: object) -> str:
    """The 11 digits of a mainland mobile number, or CellError saying what is wrong with it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number cell gives 13804310000.0
    text = SEPARATORS.sub("", str(value if value is not None else "").translate(FULL_WIDTH))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not text:
        raise CellError("缺少手机号码，请填写11位手机号")
    if MOBILE.fullmatch(text):
        return text
    if text.startswith("0") or len(text) in (7, 8):
        raise CellError(f"“{value}”像是固定电话；账号须用11位手机号接收短信验证码，请改填手机号")
    if not text.isdigit():
        raise CellError(f"“{value}”含有数字以外的字符，请只填写11位手机号")
    raise CellError(f"“{value}”不是有效的手机号（应为1开头的11位数字），请核对")


def masked(phone: str) -> str:
    """138****0000: enough for a person to recognise their own number on a page or an answer."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone
