"""The demo province: real reporting units, valid codes, and the demo users of API.md."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from fugong.accounts.models import Department, User
from fugong.core.uscc import uscc_problem
from fugong.enterprises.models import Enterprise
from tests.conftest import World


def test_seed_demo_builds_a_province_that_each_demo_user_sees_their_part_of(
    world: World, capsys: Any
) -> None:
    call_command("seed_demo", "--password", "demo-pass-2020", "--enterprises", "400")
    out = capsys.readouterr().out
    assert "新增企业400户" in out and "demo-changchun" in out
    demo = Enterprise.objects.exclude(
        name__in=[e.name for e in Enterprise.objects.filter(uscc__startswith="91")[:0]]
    )
    assert all(uscc_problem(code) is None for code in demo.values_list("uscc", flat=True))
    assert Department.objects.filter(name="吉林省商务厅对外贸易发展处", region_id="220000").exists()
    assert Department.objects.filter(name="长春市商务局").count() == 1
    client = world.client(None)
    assert client.login(username="demo-changchun", password="demo-pass-2020")
    cities = {item["region"][:4] for item in client.get("/api/v1/enterprises?page=1").json()["items"]}
    assert cities == {"2201"}
    assert client.login(username="demo-enterprise", password="demo-pass-2020")
    assert client.get("/api/v1/enterprises").json()["count"] == 1
    assert client.login(username="demo-liaison", password="demo-pass-2020")
    assert client.get("/api/v1/enterprises").json()["count"] == 60
    assert User.objects.get(username="demo-admin").is_superuser


def test_seed_demo_twice_adds_nothing_new(world: World, capsys: Any) -> None:
    call_command("seed_demo", "--password", "demo-pass-2020", "--enterprises", "100")
    count = Enterprise.objects.count()
    call_command("seed_demo", "--password", "demo-pass-2020", "--enterprises", "100")
    assert Enterprise.objects.count() == count
    assert "新增企业0户" in capsys.readouterr().out
