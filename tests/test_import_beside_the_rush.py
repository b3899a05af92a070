"""An import does not stop the 16:00 rush (issue 13 §1): while a sheet imports, a web submission to
the same plan goes through at once; the import's deltas are added at its end, and the figures
are then exact for both.

On PostgreSQL, with a real second connection: the import pauses after its first chunk (inside
its transaction, holding what it holds), and a phone submits meanwhile with a lock timeout of a
second — before, the import held the plan's lock from its first row to its commit, and the phone
waited for the whole import.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.dispatch.figures import reads, reference, rollups
from fugong.dispatch.models import Plan, Report
from fugong.dispatch.reports import submit
from fugong.dispatch.sheets.reading import check_import_reports
from fugong.enterprises.models import Enterprise
from fugong.regions.loader import load_regions
from fugong.regions.models import Region
from tests.conftest import uscc
from tests.support import sheets
from tests.support.reports import DAY

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs two writers at once; SQLite has one writer at a time (PostgreSQL is CI's second leg)",
)

NOON = datetime.datetime(2020, 2, 17, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
COUNTY = "220103"


def figures(on_duty: int) -> dict[str, Any]:
    return {
        "resumed": True,
        "baseline_headcount": 100,
        "reported_back": 80,
        "isolated": 5,
        "on_duty": on_duty,
        "capacity_pct": 50,
    }


@pytest.mark.django_db(transaction=True)
def test_a_web_submission_goes_through_while_a_sheet_imports() -> None:
    load_regions(["22"])
    plan = Plan.objects.create(
        title="宽城区开复工日调度", owner_region_id="220100", start_date=datetime.date(2020, 2, 1)
    )
    dispatcher = User.objects.create(username="import-dispatcher")
    Membership.objects.create(user=dispatcher, role=Role.DISPATCHER, region_id="220100")
    firms = [
        Enterprise.objects.create(
            uscc=uscc(COUNTY, 800 + n),
            name=f"宽城区第{n}号企业有限公司",
            region_id=COUNTY,
            baseline_headcount=100,
            active_from=datetime.date(2020, 1, 1),
        )
        for n in range(5)
    ]
    in_sheet, phone = firms[:4], firms[4]
    city = Region.objects.get(code="220100")
    rollups.read(plan, DAY, city)  # a leader has looked: the day's roll-ups are built
    data = sheets.xlsx(
        ("调度表", [sheets.REPORT_HEADER, *([e.uscc, e.name, "是", 100, 80, 5, 70, 50] for e in in_sheet)])
    )

    paused, resume, errors = threading.Event(), threading.Event(), []

    def importer() -> None:
        def after_a_chunk(done: int, total: int) -> None:
            paused.set()
            resume.wait(30)

        try:
            result = check_import_reports(
                dispatcher, data, "调度表.xlsx", plan=plan, day=DAY, now=NOON, progress=after_a_chunk
            )
            assert result.written, result.summary()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert paused.wait(30), "the import never reached its first chunk"
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")  # waiting for the whole import would fail here
        submission = submit.check_submit_report(dispatcher, phone, DAY, figures(60), channel="api", now=NOON)
        assert submission.created
    finally:
        resume.set()
        thread.join(60)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert not errors, errors
    assert Report.objects.filter(date=DAY).count() == 5
    served = reads.resumption(plan, DAY, city, "region", dispatcher).total.as_dict()
    recomputed = reference.computed(plan, DAY, city, "region", dispatcher).total.as_dict()
    assert served == recomputed and served["on_duty"] == 4 * 70 + 60
