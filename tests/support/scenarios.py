"""Reports stored directly (no submission path) and the small province of the figures tests:
four enterprises in scope on DAY, one closed the day before, each rate computable by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from fugong.dispatch.models import Report
from fugong.enterprises.models import Enterprise
from tests.conftest import World
from tests.support.reports import DAY


def report(e: Enterprise, day: datetime.date, **values: Any) -> None:
    base = {
        "resumed": True,
        "baseline_headcount": e.baseline_headcount,
        "reported_back": 0,
        "isolated": 0,
        "on_duty": 0,
    }
    at = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
    Report.objects.create(enterprise=e, date=day, received_at=at, updated_at=at, **{**base, **values})


def scenario(world: World) -> None:
    nanguan, chaoyang, changyi = (
        world.enterprise("nanguan"),
        world.enterprise("chaoyang"),
        world.enterprise("changyi"),
    )
    Enterprise.objects.filter(pk=chaoyang.pk).update(baseline_capacity=Decimal(50))
    Enterprise.objects.filter(name__startswith="公主岭").update(
        active_to=datetime.date(2020, 2, 16)
    )  # closed
    report(nanguan, DAY, reported_back=300, isolated=20, on_duty=260, capacity_pct=Decimal(55))
    report(
        chaoyang, DAY - datetime.timedelta(days=2), reported_back=100, on_duty=90, capacity_pct=Decimal(80)
    )
    report(changyi, DAY, resumed=False, reported_back=10, capacity_pct=Decimal(0))
    report(
        world.enterprise("gaoxin"), datetime.date(2020, 1, 20), reported_back=60, on_duty=60, capacity_pct=100
    )  # before the plan
