"""What every browser test uses: Debian's chromium through Playwright, and the scene of two 长春
enterprises, a plan covering them and the people who work with them (set up by each test,
since a transactional test empties the database when it ends)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.dispatch.models import Plan
from fugong.enterprises.models import Enterprise, Industry, SectorTag
from fugong.enterprises.reference import load_reference_data
from fugong.regions.loader import load_regions
from tests.conftest import PASSWORD, uscc

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser() -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), (
        "browser tests need Debian's chromium and fonts-noto-cjk (.ci/run installs them)"
    )
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = (
        "true"  # Playwright's sync API runs an event loop in this thread
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        # Database work done while Playwright's loop runs in this thread (the test's own queries)
        # opens connections Django keeps per async context; close them here, in that context,
        # or the test database cannot be dropped at the end of the run.
        connections.close_all()
        browser.close()


@pytest.fixture
def scene(transactional_db: Any) -> dict[str, Any]:
    load_regions(["22"])
    load_reference_data(Industry, SectorTag)
    trade = SectorTag.objects.get(name="外贸")
    enterprises = []
    # The same two 长春 enterprises as the session's fixtures (which may or may not still be there).
    for serial, (region, name) in enumerate(
        [("220102", "长春南关汽车零部件有限公司"), ("220104", "长春朝阳食品有限公司")], 1
    ):
        e, _ = Enterprise.objects.get_or_create(
            uscc=uscc(region, serial),
            defaults={
                "name": name,
                "region_id": region,
                "baseline_headcount": 480,
                "active_from": datetime.date(2020, 1, 1),
                "contact_phone": "0431-88880000",
            },
        )
        e.sectors.add(trade)
        enterprises.append(e)
    dispatcher = User.objects.create_user("cc-dispatcher", password=PASSWORD, display_name="长春市调度员")
    Membership.objects.create(user=dispatcher, role=Role.DISPATCHER, region_id="220100")
    viewer = User.objects.create_user("province-viewer", password=PASSWORD, display_name="省领导")
    Membership.objects.create(user=viewer, role=Role.LEADER, region_id="220000")
    reporter = User.objects.create_user("cc-reporter", password=PASSWORD, display_name="南关填报员")
    Membership.objects.create(user=reporter, role=Role.REPORTER, enterprise=enterprises[0])
    plan = Plan.objects.create(
        title="全省外贸企业开复工情况日调度",
        owner_region_id="220000",
        start_date=timezone.localdate() - datetime.timedelta(days=3),
        selector={"sectors": ["外贸"]},
        report_on_rest_days=True,
    )
    return {"plan": plan, "enterprise": enterprises[0]}
