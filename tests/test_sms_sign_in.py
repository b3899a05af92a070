"""Reporters sign in with their mobile phone and an SMS code (issue 14 §2), on the page and the API.

The flow tests are transactional: the code goes out after commit, in a thread of its own, to a
local fake gateway on 127.0.0.1, and is read from what the gateway received, as the reporter
reads it off their phone. The rule tests call the actions with a fixed clock and a known code.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from fugong.accounts import sms_sign_in
from fugong.accounts.models import DeviceSession, SmsCode, User
from fugong.accounts.sms_sign_in import SENT, WRONG, check_sign_in_code, do_send_sign_in_code
from fugong.core.errors import TooManyAttempts, Unauthorized, ValidationFailed
from fugong.core.models import AuditEvent
from fugong.notify.models import Channel, Delivery
from tests.support.fake_webhook import FakeWebhook, fake_webhook

PHONE = "13804310000"
STRANGER = "13904319999"  # nobody's
T0 = datetime.datetime(2020, 2, 17, 8, 0, tzinfo=datetime.UTC)
KNOWN_CODE = "123456"


def reporter(phone: str = PHONE, **extra: Any) -> User:
    return User.objects.create_user(f"r{phone}", phone=phone, display_name="王会计", **extra)


def sms_channel(gateway: FakeWebhook | None = None) -> Channel:
    url = gateway.url("/sms") if gateway else "http://127.0.0.1:9/sms"
    return Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url=url, secret="gw-token")


def texts_to(gateway: FakeWebhook, phone: str, count: int = 1, wait: float = 5.0) -> list[str]:
    """The SMS texts the gateway got for `phone`, waiting up to `wait` seconds for `count`."""
    deadline = time.monotonic() + wait
    while True:
        texts = [s.body["text"] for s in gateway.seen if s.body.get("phone") == phone]
        if len(texts) >= count or time.monotonic() > deadline:
            return texts
        time.sleep(0.02)


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


@pytest.fixture
def known_code(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(sms_sign_in.secrets, "randbelow", lambda n: int(KNOWN_CODE))
    return KNOWN_CODE


# --- the whole flow, page and API, through the fake gateway --------------------------------


def test_a_reporter_signs_in_on_the_page_with_the_code_from_the_sms(transactional_db: Any) -> None:
    user = reporter()
    with fake_webhook() as gateway:
        sms_channel(gateway)
        client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 10) Chrome/120.0 Mobile Safari/537.36")
        page = client.get(f"/login/?phone={PHONE}&next=/devices/").content.decode()
        assert "手机验证码登录" in page and f'value="{PHONE}"' in page and 'value="/devices/"' in page
        assert 'name="username"' in page  # staff keep the password form
        sent = client.post("/login/sms/code/", {"phone": "138 0431 0000", "next": "/devices/"})
        assert sent.status_code == 200 and SENT in sent.content.decode()
        [text] = texts_to(gateway, PHONE)
        assert gateway.seen[0].headers["authorization"] == "Bearer gw-token"
        signed_in = client.post("/login/sms/", {"phone": PHONE, "code": code_in(text), "next": "/devices/"})
        assert signed_in.status_code == 302 and signed_in["Location"] == "/devices/"
    devices = client.get("/devices/").content.decode()
    assert "我的设备" in devices and "安卓手机 · Chrome" in devices and "本设备" in devices
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    assert session.expire_date - timezone.now() > datetime.timedelta(days=29)
    assert session.get_decoded()["_auth_user_id"] == str(user.pk)
    # the same code does not sign in a second browser
    again = Client().post("/login/sms/", {"phone": PHONE, "code": code_in(text)})
    assert again.status_code == 401 and WRONG in again.content.decode()


def test_the_api_gives_a_token_for_the_phone_and_its_code_and_still_for_a_password(
    transactional_db: Any,
) -> None:
    reporter()
    User.objects.create_user("staff-clerk", password="pass-2020-x")
    with fake_webhook() as gateway:
        sms_channel(gateway)
        client = Client()
        answer = client.post("/api/v1/auth/sms-code", {"phone": PHONE}, content_type="application/json")
        assert answer.status_code == 202 and answer.json() == {"message": SENT}
        [text] = texts_to(gateway, PHONE)
        token = client.post(
            "/api/v1/auth/token", {"phone": PHONE, "code": code_in(text)}, content_type="application/json"
        )
    assert token.status_code == 200 and set(token.json()) == {"token", "id", "name"}
    mine = Client().get("/api/v1/auth/tokens", HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    assert mine.status_code == 200 and mine.json()["count"] == 1
    by_password = Client().post(
        "/api/v1/auth/token",
        {"username": "staff-clerk", "password": "pass-2020-x"},
        content_type="application/json",
    )
    assert by_password.status_code == 200 and by_password.json()["token"].startswith("fg_")
    half = Client().post("/api/v1/auth/token", {"phone": PHONE}, content_type="application/json")
    assert half.status_code == 422 and "请填写验证码" in half.json()["message"] + str(half.json()["details"])


def test_an_unknown_or_disabled_phone_gets_the_same_answer_and_no_sms(transactional_db: Any) -> None:
    reporter("13604310000", is_active=False)
    with fake_webhook() as gateway:
        sms_channel(gateway)
        answers = [
            Client().post("/api/v1/auth/sms-code", {"phone": phone}, content_type="application/json")
            for phone in (STRANGER, "13604310000")
        ]
        time.sleep(0.5)  # an SMS would have gone by now
        assert gateway.seen == []
    assert [(a.status_code, a.json()) for a in answers] == [(202, {"message": SENT})] * 2
    again = Client().post("/api/v1/auth/sms-code", {"phone": STRANGER}, content_type="application/json")
    assert again.status_code == 429 and "验证码1分钟内只能获取1次" in again.json()["message"]
    assert 0 < int(again["Retry-After"]) <= 60
    assert not Delivery.objects.exists() and not SmsCode.objects.exists()


def test_two_sign_ins_with_one_code_at_once_give_one_session(transactional_db: Any) -> None:
    reporter()
    with fake_webhook() as gateway:
        sms_channel(gateway)
        do_send_sign_in_code(PHONE, address="10.0.0.1", now=timezone.now())
        [text] = texts_to(gateway, PHONE)
    code = code_in(text)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def use() -> None:
        from django.db import connection

        try:
            barrier.wait()
            check_sign_in_code(PHONE, code, address="10.0.0.2", now=timezone.now())
            outcomes.append("in")
        except Unauthorized:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["in", "refused", "refused", "refused"]


def test_parallel_requests_for_codes_send_one_a_minute(transactional_db: Any) -> None:
    reporter()
    with fake_webhook() as gateway:
        sms_channel(gateway)
        barrier = threading.Barrier(4)
        outcomes: list[str] = []

        def ask() -> None:
            from django.db import connection

            try:
                barrier.wait()
                do_send_sign_in_code(PHONE, address="10.0.0.1", now=timezone.now())
                outcomes.append("sent")
            except TooManyAttempts:
                outcomes.append("refused")
            finally:
                connection.close()

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(outcomes) == ["refused", "refused", "refused", "sent"]
        assert len(texts_to(gateway, PHONE)) == 1


# --- the rules, with a fixed clock and a known code --------------------------------------------


def test_a_code_is_good_for_five_minutes(db: Any, known_code: str) -> None:
    user = reporter()
    sms_channel()
    assert do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0) == SENT
    with pytest.raises(Unauthorized):
        check_sign_in_code(PHONE, known_code, address="10.0.0.1", now=T0 + datetime.timedelta(minutes=5))
    do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0 + datetime.timedelta(minutes=6))
    late_but_in_time = T0 + datetime.timedelta(minutes=10, seconds=59)
    assert check_sign_in_code(PHONE, known_code, address="10.0.0.1", now=late_but_in_time) == user
    with pytest.raises(Unauthorized, match=WRONG):  # single use
        check_sign_in_code(PHONE, known_code, address="10.0.0.1", now=late_but_in_time)


def test_one_code_a_minute_and_five_an_hour_per_phone_said_with_when(db: Any) -> None:
    reporter()
    sms_channel()
    do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0)
    with pytest.raises(TooManyAttempts) as again:
        do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0 + datetime.timedelta(seconds=30))
    assert again.value.message == "验证码1分钟内只能获取1次，请在16:01:00后再获取"  # Shanghai time
    for minute in range(1, 5):
        do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0 + datetime.timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts, match="1小时内已获取5次验证码，请在17:00:00后再获取"):
        do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0 + datetime.timedelta(minutes=30))
    do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0 + datetime.timedelta(minutes=61))
    assert SmsCode.objects.count() == 6
    # a stranger's number is counted the same way: the refusal tells nothing either
    do_send_sign_in_code(STRANGER, address="10.0.0.9", now=T0)
    with pytest.raises(TooManyAttempts, match="1分钟内只能获取1次"):
        do_send_sign_in_code(STRANGER, address="10.0.0.9", now=T0)


def test_one_address_gets_twenty_codes_an_hour_whatever_the_phones(db: Any) -> None:
    sms_channel()
    for n in range(20):
        do_send_sign_in_code(f"1370431{n:04d}", address="10.0.0.7", now=T0)
    with pytest.raises(TooManyAttempts, match="此网络地址1小时内获取验证码过多"):
        do_send_sign_in_code("13704319999", address="10.0.0.7", now=T0)
    do_send_sign_in_code("13704319999", address="10.0.0.8", now=T0)


def test_five_wrong_codes_end_the_code(db: Any, known_code: str) -> None:
    reporter()
    sms_channel()
    do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0)
    for _ in range(5):
        with pytest.raises(Unauthorized, match=WRONG):
            check_sign_in_code(PHONE, "654321", address="10.0.0.1", now=T0)
    with pytest.raises(Unauthorized, match=WRONG):
        check_sign_in_code(PHONE, known_code, address="10.0.0.1", now=T0)


def test_a_disabled_account_does_not_sign_in_with_a_code_it_was_sent(db: Any, known_code: str) -> None:
    user = reporter()
    sms_channel()
    do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0)
    user.is_active = False
    user.save()
    with pytest.raises(Unauthorized, match=WRONG):
        check_sign_in_code(PHONE, known_code, address="10.0.0.1", now=T0)


def test_staff_accounts_do_not_sign_in_by_sms(db: Any) -> None:
    reporter(is_staff=True)
    sms_channel()
    assert do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0) == SENT
    assert not SmsCode.objects.exists()


def test_the_code_is_kept_nowhere_in_clear(db: Any, known_code: str) -> None:
    reporter()
    sms_channel()
    do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0)
    with pytest.raises(Unauthorized):
        check_sign_in_code(PHONE, "000000", address="10.0.0.1", now=T0)
    check_sign_in_code(PHONE, known_code, address="10.0.0.1", now=T0)
    rows = [
        *SmsCode.objects.values(),
        *Delivery.objects.values(),
        *AuditEvent.objects.values(),
    ]
    assert rows and all(known_code not in str(row) for row in rows)
    assert "******" in Delivery.objects.get().body


def test_malformed_input_is_refused_with_the_reason(db: Any) -> None:
    sms_channel()
    with pytest.raises(ValidationFailed) as bad_phone:
        do_send_sign_in_code("0431-88880000", address="10.0.0.1", now=T0)
    assert "固定电话" in str(bad_phone.value.details)
    with pytest.raises(ValidationFailed, match="6位数字"):
        check_sign_in_code(PHONE, "12ab", address="10.0.0.1", now=T0)
    answer = Client().post("/login/sms/code/", {"phone": "12345"})
    assert answer.status_code == 422 and "不是有效的手机号" in answer.content.decode()


def test_without_an_sms_gateway_everyone_is_told_to_use_a_password(db: Any) -> None:
    reporter()
    for phone in (PHONE, STRANGER):
        with pytest.raises(Exception, match="短信网关尚未设置") as refused:
            do_send_sign_in_code(phone, address="10.0.0.1", now=T0)
        assert getattr(refused.value, "status", None) == 503


# --- my devices -------------------------------------------------------------------------------


def test_my_devices_lists_each_signed_in_browser_and_revoking_one_ends_it(db: Any) -> None:
    User.objects.create_user("liu", password="pass-2020-x", phone=PHONE)
    phone, laptop, tablet = (
        Client(HTTP_USER_AGENT=ua)
        for ua in (
            "Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0",
            "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36",
            "Mozilla/5.0 (iPad; CPU OS 16_0) Safari/604.1",
        )
    )
    for client in (phone, laptop, tablet):
        assert client.post("/login/", {"username": "liu", "password": "pass-2020-x"}).status_code == 302
    page = phone.get("/devices/").content.decode()
    assert "安卓手机 · 微信" in page and "Windows 电脑 · Chrome" in page and "iPad · Safari" in page
    assert "我的设备" in phone.get("/").content.decode()  # in the user's corner of the header
    laptop_row = DeviceSession.objects.get(device="Windows 电脑 · Chrome")
    done = phone.post(f"/devices/{laptop_row.pk}/revoke/")
    assert (
        done.status_code == 302
        and "已让“Windows 电脑 · Chrome”退出登录" in phone.get("/devices/").content.decode()
    )
    assert laptop.get("/devices/")["Location"].startswith("/login/")
    assert tablet.get("/devices/").status_code == 200
    phone.post("/devices/revoke-others/")
    assert tablet.get("/devices/")["Location"].startswith("/login/")
    assert phone.get("/devices/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.device_revoke").count() == 2
    # another user's device is not theirs to end
    User.objects.create_user("zhao", password="pass-2020-x")
    other = Client()
    other.post("/login/", {"username": "zhao", "password": "pass-2020-x"})
    mine = DeviceSession.objects.get(user__username="liu")
    assert other.post(f"/devices/{mine.pk}/revoke/").status_code == 404
    assert phone.get("/devices/").status_code == 200


def test_spent_codes_closed_allowances_and_ended_devices_are_purged_once_a_day(
    db: Any, known_code: str
) -> None:
    from fugong.accounts.models import SmsAllowance
    from fugong.accounts.sms_sign_in import do_purge_sign_in

    reporter()
    sms_channel()
    do_send_sign_in_code(PHONE, address="10.0.0.1", now=T0)
    signed_in = Client()
    User.objects.create_user("liu", password="pass-2020-x")
    signed_in.post("/login/", {"username": "liu", "password": "pass-2020-x"})
    DeviceSession.objects.create(
        session_key="gone",
        user=User.objects.get(username="liu"),
        device="x",
        signed_in_at=T0,
        last_seen_at=T0,
    )
    assert do_purge_sign_in(T0 + datetime.timedelta(hours=2)) == 1  # the ended device only
    assert do_purge_sign_in(T0 + datetime.timedelta(hours=3)) == 0  # once a day
    next_day = T0 + datetime.timedelta(days=1, hours=1)
    assert do_purge_sign_in(next_day) == 1 + 3  # the code and its three allowances
    assert not SmsCode.objects.exists() and not SmsAllowance.objects.exists()
    assert DeviceSession.objects.get().session_key == signed_in.cookies["sessionid"].value
