"""Two `run_jobs` at once send each reminder exactly once, on PostgreSQL (SKIP LOCKED, a unique
claim) and on SQLite (conditional updates, one writer at a time).

Transactional: the runners are real threads with their own database connections, so this test
sets up its own data (a transactional test empties the database when it ends, and pytest-django
runs such tests after the others).
"""

from __future__ import annotations

import datetime
import io
import threading
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import connection

from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.dispatch.models import Plan
from fugong.enterprises.models import Enterprise
from fugong.notify.models import Channel, Claim, Delivery, Notification
from fugong.regions.loader import load_regions
from tests.conftest import uscc
from tests.support.fake_webhook import fake_webhook

ENTERPRISES = 40
AT_1400 = datetime.datetime(2020, 2, 17, 14, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


def scene() -> None:
    load_regions(["22"])
    Plan.objects.create(title="长春市日调度", owner_region_id="220100", start_date=datetime.date(2020, 2, 1))
    for n in range(ENTERPRISES):
        e = Enterprise.objects.create(
            uscc=uscc("220102", 500 + n),
            name=f"长春第{n}号企业有限公司",
            region_id="220102",
            baseline_headcount=10,
            active_from=datetime.date(2020, 1, 1),
        )
        clerk = User.objects.create_user(f"clerk{n}", password="x-pass-2020", phone=f"1390000{n:04d}")
        Membership.objects.create(user=clerk, role=Role.REPORTER, enterprise=e)


def runner(errors: list[BaseException]) -> None:
    try:
        call_command("run_jobs", "--once", "--now", AT_1400.isoformat(), stdout=io.StringIO())
    except BaseException as exc:  # reported by the test, not lost in the thread
        errors.append(exc)
    finally:
        connection.close()


def test_two_runners_at_once_send_each_reminder_exactly_once(transactional_db: Any) -> None:
    scene()
    with fake_webhook() as gateway:
        Channel.objects.create(
            kind=Channel.Kind.SMS, name="短信网关", url=gateway.url("/sms"), per_minute=1000
        )
        errors: list[BaseException] = []
        threads = [threading.Thread(target=runner, args=(errors,)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert errors == []
    assert Claim.objects.filter(key__startswith="remind:").count() == 1
    clerks = Notification.objects.filter(user__username__startswith="clerk")
    per_user = Counter(clerks.values_list("user__username", flat=True))
    assert per_user == Counter({f"clerk{n}": 1 for n in range(ENTERPRISES)})
    texts = Counter(seen.body["phone"] for seen in gateway.seen)
    assert texts == Counter({f"1390000{n:04d}": 1 for n in range(ENTERPRISES)})
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
