"""Nothing typed is lost when a form is refused: every field comes back exactly as typed.

Each test posts a form with every field filled and one of them wrong, reads the re-rendered
form back as the browser would submit it (tests/forms.py), compares that with what was typed,
then corrects the wrong field, submits what the page shows and checks what was saved.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from fugong.accounts.models import Department
from fugong.dispatch.models import Plan, Report
from fugong.enterprises.models import Enterprise, SectorTag
from tests.conftest import World
from tests.support.forms import as_lists, submitted

EXTRA = [
    {"key": "orders", "label": "在手订单", "type": "int", "unit": "份"},
    {"key": "note", "label": "情况说明", "type": "text"},
]


@pytest.fixture
def today_plan(plan: Plan) -> Plan:
    plan.start_date = timezone.localdate() - datetime.timedelta(days=10)
    plan.report_on_rest_days = True
    plan.extra_fields = EXTRA
    plan.save()
    return plan


def assert_kept(page: bytes, typed: dict[str, Any], *, but: tuple[str, ...] = ()) -> dict[str, Any]:
    shown = submitted(page)
    kept = {k: as_lists(shown).get(k, []) for k in typed if k not in but}
    assert kept == {k: as_lists(typed)[k] for k in typed if k not in but}
    return shown


def report_typed(**overrides: Any) -> dict[str, Any]:
    return {
        "resumed": "1",
        "resumed_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "baseline_headcount": "480",
        "reported_back": "300",
        "isolated": "20",
        "on_duty": "330",  # more than reported back: refused
        "capacity_pct": "55.5",
        "measures": ["temperature", "masks"],
        "problem_tags": ["logistics", "labour"],
        "problems": "口罩缺口2000只，物流不畅",
        "suggestions": "减免三个月房租",
        "extra_orders": "12",
        "extra_note": "外贸订单恢复<一半>",
        **overrides,
    }


@pytest.mark.parametrize(("who", "key"), [("reporter", "nanguan"), ("liaison", "chaoyang")])
def test_the_report_form_keeps_every_field_after_a_refusal_and_saves_them_all(
    world: World, today_plan: Plan, who: str, key: str
) -> None:
    e = world.enterprise(key)
    client = world.client(who)
    url = f"/dispatch/e/{e.uscc}/report/"
    on_books = e.baseline_headcount
    back = on_books * 5 // 8
    typed = report_typed(
        baseline_headcount=str(on_books),
        reported_back=str(back),
        isolated=str(on_books // 24),
        on_duty=str(back + 30),
    )
    refused = client.post(url, typed)
    assert refused.status_code == 422
    assert f"实际到岗人数({back + 30})大于报到人数({back})" in refused.content.decode()
    shown = assert_kept(refused.content, typed)
    shown["on_duty"] = str(back - 40)
    assert client.post(url, shown).status_code == 302
    report = Report.objects.get(enterprise=e)
    assert report.resumed_on == timezone.localdate() - datetime.timedelta(days=3)
    assert (report.on_duty, report.capacity_pct) == (back - 40, Decimal("55.5"))
    assert report.measures == ["temperature", "masks"] and report.problem_tags == ["logistics", "labour"]
    assert report.problems == "口罩缺口2000只，物流不畅" and report.suggestions == "减免三个月房租"
    assert report.extra == {"orders": 12, "note": "外贸订单恢复<一半>"}


def test_a_ticked_confirmation_stays_ticked_when_the_form_comes_back(world: World, today_plan: Plan) -> None:
    e = world.enterprise("nanguan")
    client = world.client("reporter")
    url = f"/dispatch/e/{e.uscc}/report/"
    # 520 back of 480 on the books asks for a confirmation; 530 on duty of 520 back is an error
    typed = report_typed(reported_back="520", isolated="0", on_duty="530", confirm="over_baseline")
    refused = client.post(url, typed)
    assert refused.status_code == 422 and "实际到岗人数(530)大于报到人数(520)" in refused.content.decode()
    shown = assert_kept(refused.content, typed)
    shown["on_duty"] = "490"
    assert client.post(url, shown).status_code == 302
    assert Report.objects.get(enterprise=e).reported_back == 520


def test_the_enterprise_edit_form_keeps_every_field_after_a_refusal(world: World) -> None:
    e = world.enterprise("nanguan")
    client = world.client("changchun")
    url = f"/enterprises/{e.uscc}/edit/"
    sectors = list(SectorTag.objects.filter(active=True).values_list("name", flat=True)[:2])
    typed = {
        "name": "长春南关汽车零部件股份有限公司",
        "region": "220102",
        "industry": "C36",
        "sectors": sectors,
        "above_scale": "1",
        "tier": "city",
        "park": "南关工业园",
        "address": "长春市南关区<幸福>路1号",
        "contact_name": "王芳",
        "contact_phone": "13904310000",
        "baseline_headcount": "520",
        "baseline_capacity": "35.5",
        "trade_value_last_year": "1200",
        "active_from": "2020-01-01",
        "active_to": "2019-12-31",  # before the start: refused
    }
    refused = client.post(url, typed)
    assert refused.status_code == 422 and "停用日期2019-12-31早于启用日期2020-01-01" in refused.content.decode()
    shown = assert_kept(refused.content, typed, but=("version",))
    shown["active_to"] = ""
    assert client.post(url, shown).status_code == 302
    e.refresh_from_db()
    assert (e.name, e.industry_id, e.tier, e.above_scale, e.baseline_headcount) == (
        "长春南关汽车零部件股份有限公司",
        "36",  # GB/T 4754 divisions are stored without their section letter
        "city",
        True,
        520,
    )
    assert (e.park, e.address, e.contact_phone, e.baseline_capacity) == (
        "南关工业园",
        "长春市南关区<幸福>路1号",
        "13904310000",
        Decimal("35.5"),
    )
    assert sorted(e.sectors.values_list("name", flat=True)) == sorted(sectors) and e.active_to is None


def test_the_new_enterprise_form_keeps_every_field_after_a_refusal(world: World) -> None:
    client = world.client("changchun")
    typed = {
        "uscc": "91220102MA0000001X",  # a wrong check character: refused
        "name": "长春新登记企业有限公司",
        "region": "220102",
        "industry": "C36",
        "sectors": ["外贸"],
        "tier": "county",
        "park": "",
        "address": "长春市",
        "contact_name": "李四",
        "contact_phone": "13904310001",
        "baseline_headcount": "40",
        "baseline_capacity": "",
        "trade_value_last_year": "",
        "active_from": "2026-11-26",
        "active_to": "",
    }
    refused = client.post("/enterprises/new/", typed)
    assert refused.status_code == 422
    assert_kept(refused.content, typed)


def plan_typed(**overrides: Any) -> dict[str, Any]:
    department = Department.objects.get(name="长春市商务局")
    return {
        "title": "长春市重点项目周调度",
        "owner_region": "220100",
        "owner_department": str(department.pk),
        "cadence": "weekly",
        "deadline_time": "17:30",
        "reminder_times": "09:00、15:00",
        "deadline_weekday": "3",
        "start_date": "2026-11-26",
        "end_date": "2026-11-20",  # before the start: refused
        "lock_after_days": "5",
        "attendance_basis": "all",
        "report_on_rest_days": "1",
        "active": "1",
        "selector_regions": "220102,220104",
        "selector_sectors": ["外贸"],
        "selector_tiers": ["province", "city"],
        "selector_above_scale": "true",
        "selector_enterprises": f"{Enterprise.objects.get(region_id='220102').uscc}\n"
        f"{Enterprise.objects.get(region_id='220104').uscc}",
        "extra_fields": '[{"key": "investment", "label": "完成投资", "type": "decimal", "unit": "万元"}]',
        **overrides,
    }


def test_the_plan_form_keeps_every_field_after_a_refusal_and_saves_them_all(world: World) -> None:
    client = world.client("changchun")
    typed = plan_typed()
    refused = client.post("/dispatch/plans/new/", typed)
    assert refused.status_code == 422 and "结束日期2026-11-20早于开始日期2026-11-26" in refused.content.decode()
    shown = assert_kept(refused.content, typed, but=("extra_fields",))
    assert '"key": "investment"' in shown["extra_fields"]
    shown["end_date"] = "2026-12-31"
    assert client.post("/dispatch/plans/new/", shown).status_code == 302
    plan = Plan.objects.get(title="长春市重点项目周调度")
    assert (plan.cadence, plan.deadline_time, plan.deadline_weekday, plan.lock_after_days) == (
        "weekly",
        datetime.time(17, 30),
        3,
        5,
    )
    assert plan.reminder_times == ["09:00", "15:00"] and plan.attendance_basis == "all"
    assert plan.start_date == datetime.date(2026, 11, 26) and plan.end_date == datetime.date(2026, 12, 31)
    assert plan.selector["regions"] == ["220102", "220104"] and plan.selector["tiers"] == ["province", "city"]
    assert len(plan.selector["enterprises"]) == 2 and plan.selector["above_scale"] is True
    assert plan.extra_fields[0]["key"] == "investment" and plan.report_on_rest_days


def test_a_plan_whose_extra_fields_are_bad_json_keeps_the_text_as_typed(world: World) -> None:
    client = world.client("changchun")
    typed = plan_typed(end_date="", extra_fields='[{"key": "investment", "label": "完成投资"')
    refused = client.post("/dispatch/plans/new/", typed)
    assert refused.status_code == 422 and "附加填报项" in refused.content.decode()
    assert_kept(refused.content, typed)
