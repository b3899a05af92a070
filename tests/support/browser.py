"""Steps the browser tests share."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD


def sign_in(page: Any, base: str, username: str) -> None:
    """Staff sign-in with the password form (the page's first form is the phone's 获取验证码)."""
    page.goto(f"{base}/login/")
    page.fill("#password input[name=username]", username)
    page.fill("#password input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("#password button[type=submit]")
