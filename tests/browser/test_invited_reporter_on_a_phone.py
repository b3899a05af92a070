"""In a real browser on a phone (issue 14 §4): an enterprise's clerk, enrolled from the registry,
gets the invitation SMS, opens its link, signs in with the code the next SMS brings and submits
today's report — no password anywhere. The SMS gateway is a local fake on 127.0.0.1."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from fugong.accounts.models import User
from fugong.accounts.onboarding import ContactRow, do_enrol_reporters
from fugong.dispatch.models import Report
from fugong.notify.delivery import deliver_one
from fugong.notify.models import Channel
from tests.support.fake_webhook import FakeWebhook, fake_webhook

PHONE = "13900002222"


def texts_to(gateway: FakeWebhook, phone: str) -> list[str]:
    return [s.body["text"] for s in gateway.seen if s.body.get("phone") == phone]


def next_text(gateway: FakeWebhook, phone: str, after: int, seconds: float = 10) -> str:
    """The SMS after the first `after` to the phone (a sign-in code is sent in its own thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        texts = texts_to(gateway, phone)
        if len(texts) > after:
            return texts[after]
        time.sleep(0.05)
    raise AssertionError(f"no SMS to {phone} within {seconds} s: {texts_to(gateway, phone)}")


def test_an_invited_clerk_opens_the_sms_link_signs_in_with_a_code_and_reports(
    live_server: Any, browser: Any, scene: dict[str, Any], settings: Any
) -> None:
    settings.FUGONG_SITE_URL = live_server.url  # the links in an SMS are absolute
    enterprise = scene["enterprise"]
    with fake_webhook() as gateway:
        Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url=gateway.url("/sms"), secret="gw-token")
        dispatcher = User.objects.get(username="cc-dispatcher")
        enrolled = do_enrol_reporters(dispatcher, [ContactRow(1, enterprise.uscc, "王会计", "139 0000 2222")], channel="web")
        assert (enrolled.created, enrolled.invited) == (1, 1)
        assert gateway.seen == []  # queued in the outbox, not sent by the import
        while deliver_one():
            pass
        invitation = next_text(gateway, PHONE, 0)
        assert enterprise.name in invitation and "长春市调度员" in invitation
        link = re.search(r"https?://\S+", invitation)
        assert link is not None, invitation

        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
        ).new_page()
        phone.goto(link.group(0))
        assert phone.locator("input[name=phone]").first.input_value() == PHONE  # prefilled by the link
        phone.get_by_role("button", name="获取验证码").click()
        code = re.search(r"\d{6}", next_text(gateway, PHONE, 1))
        assert code is not None
        phone.locator("input[name=code]").fill(code.group(0))
        phone.screenshot(path=str(Path(settings.VAR_DIR) / "mobile-sms-sign-in.png"), full_page=True)
        phone.locator("form", has=phone.locator("input[name=code]")).get_by_role("button", name="登录").click()

    # the link's next: straight to the enterprise's report form
    assert enterprise.name in phone.content()
    phone.get_by_label("已复工").check()
    phone.get_by_label("报到人数").fill("300")
    phone.get_by_label("报到后隔离").fill("20")
    phone.get_by_label("实际到岗").fill("260")
    phone.get_by_label("产能恢复比例（%）").fill("55")
    phone.get_by_role("button", name="报送").click()
    assert phone.get_by_text("今日已报送").is_visible()
    phone.screenshot(path=str(Path(settings.VAR_DIR) / "mobile-invited-after-report.png"))
    report = Report.objects.get(enterprise=enterprise)
    by = report.revisions.get().by
    assert report.on_duty == 260 and by is not None and by.phone == PHONE
