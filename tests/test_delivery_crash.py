"""A `run_jobs` worker killed in the middle of a batch of SMS: the posts it made before dying are
recorded as sent, so the next worker sends at most one of them again (the one it was posting)."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from fugong.accounts.models import User
from fugong.notify import channels
from fugong.notify.actions import Notice, do_notify
from fugong.notify.delivery import LEASE, deliver_one
from fugong.notify.models import Channel, Delivery, Topic
from tests.conftest import World
from tests.support.fake_webhook import FakeWebhook, fake_webhook

T0 = datetime.datetime(2020, 2, 17, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PHONES = 30
KILLED_AFTER = 25  # the worker dies right after the gateway accepted its 25th SMS


class WorkerKilled(BaseException):
    """What kill -9 looks like from inside: nothing after it runs, no `except Exception` sees it."""


@pytest.fixture
def gateway(world: World) -> Iterator[FakeWebhook]:
    with fake_webhook() as hook:
        Channel.objects.create(kind=Channel.Kind.SMS, name="短信网关", url=hook.url("/sms"), per_minute=1000)
        users = User.objects.bulk_create(
            [User(username=f"clerk{i}", phone=f"139{i:08d}") for i in range(PHONES)]
        )
        notice = Notice(Topic.REMINDER, "请报送02月17日复工情况", "尚未报送", key="remind:1:2020-02-17:14:00")
        do_notify(None, [(u.pk, notice) for u in users], now=T0)
        yield hook


def killed_after(posts: int) -> Any:
    """The HTTP layer: real posts to the fake gateway, and the worker killed after the Nth."""
    real = channels.post_json
    done = 0

    def post(*args: Any, **kwargs: Any) -> bytes:
        nonlocal done
        answer = real(*args, **kwargs)
        done += 1
        if done == posts:
            raise WorkerKilled
        return answer

    return mock.patch.object(channels, "post_json", post)


def test_a_worker_killed_mid_batch_resends_at_most_one_sms(gateway: FakeWebhook) -> None:
    with killed_after(KILLED_AFTER), pytest.raises(WorkerKilled):
        while deliver_one(T0):
            pass
    assert len(gateway.seen) == KILLED_AFTER
    # what was posted before the one being posted when it died is recorded as sent
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == KILLED_AFTER - 1

    later = T0 + LEASE + datetime.timedelta(seconds=1)  # the dead worker's lease has run out
    while deliver_one(later):
        pass
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    per_phone = Counter(seen.body["phone"] for seen in gateway.seen)
    assert len(per_phone) == PHONES  # everyone got it
    assert sorted(per_phone.values(), reverse=True)[:2] == [2, 1]  # one phone twice, no other
