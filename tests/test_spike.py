"""The 16:00 spike on PostgreSQL: 64 enterprises' phones submit at 15:59, some resend.

The resends are those of a phone on a bad network: the same request again (after it got its
answer, or while the first is still in flight), the same client_id with the figures changed
in between (a bug or a tampered retry: refused), and a fresh submission with new figures (a
revision). Afterwards: one report per enterprise-day, exactly the revisions the answers
announced, every answer what it should be, and the figures the API serves equal both a full
recomputation from the reports and a sum of what the phones last sent.

Transactional: the clients are real threads with their own database connections, so the test
sets up its own data (a transactional test empties the database when it ends).
"""

from __future__ import annotations

import datetime
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client

from fugong.accounts.actions import do_create_token
from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.dispatch.figures import reference
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.enterprises.models import Enterprise
from fugong.regions.loader import load_regions
from fugong.regions.models import Region
from tests.conftest import uscc
from tests.support.reports import DAY

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the spike needs concurrent writers; SQLite has one writer at a time (PostgreSQL is CI's second leg)",
)

CLIENTS = 64
AT_1559 = datetime.datetime(2020, 2, 17, 15, 59, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
COUNTY = "220103"  # 长春市宽城区 (no enterprise of the shared fixtures there)
# What each phone does after (or while) sending its first report, by enterprise number % 4.
SAME_AGAIN, CHANGED_SAME_ID, NEW_FIGURES, RACING_RETRY = range(4)


@dataclass
class Phone:
    n: int
    enterprise: Enterprise
    token: str
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    final: dict[str, Any] = field(default_factory=dict)  # the figures that should stand

    @property
    def case(self) -> int:
        return self.n % 4

    def payload(self, on_duty: int, client_id: str, isolated: int = 5) -> dict[str, Any]:
        return {
            "enterprise": self.enterprise.uscc,
            "date": DAY.isoformat(),
            "client_id": client_id,
            "resumed": self.n % 5 != 0,
            "baseline_headcount": 100,
            "reported_back": 80,
            "isolated": isolated,
            "on_duty": on_duty if self.n % 5 != 0 else 0,
            "capacity_pct": 50 + self.n % 40 if self.n % 5 != 0 else 0,
        }

    def post(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = Client().post(
            "/api/v1/reports",
            json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body = response.json() if response["Content-Type"].startswith("application/json") else {}
        return response.status_code, body


def scene() -> tuple[Plan, User, list[Phone]]:
    load_regions(["22"])
    plan = Plan.objects.create(
        title="宽城区开复工日调度", owner_region_id="220100", start_date=datetime.date(2020, 2, 1)
    )
    dispatcher = User.objects.create(username="spike-dispatcher")  # no password: hashing 65 is slow
    Membership.objects.create(user=dispatcher, role=Role.DISPATCHER, region_id="220100")
    phones = []
    for n in range(CLIENTS):
        e = Enterprise.objects.create(
            uscc=uscc(COUNTY, 700 + n),
            name=f"宽城区第{n}号企业有限公司",
            region_id=COUNTY,
            baseline_headcount=100,
            active_from=datetime.date(2020, 1, 1),
        )
        clerk = User.objects.create(username=f"spike-clerk{n}")
        Membership.objects.create(user=clerk, role=Role.REPORTER, enterprise=e)
        _, token = do_create_token(clerk, "手机填报", channel="api")
        phones.append(Phone(n, e, token))
    return plan, dispatcher, phones


def run_phone(phone: Phone, start: threading.Barrier, errors: list[BaseException]) -> None:
    try:
        first = phone.payload(60, f"phone-{phone.n}-a")
        start.wait()
        if phone.case == RACING_RETRY:  # the retry leaves while the first is still in flight
            retry = threading.Thread(target=in_flight, args=(phone, first, errors))
            retry.start()
            phone.answers.append(phone.post(first))
            retry.join()
            phone.final = first
            return
        phone.answers.append(phone.post(first))
        phone.final = first
        if phone.case == SAME_AGAIN:
            phone.answers.append(phone.post(first))
        elif phone.case == CHANGED_SAME_ID:
            phone.answers.append(phone.post(phone.payload(60, f"phone-{phone.n}-a", isolated=6)))
        elif phone.case == NEW_FIGURES:
            phone.final = phone.payload(70, f"phone-{phone.n}-b")
            phone.answers.append(phone.post(phone.final))
    except BaseException as exc:  # reported by the test, not lost in the thread
        errors.append(exc)
    finally:
        connection.close()


def in_flight(phone: Phone, payload: dict[str, Any], errors: list[BaseException]) -> None:
    try:
        phone.answers.append(phone.post(payload))
    except BaseException as exc:
        errors.append(exc)
    finally:
        connection.close()


EXPECTED_STATUSES = {
    SAME_AGAIN: [201, 200],
    CHANGED_SAME_ID: [201, 409],
    NEW_FIGURES: [201, 200],
    RACING_RETRY: [200, 201],  # whichever wins, one creates and one is answered with it
}
EXPECTED_REVISIONS = {SAME_AGAIN: 1, CHANGED_SAME_ID: 1, NEW_FIGURES: 2, RACING_RETRY: 1}


def sorted_if_racing(phone: Phone) -> list[int]:
    statuses = [status for status, _ in phone.answers]
    return sorted(statuses) if phone.case == RACING_RETRY else statuses


def test_64_phones_at_1559_lose_nothing_duplicate_nothing_and_the_figures_add_up(
    transactional_db: Any,
) -> None:
    plan, dispatcher, phones = scene()
    start = threading.Barrier(CLIENTS)
    errors: list[BaseException] = []
    with mock.patch("django.utils.timezone.now", return_value=AT_1559):
        threads = [threading.Thread(target=run_phone, args=(p, start, errors)) for p in phones]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []

    wrong = {p.n: sorted_if_racing(p) for p in phones if sorted_if_racing(p) != EXPECTED_STATUSES[p.case]}
    assert wrong == {}, "answers that differ from the expected (enterprise → statuses)"
    for p in phones:
        ids = {body["id"] for status, body in p.answers if status in (200, 201)}
        assert len(ids) == 1, (p.n, p.answers)  # every accepted answer names the same report
        conflict = [body for status, body in p.answers if status == 409]
        assert all(b["code"] == "conflict" and "client_id" in b["message"] for b in conflict), conflict

    # 0 lost, 0 duplicated: one report per enterprise-day, with the revisions the answers announced
    per_enterprise = Counter(Report.objects.filter(date=DAY).values_list("enterprise_id", flat=True))
    assert per_enterprise == Counter({p.enterprise.pk: 1 for p in phones})
    revisions = Counter(
        ReportRevision.objects.filter(report__date=DAY).values_list("enterprise_id", flat=True)
    )
    assert revisions == Counter({p.enterprise.pk: EXPECTED_REVISIONS[p.case] for p in phones})
    stored = {r.enterprise_id: r for r in Report.objects.filter(date=DAY)}
    assert {p.n: stored[p.enterprise.pk].on_duty for p in phones} == {p.n: p.final["on_duty"] for p in phones}

    dispatcher_client = Client()
    dispatcher_client.force_login(dispatcher)
    query = {"plan": str(plan.pk), "date": DAY.isoformat(), "region": COUNTY}
    served = dispatcher_client.get("/api/v1/stats/resumption", query).json()["total"]
    node = Region.objects.get(code=COUNTY)
    recomputed = reference.computed(plan, DAY, node, "region", dispatcher).total.as_dict()
    assert {k: served[k] for k in recomputed if k not in ("key", "name")} == {
        k: v for k, v in json.loads(json.dumps(recomputed, default=str)).items() if k not in ("key", "name")
    }
    # … and a sum of what the phones last sent, independent of both
    resumed = [p.final for p in phones if p.final["resumed"]]
    assert (served["enterprises"], served["resumed"], served["on_duty"], served["baseline_headcount"]) == (
        CLIENTS,
        len(resumed),
        sum(f["on_duty"] for f in resumed),
        100 * CLIENTS,
    )

    done = dispatcher_client.get(f"/api/v1/plans/{plan.pk}/completeness", query).json()
    assert (done["expected"], done["submitted"], done["on_time"], done["late"], done["missing"]) == (
        CLIENTS,
        CLIENTS,
        CLIENTS,
        0,
        0,
    )
