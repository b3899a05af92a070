"""In a real browser: the 14:00 round reaches a reporter who has not reported; on the phone the
badge shows it, the message leads to the form, and reading it clears the badge."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from fugong.dispatch.plans.reminders import run_reminders
from tests.support.browser import sign_in


def test_a_reminder_leads_a_reporter_from_the_badge_to_the_form(
    live_server: Any,
    browser: Any,
    scene: dict[str, Any],
) -> None:
    today = timezone.localdate()
    at_1400 = timezone.make_aware(datetime.datetime.combine(today, datetime.time(14)))
    assert run_reminders(at_1400) == 1

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    ).new_page()
    sign_in(phone, live_server.url, "cc-reporter")
    badge = phone.locator("a", has_text="消息").locator(".badge")
    assert badge.inner_text() == "1"
    phone.locator("a", has_text="消息").click()
    message = phone.locator("li.card", has_text="尚未报送")
    assert "长春南关汽车零部件有限公司尚未报送" in message.inner_text()
    assert "[填报提醒]" in message.inner_text()
    phone.screenshot(path=str(Path(settings.VAR_DIR) / "mobile-reminder.png"), full_page=True)
    message.get_by_role("button", name="去处理").click()  # a POST: it marks the message read
    assert phone.url.endswith(f"/dispatch/e/{scene['enterprise'].uscc}/report/?date={today}")
    assert phone.get_by_label("实际到岗").is_visible()
    assert phone.locator("a", has_text="消息").locator(".badge").count() == 0  # read
