"""Bad input that once broke things: each gets a clear Chinese message and writes nothing."""

from __future__ import annotations

import datetime
import io
import json
import re
from typing import Any

import pytest
import xlsxwriter
from django.test import Client
from django.utils import timezone

from fugong.accounts.models import Membership, User
from fugong.core import jobs
from fugong.core.access import Role
from fugong.core.errors import ValidationFailed
from fugong.core.models import Job, Throttle
from fugong.enterprises.importing import check_import_enterprises
from fugong.enterprises.models import Enterprise
from fugong.regions.models import Kind, Level, Region
from tests.conftest import PASSWORD, World
from tests.support import sheets
from tests.support.sheets import ENTERPRISE_HEADER, enterprise_rows


def patch(client: Client, uscc: str, payload: str) -> Any:
    return client.patch(f"/api/v1/enterprises/{uscc}", payload, content_type="application/json")


def test_a_zone_added_by_hand_gets_its_path_and_its_dispatcher_sees_only_it(world: World) -> None:
    zone = Region(
        code="220100Z09", name="长春国际陆港", level=Level.COUNTY, kind=Kind.ZONE, parent_id="220100"
    )
    zone.save()
    assert zone.path == "/220000/220100/220100Z09/"
    user = User.objects.create_user("zone-dispatcher", password=PASSWORD)
    Membership.objects.create(user=user, role=Role.DISPATCHER, region=zone)
    client = world.client("zone-dispatcher")
    assert client.get("/api/v1/enterprises").json()["count"] == 0
    assert patch(client, world.enterprise("changyi").uscc, '{"name": "x"}').status_code == 404


def test_moving_a_region_moves_its_subtree(world: World) -> None:
    county = Region.objects.get(code="220102")
    county.parent_id = "220100Z01"  # 南关区 dispatched under 长春新区, say
    county.save()
    town = Region.objects.filter(path__startswith=county.path).exclude(code="220102").first()
    assert town is not None and town.path.startswith("/220000/220100Z01/220102/")
    assert (
        world.client("changchun").get(f"/api/v1/enterprises/{world.enterprise('nanguan').uscc}").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"baseline_capacity": 1e15}', "数值过大"),
        ('{"baseline_capacity": "1e30"}', "数值过大"),
        ('{"baseline_headcount": "1e10000000"}', "数值过大"),
        ('{"active_from": NaN}', "不是有效数值"),
        ('{"industry": Infinity}', "不是有效数值"),
        ('{"name": ["甲", "乙"]}', "应填写单个值"),
    ],
)
def test_absurd_values_are_refused_with_a_message(world: World, payload: str, message: str) -> None:
    e = world.enterprise("nanguan")
    response = patch(world.client("province"), e.uscc, payload)
    assert response.status_code == 422, response.content
    assert message in response.json()["message"]
    assert world.client("province").get(f"/api/v1/enterprises/{e.uscc}").status_code == 200


def test_nul_characters_are_refused_before_reaching_the_database(world: World) -> None:
    client = world.client("province")
    assert client.get("/api/v1/enterprises?q=%00").status_code == 400
    response = patch(client, world.enterprise("nanguan").uscc, '{"name": "a\\u0000b"}')
    assert response.status_code == 400 and "NUL" in response.json()["message"]
    login = Client().post("/login/", {"username": "a\x00", "password": "x"})  # multipart: its text fields too
    assert (
        login.status_code == 400 and "NUL" in login.content.decode() and "返回首页" in login.content.decode()
    )


def test_a_uscc_stored_as_a_number_says_how_to_fix_it(world: World) -> None:
    rows = [ENTERPRISE_HEADER, [9.1220102e17, "甲公司", "220102"]]
    result = check_import_enterprises(world.user("changchun"), sheets.xlsx(("名单", rows)), channel="excel")
    assert "被存成了数字" in result.rejected[0].message and "文本" in result.rejected[0].message


def test_a_sheet_with_a_stray_far_away_cell_is_refused_before_reading(world: World) -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("名单")
    for col, text in enumerate(ENTERPRISE_HEADER):
        sheet.write(0, col, text)
    sheet.write(900_000, 200, " ")
    book.close()
    with pytest.raises(ValidationFailed, match="使用范围过大"):
        check_import_enterprises(world.user("changchun"), buffer.getvalue(), channel="excel")


def test_failed_logins_from_elsewhere_make_a_real_user_wait_minutes_not_lock_them_out(world: World) -> None:
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(6):
        attacker.post("/login/", {"username": "changchun", "password": "wrong"})
    office = Client(REMOTE_ADDR="10.1.1.1")
    waiting = office.post("/login/", {"username": "changchun", "password": PASSWORD})
    assert waiting.status_code == 429 and re.search(r"请(1分钟|\d+秒)后再试", waiting.content.decode())
    Throttle.objects.update(wait_until=timezone.now())  # the minute has passed
    assert office.post("/login/", {"username": "changchun", "password": PASSWORD}).status_code == 302


def test_one_address_guessing_across_many_accounts_gets_one_guess_each_then_waits(world: World) -> None:
    client = Client(REMOTE_ADDR="10.9.9.8")
    for i in range(20):
        client.post("/login/", {"username": f"user{i}", "password": "wrong"})
    again = client.post("/login/", {"username": "user3", "password": "wrong"})
    assert again.status_code == 429
    assert re.search(
        r"此地址近来登录失败次数过多，账号“user3”在此地址请(1分钟|\d+秒)后再试", again.content.decode()
    )
    elsewhere = Client(REMOTE_ADDR="10.9.9.7").post("/login/", {"username": "user3", "password": "wrong"})
    assert elsewhere.status_code == 401  # user3 still has its own free failures
    # a colleague behind the same address signs in at once
    assert client.post("/login/", {"username": "jilin", "password": PASSWORD}).status_code == 302


def test_unticking_every_sector_on_the_edit_page_clears_them(world: World) -> None:
    e = world.enterprise("nanguan")
    form = {"name": e.name, "region": "220102", "baseline_headcount": "480", "active_from": "2020-01-01"}
    assert world.client("changchun").post(f"/enterprises/{e.uscc}/edit/", form).status_code == 302
    assert not Enterprise.objects.get(pk=e.pk).sectors.exists()


def test_a_patch_without_sectors_leaves_them_and_records_no_change(world: World) -> None:
    e = world.enterprise("nanguan")
    patch(world.client("province"), e.uscc, json.dumps({"sectors": None, "park": "新园区"}))
    assert [s.name for s in Enterprise.objects.get(pk=e.pk).sectors.all()] == ["外贸"]


def test_a_regional_admin_is_not_a_national_admin(world: World) -> None:
    user = User.objects.create_user("city-admin", password=PASSWORD)
    Membership.objects.create(user=user, role=Role.ADMIN, region_id="220200")
    assert world.client("city-admin").get("/api/v1/enterprises").json()["count"] == 1


def test_a_job_left_running_by_a_dead_worker_is_failed(world: World) -> None:
    job = jobs.enqueue("enterprise_import", user=world.user("changchun"), payload={}, data=b"x")
    Job.objects.filter(pk=job.pk).update(
        status="running", started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert jobs.fail_stale_jobs(timezone.now()) == 1
    job.refresh_from_db()
    assert job.status == "failed" and "请重新上传" in job.error and job.data is None


def test_good_rows_still_import_after_all_this(world: World) -> None:
    result = check_import_enterprises(
        world.user("changchun"), sheets.xlsx(("名单", enterprise_rows())), channel="excel"
    )
    assert result.count("created") == 2
