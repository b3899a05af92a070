"""The sign-in throttle (issue 14 §3): growing waits per account, counted atomically; a shared
address does not stop a colleague; the proxy header is believed only from trusted proxies."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from fugong.accounts import actions
from fugong.accounts.models import User
from fugong.core import throttle
from fugong.core.errors import TooManyAttempts, Unauthorized
from fugong.core.models import AuditEvent, Throttle
from tests.conftest import PASSWORD, World

WAIT = r"(\d+秒|\d+分钟)"


@pytest.fixture(autouse=True)
def quick_hashing_of_unknown_names() -> Any:
    """Django hashes the password of a name that has no account too (so timing does not tell);
    the cheap hasher first keeps thirty guesses quick. The personas' hashes still check."""
    with override_settings(
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.MD5PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ]
    ):
        yield


def sign_in(client: Client, username: str, password: str) -> tuple[int, str]:
    response = client.post("/login/", {"username": username, "password": password})
    return response.status_code, response.content.decode()


def time_passes(**scope: str) -> None:
    """Every wait on record (or those of one scope) is over."""
    Throttle.objects.filter(**scope).update(wait_until=timezone.now())


# ---- the parallel race --------------------------------------------------------------------


def test_forty_parallel_wrong_passwords_get_at_most_five_real_checks(transactional_db: Any) -> None:
    """Real threads with their own connections: on PostgreSQL the conditional UPDATE is re-checked
    on the row another request has just changed, on SQLite writers take turns."""
    User.objects.create_user("racer", password=PASSWORD)
    checks = Counter[str]()
    lock = threading.Lock()
    real_authenticate = ModelBackend.authenticate

    def counted(
        self: ModelBackend, request: Any, username: Any = None, password: Any = None, **kw: Any
    ) -> Any:
        with lock:
            checks[str(username)] += 1
        return real_authenticate(self, request, username=username, password=password, **kw)

    outcomes = Counter[str]()
    start = threading.Barrier(40)

    def guess(n: int) -> None:
        try:
            start.wait(timeout=30)
            actions.check_login("racer", f"wrong-{n}", ip=f"10.7.{n}.1")
        except Unauthorized:
            outcome = "checked and wrong"
        except TooManyAttempts:
            outcome = "refused before the check"
        except BaseException as exc:  # reported by the test, not lost in the thread
            outcome = f"error: {exc!r}"
        else:
            outcome = "signed in"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    ModelBackend.authenticate = counted  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        ModelBackend.authenticate = real_authenticate  # type: ignore[method-assign]
    print(f"{connection.vendor}: {dict(outcomes)}; password checks: {checks['racer']}")
    assert outcomes == Counter({"checked and wrong": 5, "refused before the check": 35})
    assert checks["racer"] == 5
    assert Throttle.objects.get(scope="login-user", key="racer").failures == 5


# ---- a shared address ---------------------------------------------------------------------


def test_a_stranger_guessing_many_names_behind_an_office_nat_does_not_stop_a_colleague(world: World) -> None:
    office = "10.0.0.1"
    stranger = Client(REMOTE_ADDR=office)
    for i in range(30):
        status, _ = sign_in(stranger, f"guess{i}", "wrong")
        assert status in (401, 429)
    status, page = sign_in(stranger, "guess7", "wrong")  # a second guess at a name: wait
    assert status == 429 and re.search(
        f"此地址近来登录失败次数过多，账号“guess7”在此地址请{WAIT}后再试", page
    )
    colleague = Client(REMOTE_ADDR=office)
    assert colleague.post("/login/", {"username": "changchun", "password": PASSWORD}).status_code == 302


def test_a_stranger_hammering_their_own_name_behind_the_nat_does_not_stop_a_colleague(world: World) -> None:
    stranger = Client(REMOTE_ADDR="10.0.0.1")
    statuses = Counter(sign_in(stranger, "jilin", "wrong")[0] for _ in range(30))
    assert statuses == Counter({401: 5, 429: 25})  # five real checks, then the account waits
    colleague = Client(REMOTE_ADDR="10.0.0.1")
    assert colleague.post("/login/", {"username": "changchun", "password": PASSWORD}).status_code == 302


# ---- the proxy header ---------------------------------------------------------------------


def address_seen(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return throttle.client_address(RequestFactory().post("/login/", **headers))  # type: ignore[arg-type]


def test_without_trusted_proxies_the_forwarded_header_is_ignored() -> None:
    assert address_seen("198.51.100.9", "1.2.3.4") == "198.51.100.9"


@override_settings(FUGONG_TRUSTED_PROXIES=1)
def test_behind_one_trusted_proxy_the_address_it_saw_counts_and_a_forged_entry_does_not() -> None:
    assert address_seen("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    # the client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the address it really saw
    assert address_seen("127.0.0.1", "1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert address_seen("127.0.0.1", "203.0.113.7:51234") == "203.0.113.7"
    assert address_seen("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert address_seen("127.0.0.1") == "127.0.0.1"


@override_settings(FUGONG_TRUSTED_PROXIES=2)
def test_behind_two_trusted_proxies_the_outer_ones_entry_counts() -> None:
    assert address_seen("10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.3") == "203.0.113.7"


def test_a_client_cannot_escape_the_address_throttle_by_writing_the_header(world: World) -> None:
    for i in range(20):
        Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR=f"172.16.0.{i}").post(
            "/login/", {"username": f"guess{i}", "password": "wrong"}
        )
    forged = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="172.16.9.9")
    status, page = sign_in(forged, "guess3", "wrong")
    assert status == 429 and "此地址近来登录失败次数过多" in page
    assert "来自 10.9.9.9" in AuditEvent.objects.filter(action="auth.lockout").get().note


@override_settings(FUGONG_TRUSTED_PROXIES=1)
def test_behind_the_proxy_each_client_is_counted_apart_and_recorded_by_its_own_address(
    world: World,
) -> None:
    def through_proxy(client_address: str) -> Client:
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address)

    for i in range(20):
        through_proxy("203.0.113.7").post("/login/", {"username": f"guess{i}", "password": "wrong"})
    assert sign_in(through_proxy("203.0.113.7"), "guess3", "wrong")[0] == 429
    assert sign_in(through_proxy("203.0.113.8"), "guess3", "wrong")[0] == 401  # another client
    notes = AuditEvent.objects.filter(action="auth.login_failed").values_list("note", flat=True)
    assert {note.split("：")[0] for note in notes} == {"来自 203.0.113.7", "来自 203.0.113.8"}


# ---- growing waits ------------------------------------------------------------------------


def test_each_failure_after_the_free_ones_doubles_the_wait_up_to_a_quarter_hour(world: World) -> None:
    client = Client()
    said = [sign_in(client, "changchun", "wrong")[1] for _ in range(5)]
    assert "再失败4次需等待1分钟才能再试" in said[0] and "再失败1次需等待1分钟才能再试" in said[3]
    assert "需等待1分钟才能再试" in said[4]
    status, page = sign_in(client, "changchun", PASSWORD)
    assert status == 429
    assert re.search(f"账号“changchun”登录失败次数过多，请{WAIT}后再试；如忘记密码，请联系管理员重置", page)
    waits = []
    for _ in range(6):
        time_passes()
        status, page = sign_in(client, "ChangChun", "wrong")  # one account, however it is typed
        assert status == 401
        waits.append(re.findall(r"需等待(\d+分钟)才能再试", page)[0])
    assert waits == ["2分钟", "4分钟", "8分钟", "15分钟", "15分钟", "15分钟"]
    status, page = sign_in(client, "changchun", "wrong")
    assert status == 429 and re.search(r"请1[45]分钟后再试", page)


def test_attempts_refused_while_waiting_do_not_make_the_wait_longer(world: World) -> None:
    client = Client()
    for _ in range(5):
        sign_in(client, "changchun", "wrong")
    assert {sign_in(client, "changchun", "wrong")[0] for _ in range(10)} == {429}
    time_passes()
    assert "需等待2分钟才能再试" in sign_in(client, "changchun", "wrong")[1]


def test_a_success_clears_the_account_and_old_failures_are_forgotten(world: World) -> None:
    client = Client()
    for _ in range(5):
        sign_in(client, "changchun", "wrong")
    time_passes()
    assert sign_in(Client(), "changchun", PASSWORD)[0] == 302
    assert "再失败4次需等待1分钟才能再试" in sign_in(client, "changchun", "wrong")[1]
    for _ in range(3):
        sign_in(client, "changchun", "wrong")
    Throttle.objects.update(last_failure_at=timezone.now() - timedelta(hours=1, seconds=1))
    assert "再失败4次需等待1分钟才能再试" in sign_in(client, "changchun", "wrong")[1]


def test_the_waits_and_free_failures_follow_the_settings(world: World) -> None:
    with override_settings(FUGONG_LOGIN_MAX_FAILURES=2, FUGONG_LOGIN_FIRST_WAIT_SECONDS=30):
        client = Client()
        assert "再失败1次需等待30秒才能再试" in sign_in(client, "changchun", "wrong")[1]
        assert "需等待30秒才能再试" in sign_in(client, "changchun", "wrong")[1]
        assert sign_in(client, "changchun", PASSWORD)[0] == 429


def test_a_limit_must_not_forget_a_key_that_still_waits() -> None:
    with pytest.raises(ValueError, match="forget_after"):
        throttle.Limit("sms-code", free=3, longest_wait=timedelta(hours=2), forget_after=timedelta(hours=1))


def test_the_throttle_serves_other_secrets_the_same_way(world: World) -> None:
    """As SMS codes will use it: take an attempt before checking, clear on success."""
    codes = throttle.Limit("sms-code", free=2)
    assert throttle.take_attempt(codes, "13900000000") == 1
    assert throttle.take_attempt(codes, "13900000000") == 2
    with pytest.raises(throttle.Throttled) as waiting:
        throttle.take_attempt(codes, "13900000000")
    assert waiting.value.status == 429 and 55 <= waiting.value.details["retry_after"] <= 60
    assert throttle.take_attempt(codes, "13900000001") == 1  # another phone is its own key
    throttle.clear(codes, "13900000000")
    assert throttle.failures(codes, "13900000000") == 0
    throttle.refuse_if_throttled(codes, "13900000000")


def test_the_administrator_sees_who_must_wait_and_cannot_edit_it(world: World) -> None:
    for _ in range(5):
        sign_in(Client(), "changchun", "wrong")
    User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)  # as seed_demo makes it
    admin = world.client("admin")
    page = admin.get("/admin/core/throttle/").content.decode()
    assert "失败次数限制" in page and "changchun" in page and "账号" in page
    row = Throttle.objects.get(scope="login-user", key="changchun")
    assert admin.get(f"/admin/core/throttle/{row.pk}/delete/").status_code == 403
