"""Mobile numbers as the registry, the sign-in page and the account pages receive them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from fugong.accounts.models import User
from fugong.core.cells import CellError
from fugong.core.phones import masked, normalize_mobile


@pytest.mark.parametrize(
    "typed", ["13804310000", "138 0431 0000", "138-0431-0000", "+86 138 0431 0000", "008613804310000",
              "８６１３８０４３１００００", 13804310000.0, 13804310000],
)  # fmt: skip
def test_one_number_however_it_is_typed(typed: object) -> None:
    assert normalize_mobile(typed) == "13804310000"


@pytest.mark.parametrize(
    ("typed", "said"),
    [("0431-88880000", "固定电话"), ("88880000", "固定电话"), ("1380431000", "1开头的11位数字"),
     ("12804310000", "1开头的11位数字"), ("138O4310000", "数字以外"), ("", "缺少手机号码"), (None, "缺少手机号码")],
)  # fmt: skip
def test_what_is_not_a_mobile_number_is_refused_with_the_reason(typed: object, said: str) -> None:
    with pytest.raises(CellError, match=said):
        normalize_mobile(typed)


def test_a_number_is_shown_masked() -> None:
    assert masked("13804310000") == "138****0000"


@pytest.mark.django_db
def test_one_account_per_mobile_number_and_any_number_of_accounts_without_one() -> None:
    User.objects.create(username="a", phone="13804310000")
    User.objects.create(username="b")
    User.objects.create(username="c")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="d", phone="13804310000")
