"""Steps the browser tests share."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
