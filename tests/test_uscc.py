from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fugong.core.errors import ValidationFailed
from fugong.core.uscc import ALPHABET, make_uscc, uscc_problem, validate_uscc

# Codes published in public registration data and in explanations of the standard.
REAL_CODES = ["91110000600037341L", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_it_accepts_real_codes(code: str) -> None:
    assert uscc_problem(code) is None


def test_it_normalizes_lower_case_full_width_and_spaces() -> None:
    assert validate_uscc(" ９１１１００００６０００３７３４１l ") == "91110000600037341L"


def test_it_names_the_length() -> None:
    assert (
        uscc_problem("9111000060003734")
        == "统一社会信用代码应为18位，“9111000060003734”为16位，请核对是否漏填或多填"
    )


def test_it_names_an_illegal_character_and_its_position() -> None:
    problem = uscc_problem("9111000060003734IL")
    assert problem is not None and "第17位“I”不是合法字符" in problem


def test_it_names_the_right_check_character() -> None:
    assert uscc_problem("91110000600037341A") == (
        "统一社会信用代码校验位错误：第18位应为“L”，现为“A”，请核对前17位是否抄错"
    )


def test_it_rejects_an_empty_code_with_a_message() -> None:
    with pytest.raises(ValidationFailed, match="不能为空"):
        validate_uscc("  ")


@given(st.integers(min_value=0, max_value=2**32), st.sampled_from(["220102", "150102", "110101"]))
def test_generated_codes_are_valid(seed: int, region: str) -> None:
    code = make_uscc(region, random.Random(seed))
    assert uscc_problem(code) is None
    assert code[2:8] == region


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=16), st.data())
def test_any_single_changed_character_is_caught(seed: int, position: int, data: st.DataObject) -> None:
    code = make_uscc("220102", random.Random(seed))
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]))
    changed = code[:position] + replacement + code[position + 1 :]
    assert uscc_problem(changed) is not None
