"""Shared fixtures: the real region tree, and one cast of personas (after healthchecks' hc/test.py).

The region table, the personas and a handful of enterprises are created once per test
session; every test runs in a transaction that is rolled back, so tests may change them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from fugong.accounts.models import Department, Membership, User
from fugong.core.access import Role
from fugong.core.uscc import check_character
from fugong.enterprises.models import Enterprise, SectorTag
from fugong.regions.loader import load_regions

PASSWORD = "test-pass-2020"


def uscc(region: str, serial: int) -> str:
    first17 = f"91{region}{serial:08d}X"[:17]
    first17 = first17[:16] + "0"
    return first17 + check_character(first17)


ENTERPRISES = {
    # key: (region, name, headcount) — chosen to exercise the dispatch hierarchy
    "nanguan": ("220102", "长春南关汽车零部件有限公司", 480),  # 长春市南关区
    "chaoyang": ("220104", "长春朝阳食品有限公司", 120),  # 长春市朝阳区
    "changyi": ("220202", "吉林昌邑化工有限公司", 300),  # 吉林市昌邑区
    "gongzhuling": ("220184", "公主岭粮油加工有限公司", 90),  # 省直管：not under 长春市 for dispatch
    "gaoxin": ("220173", "长春高新光电有限公司", 60),  # 长春高新区: dispatched under 长春新区
}

PERSONAS = {
    # name: (role, anchor kind, anchor key)
    "province": (Role.DISPATCHER, "region", "220000"),
    "changchun": (Role.DISPATCHER, "region", "220100"),
    "jilin": (Role.DISPATCHER, "region", "220200"),
    "leader": (Role.LEADER, "region", "220000"),
    "liaison": (Role.LIAISON, "enterprise", "chaoyang"),
    "reporter": (Role.REPORTER, "enterprise", "nanguan"),
    "handler": (Role.HANDLER, "department", "长春市商务局"),
    "admin": (Role.ADMIN, None, None),
    "outsider": (None, None, None),
}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        load_regions(["22"])
        department = Department.objects.create(name="长春市商务局", region_id="220100")
        foreign_trade = SectorTag.objects.get(name="外贸")
        enterprises = {}
        for serial, (key, (region, name, headcount)) in enumerate(ENTERPRISES.items(), start=1):
            e = Enterprise.objects.create(
                uscc=uscc(region, serial),
                name=name,
                region_id=region,
                baseline_headcount=headcount,
                active_from=datetime.date(2020, 1, 1),
                contact_phone="0431-88880000",
            )
            e.sectors.add(foreign_trade)
            enterprises[key] = e
        for persona, (role, kind, anchor_key) in PERSONAS.items():
            user = User.objects.create_user(persona, password=PASSWORD, display_name=persona)
            if role is None:
                continue
            anchor: dict[str, Any] = {}
            if kind == "region":
                anchor = {"region_id": anchor_key}
            elif kind == "enterprise":
                anchor = {"enterprise": enterprises[str(anchor_key)]}
            elif kind == "department":
                anchor = {"department": department}
            Membership.objects.create(user=user, role=role, **anchor)


@dataclass
class World:
    """Handles on the session's fixtures, fetched fresh for each test."""

    def user(self, name: str) -> User:
        return User.objects.get(username=name)

    def enterprise(self, key: str) -> Enterprise:
        return Enterprise.objects.get(name=ENTERPRISES[key][1])

    def client(self, name: str | None) -> Client:
        client = Client()
        if name:
            client.force_login(self.user(name))
        return client


@pytest.fixture
def world(db: Any) -> World:
    return World()


@pytest.fixture
def plan(world: World) -> Any:
    """The province's daily foreign-trade plan (seed 000): working days, 16:00, locked after 3 days."""
    from fugong.dispatch.models import Plan

    return Plan.objects.create(
        title="全省外贸企业开复工情况日调度",
        owner_region_id="220000",
        start_date=datetime.date(2020, 2, 1),
        selector={"sectors": ["外贸"]},
        lock_after_days=3,
    )


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    """The calendar caches its override table; a test's rows vanish with its rollback, unsignalled."""
    from fugong.core.calendar import forget_overrides

    forget_overrides()
    yield
    forget_overrides()
