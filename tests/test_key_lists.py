"""Key-enterprise lists (issue 15 §1, first slice): effective-dated entries, the nomination
workflow's refusals, scope, and the API's shapes."""

from __future__ import annotations

import datetime
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from fugong.accounts.models import Membership, User
from fugong.core.access import Role
from fugong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fugong.core.models import AuditEvent
from fugong.enterprises.models import Enterprise
from fugong.lists import actions
from fugong.lists.models import KeyList, ListEntry, Nomination, NominationStatus
from tests.conftest import World, uscc

TZ = ZoneInfo("Asia/Shanghai")
DAY1 = datetime.datetime(2020, 2, 10, 10, 0, tzinfo=TZ)
DAY3 = datetime.datetime(2020, 2, 12, 10, 0, tzinfo=TZ)


def dispatcher(name: str, region: str) -> User:
    user = User.objects.create_user(name, password="x", display_name=name)
    Membership.objects.create(user=user, role=Role.DISPATCHER, region_id=region)
    return user


@pytest.fixture
def nanguan_county(world: World) -> User:
    return dispatcher("nanguan-county", "220102")  # 长春市南关区


@pytest.fixture
def city_list(world: World) -> KeyList:
    return actions.check_create_list(
        world.user("changchun"),
        {"title": "长春市重点外贸企业复工清单", "kind": "foreign_trade", "region": "220100"},
        channel="api",
    )


@pytest.fixture
def province_list(world: World) -> KeyList:
    return actions.check_create_list(
        world.user("province"),
        {
            "title": "吉林省重点外贸企业复工清单",
            "kind": "foreign_trade",
            "region": "220000",
            "criteria": [
                {"field": "trade_value_last_year", "weight": 0.4},
                {"field": "order_urgency", "weight": 0.6},
            ],
        },
        channel="api",
    )


def on_list(key_list: KeyList, day: datetime.date) -> list[str]:
    return sorted(key_list.entries.on_day(day).values_list("enterprise__name", flat=True))


def test_a_removal_closes_the_entry_and_as_of_a_day_before_it_the_enterprise_is_still_listed(
    world: World, city_list: KeyList, nanguan_county: User
) -> None:
    nanguan = world.enterprise("nanguan")
    actions.check_nominate(nanguan_county, city_list, [nanguan.uscc], "出口订单大", channel="web", now=DAY1)
    actions.check_decide(
        world.user("changchun"), city_list, [nanguan.uscc], "approve", channel="web", now=DAY1
    )
    with pytest.raises(ValidationFailed, match="移出清单须写明理由"):
        actions.check_decide(
            world.user("changchun"), city_list, [nanguan.uscc], "remove", "", channel="web", now=DAY3
        )
    actions.check_decide(
        world.user("changchun"), city_list, [nanguan.uscc], "remove", "已停产", channel="web", now=DAY3
    )

    assert on_list(city_list, datetime.date(2020, 2, 9)) == []
    assert on_list(city_list, datetime.date(2020, 2, 10)) == [nanguan.name]
    assert on_list(city_list, datetime.date(2020, 2, 11)) == [nanguan.name]
    assert on_list(city_list, datetime.date(2020, 2, 12)) == []
    (entry,) = ListEntry.objects.filter(key_list=city_list)  # kept, closed: nothing overwritten
    assert (entry.valid_from, entry.valid_to, entry.removal_reason) == (
        datetime.date(2020, 2, 10),
        datetime.date(2020, 2, 12),
        "已停产",
    )
    assert (entry.nominated_by, entry.approved_by, entry.removed_by) == (
        nanguan_county,
        world.user("changchun"),
        world.user("changchun"),
    )
    actions_written = AuditEvent.objects.filter(object_type="keylist", object_key=str(city_list.pk))
    assert {"list.create", "list.nominate", "list.approve", "list.remove"} <= set(
        actions_written.values_list("action", flat=True)
    )
    with pytest.raises(Conflict, match="目前不在清单中"):  # a second removal is stale
        actions.check_decide(
            world.user("changchun"), city_list, [nanguan.uscc], "remove", "重复", channel="web"
        )


def test_a_county_cannot_approve_its_own_nomination_nor_nominate_outside_its_region(
    world: World, city_list: KeyList, nanguan_county: User
) -> None:
    nanguan, chaoyang = world.enterprise("nanguan"), world.enterprise("chaoyang")
    with pytest.raises(NotFound):  # 朝阳区's enterprise is not the 南关区's to name
        actions.check_nominate(nanguan_county, city_list, [chaoyang.uscc], channel="web")
    actions.check_nominate(nanguan_county, city_list, [nanguan.uscc], channel="web")
    with pytest.raises(Forbidden, match="须由市级调度员进行"):
        actions.check_decide(nanguan_county, city_list, [nanguan.uscc], "approve", channel="web")
    with pytest.raises(ValidationFailed, match="已有待审批的提名"):
        actions.check_nominate(nanguan_county, city_list, [nanguan.uscc], channel="web")
    closed = Enterprise.objects.create(
        uscc=uscc("220102", 77),
        name="南关已停产企业",
        region_id="220102",
        active_from=datetime.date(2020, 1, 1),
        active_to=datetime.date(2020, 1, 31),
    )
    with pytest.raises(ValidationFailed, match="南关已停产企业已停用"):
        actions.check_nominate(nanguan_county, city_list, [closed.uscc], channel="web")
    assert not ListEntry.objects.filter(key_list=city_list).exists()


def test_nobody_approves_a_nomination_of_their_own(world: World, city_list: KeyList) -> None:
    nanguan = world.enterprise("nanguan")
    actions.check_nominate(world.user("changchun"), city_list, [nanguan.uscc], channel="web")
    with pytest.raises(Forbidden, match="不能审批自己提交的提名"):
        actions.check_decide(world.user("changchun"), city_list, [nanguan.uscc], "approve", channel="web")
    other = dispatcher("changchun-2", "220100")
    actions.check_decide(other, city_list, [nanguan.uscc], "approve", channel="web")
    assert on_list(city_list, datetime.date.today()) == [nanguan.name]


def test_a_province_list_climbs_city_then_province_and_a_city_cannot_take_the_last_step(
    world: World, province_list: KeyList, nanguan_county: User
) -> None:
    nanguan = world.enterprise("nanguan")
    assert province_list.approval_levels == ["city", "province"]
    (nomination,) = actions.check_nominate(nanguan_county, province_list, [nanguan.uscc], channel="api")
    assert nomination.awaited_level == "city"
    actions.check_decide(world.user("changchun"), province_list, [nanguan.uscc], "approve", channel="api")
    nomination.refresh_from_db()
    assert (nomination.status, nomination.awaited_level) == (NominationStatus.PENDING, "province")
    assert not ListEntry.objects.filter(key_list=province_list).exists()  # reviewed is not approved
    with pytest.raises(Conflict, match="已由市级审核，现待省级审批"):  # the city's second click is stale
        actions.check_decide(world.user("changchun"), province_list, [nanguan.uscc], "approve", channel="api")
    actions.check_decide(world.user("province"), province_list, [nanguan.uscc], "approve", channel="api")
    assert on_list(province_list, datetime.date.today()) == [nanguan.name]
    with pytest.raises(Conflict, match="没有待审批的提名"):  # decided already
        actions.check_decide(world.user("province"), province_list, [nanguan.uscc], "approve", channel="api")


def test_a_single_level_province_list_is_approved_by_the_province_alone(world: World) -> None:
    key_list = actions.check_create_list(
        world.user("province"),
        {
            "title": "闭环生产白名单",
            "kind": "closed_loop",
            "region": "220000",
            "approval_levels": ["province"],
        },
        channel="api",
    )
    nanguan = world.enterprise("nanguan")
    actions.check_nominate(world.user("changchun"), key_list, [nanguan.uscc], channel="api")
    with pytest.raises(Forbidden, match="须由省级调度员进行"):
        actions.check_decide(
            dispatcher("changchun-2", "220100"), key_list, [nanguan.uscc], "approve", channel="api"
        )
    actions.check_decide(world.user("province"), key_list, [nanguan.uscc], "approve", channel="api")
    with pytest.raises(Forbidden, match="移出须由省级"):  # nor remove it, once on the list
        actions.check_decide(
            world.user("changchun"), key_list, [nanguan.uscc], "remove", "降级", channel="api"
        )
    assert on_list(key_list, datetime.date.today()) == [nanguan.name]


def test_a_return_needs_a_reason_and_the_county_may_nominate_again(
    world: World, city_list: KeyList, nanguan_county: User
) -> None:
    nanguan = world.enterprise("nanguan")
    actions.check_nominate(nanguan_county, city_list, [nanguan.uscc], channel="web")
    with pytest.raises(ValidationFailed, match="退回须写明理由"):
        actions.check_decide(world.user("changchun"), city_list, [nanguan.uscc], "return", " ", channel="web")
    actions.check_decide(
        world.user("changchun"), city_list, [nanguan.uscc], "return", "请补充进出口额", channel="web"
    )
    returned = Nomination.objects.get(key_list=city_list)
    assert returned.status == NominationStatus.RETURNED
    assert returned.decisions[0]["reason"] == "请补充进出口额"
    with pytest.raises(Conflict):  # the returned one cannot be approved any more
        actions.check_decide(world.user("changchun"), city_list, [nanguan.uscc], "approve", channel="web")
    actions.check_nominate(nanguan_county, city_list, [nanguan.uscc], "已补充", channel="web")
    assert Nomination.objects.filter(key_list=city_list).count() == 2


def api(client: Client, method: str, url: str, body: Any = None) -> Any:
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_creates_reads_nominates_and_decides(world: World, nanguan_county: User) -> None:
    province = world.client("province")
    response = api(
        province,
        "post",
        "/api/v1/lists",
        {"title": "吉林省重点工业企业清单", "kind": "industrial", "region": "220000"},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["tier"], created["region"], created["approval_levels"]) == (
        "province",
        "220000",
        ["city", "province"],
    )
    list_id = created["id"]

    refused = api(
        province,
        "post",
        "/api/v1/lists",
        {"title": "x", "region": "220000", "approval_levels": ["province", "city"]},
    )
    assert refused.status_code == 422
    (item,) = refused.json()["details"]["errors"]
    assert item["field"] == "approval_levels" and "自下而上" in item["message"]

    county = Client()
    county.force_login(nanguan_county)
    nanguan = world.enterprise("nanguan")
    made = api(
        county,
        "post",
        f"/api/v1/lists/{list_id}/nominations",
        {"enterprises": [nanguan.uscc], "note": "出口大户"},
    )
    assert made.status_code == 201
    assert made.json()[0]["awaited_level"] == "city"
    own = api(
        county,
        "post",
        f"/api/v1/lists/{list_id}/decisions",
        {"enterprises": [nanguan.uscc], "decision": "approve"},
    )
    assert own.status_code == 403 and "市级" in own.json()["message"]
    no_reason = api(
        world.client("changchun"),
        "post",
        f"/api/v1/lists/{list_id}/decisions",
        {"enterprises": [nanguan.uscc], "decision": "return"},
    )
    assert no_reason.status_code == 422 and no_reason.json()["details"]["errors"][0]["field"] == "reason"
    for who in ("changchun", "province"):
        ok = api(
            world.client(who),
            "post",
            f"/api/v1/lists/{list_id}/decisions",
            {"enterprises": [nanguan.uscc], "decision": "approve"},
        )
        assert ok.status_code == 200, ok.content
    stale = api(
        world.client("province"),
        "post",
        f"/api/v1/lists/{list_id}/decisions",
        {"enterprises": [nanguan.uscc], "decision": "approve"},
    )
    assert stale.status_code == 409

    today = datetime.date.today()
    detail = api(province, "get", f"/api/v1/lists/{list_id}?date={today}").json()
    assert detail["entries"] == [
        {
            "enterprise": nanguan.uscc,
            "enterprise_name": nanguan.name,
            "score": None,
            "rank": 1,
            "since": str(today),
            "basis": {},
        }
    ]
    before = api(province, "get", f"/api/v1/lists/{list_id}?date={today - datetime.timedelta(days=1)}").json()
    assert before["entries"] == []
    page = api(province, "get", "/api/v1/lists?page=1").json()
    assert page["count"] == 1 and page["items"][0]["title"] == "吉林省重点工业企业清单"
    assert api(province, "get", "/api/v1/lists?page=0").status_code == 422


def test_another_region_sees_neither_the_list_nor_a_county_the_other_countys_entries(
    world: World, province_list: KeyList, city_list: KeyList, nanguan_county: User
) -> None:
    nanguan, chaoyang = world.enterprise("nanguan"), world.enterprise("chaoyang")
    for e in (nanguan, chaoyang):
        ListEntry.objects.create(
            key_list=province_list,
            enterprise=e,
            valid_from=datetime.date(2020, 2, 1),
            basis={"score": 80 if e == chaoyang else 90},
        )
    jilin = world.client("jilin")
    assert api(jilin, "get", f"/api/v1/lists/{city_list.pk}").status_code == 404
    titles = [item["title"] for item in api(jilin, "get", "/api/v1/lists").json()["items"]]
    assert titles == [province_list.title]  # the province's list is seen from below; 长春's is not
    jilin_view = api(jilin, "get", f"/api/v1/lists/{province_list.pk}?date=2020-02-17").json()
    assert jilin_view["entries"] == []  # neither enterprise is 吉林市's
    county = Client()
    county.force_login(nanguan_county)
    county_view = api(county, "get", f"/api/v1/lists/{province_list.pk}?date=2020-02-17").json()
    assert [e["enterprise"] for e in county_view["entries"]] == [nanguan.uscc]
    city_view = api(
        world.client("changchun"), "get", f"/api/v1/lists/{province_list.pk}?date=2020-02-17"
    ).json()
    assert [(e["enterprise"], e["rank"], e["score"]) for e in city_view["entries"]] == [
        (nanguan.uscc, 1, 90.0),
        (chaoyang.uscc, 2, 80.0),
    ]
    assert api(world.client("reporter"), "get", f"/api/v1/lists/{city_list.pk}").status_code == 404
    assert (
        api(
            jilin, "post", f"/api/v1/lists/{province_list.pk}/nominations", {"enterprises": [nanguan.uscc]}
        ).status_code
        == 404
    )


def test_the_pages_nominate_and_decide_in_chinese(
    world: World, city_list: KeyList, nanguan_county: User
) -> None:
    county = Client()
    county.force_login(nanguan_county)
    nanguan = world.enterprise("nanguan")
    form = county.get(f"/lists/{city_list.pk}/nominate/")
    assert form.status_code == 200 and nanguan.name in form.content.decode()
    assert world.enterprise("chaoyang").name not in form.content.decode()
    sent = county.post(
        f"/lists/{city_list.pk}/nominate/", {"enterprises": [nanguan.uscc], "note": "订单紧急"}
    )
    assert sent.status_code == 302
    city = world.client("changchun")
    page = city.get(f"/lists/{city_list.pk}/").content.decode()
    assert "待审批的提名（1户）" in page and "待市级审批" in page and "批准" in page
    refused = city.post(f"/lists/{city_list.pk}/decide/", {"enterprises": nanguan.uscc, "decision": "return"})
    assert refused.status_code == 422 and "退回须写明理由" in refused.content.decode()
    assert (
        city.post(
            f"/lists/{city_list.pk}/decide/", {"enterprises": nanguan.uscc, "decision": "approve"}
        ).status_code
        == 302
    )
    assert "在列企业（1户）" in city.get(f"/lists/{city_list.pk}/").content.decode()
    assert world.client("leader").get(f"/lists/{city_list.pk}/nominate/").status_code == 403
    assert "重点企业清单" in city.get("/lists/").content.decode()


def test_a_city_creates_a_list_on_its_page_with_criteria_and_levels(world: World) -> None:
    city = world.client("changchun")
    assert (
        'name="region" maxlength="12" inputmode="numeric" value="220100"'
        in city.get("/lists/new/").content.decode()
    )
    form = {
        "title": "长春市闭环生产白名单",
        "kind": "closed_loop",
        "region": "220100",
        "criteria": "上年进出口额 0.4\n订单紧急程度",
    }
    refused = city.post("/lists/new/", {**form, "approval_levels": ["province"]})
    assert refused.status_code == 422 and "审批层级只能从" in refused.content.decode()
    assert "订单紧急程度" in refused.content.decode()  # typed values come back
    assert city.post("/lists/new/", {**form, "approval_levels": ["county", "city"]}).status_code == 302
    made = KeyList.objects.get(title="长春市闭环生产白名单")
    assert (made.tier, made.approval_levels) == ("city", ["county", "city"])
    assert made.criteria == [
        {"field": "上年进出口额", "weight": 0.4},
        {"field": "订单紧急程度", "weight": 1.0},
    ]
    assert world.client("leader").get("/lists/new/").status_code == 403


def sheet_text(content: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))


def test_the_export_is_the_list_as_of_the_day_with_the_readers_rows(
    world: World, province_list: KeyList, nanguan_county: User
) -> None:
    nanguan, chaoyang = world.enterprise("nanguan"), world.enterprise("chaoyang")
    for e in (nanguan, chaoyang):
        ListEntry.objects.create(key_list=province_list, enterprise=e, valid_from=datetime.date(2020, 2, 10))
    url = f"/lists/{province_list.pk}/export.xlsx?date=2020-02-17"
    response = world.client("changchun").get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    text = sheet_text(response.content)
    assert "2020年02月17日在列" in text and nanguan.name in text and chaoyang.name in text
    county = Client()
    county.force_login(nanguan_county)
    text = sheet_text(county.get(url).content)
    assert nanguan.name in text and chaoyang.name not in text
    earlier = sheet_text(world.client("changchun").get(url.replace("2020-02-17", "2020-02-09")).content)
    assert nanguan.name not in earlier
    by_api = world.client("changchun").get(f"/api/v1/lists/{province_list.pk}/export.xlsx?date=2020-02-17")
    assert by_api.status_code == 200 and chaoyang.name in sheet_text(by_api.content)
    assert AuditEvent.objects.filter(action="export.key_list", object_key=str(province_list.pk)).count() == 4


# ---- a plan following lists (selector.lists) ----


def test_a_plan_on_a_list_follows_its_entries_in_sql_and_in_python_alike(
    world: World, province_list: KeyList
) -> None:
    from fugong.dispatch.models import Plan
    from fugong.dispatch.plans.selection import plan_covers, plan_enterprises

    nanguan, changyi = world.enterprise("nanguan"), world.enterprise("changyi")
    for e, since, until in ((nanguan, 10, None), (changyi, 10, 12)):
        ListEntry.objects.create(
            key_list=province_list,
            enterprise=e,
            valid_from=datetime.date(2020, 2, since),
            valid_to=datetime.date(2020, 2, until) if until else None,
        )
    plan = Plan.objects.create(
        title="省级重点外贸企业日调度",
        owner_region_id="220000",
        start_date=datetime.date(2020, 2, 1),
        selector={"lists": [province_list.pk]},
    )
    expected = {9: set(), 11: {nanguan.pk, changyi.pk}, 12: {nanguan.pk}}
    for day_of_month, ids in expected.items():
        day = datetime.date(2020, 2, day_of_month)
        fresh = Plan.objects.get(pk=plan.pk)
        in_sql = set(plan_enterprises(fresh, day).values_list("pk", flat=True))
        in_python = {e.pk for e in Enterprise.objects.select_related("region") if plan_covers(fresh, e, day)}
        assert in_sql == in_python == ids, day


def test_a_plans_figures_follow_an_approval_without_editing_the_plan(
    world: World, city_list: KeyList
) -> None:
    from fugong.dispatch.models import Plan

    today = datetime.date.today()
    plan = Plan.objects.create(
        title="长春市重点企业日调度",
        owner_region_id="220100",
        start_date=today - datetime.timedelta(days=30),
        report_on_rest_days=True,
        selector={"lists": [city_list.pk]},
    )
    city = world.client("changchun")
    url = f"/api/v1/plans/{plan.pk}/completeness?date={today}&region=220100"
    assert city.get(url).json()["expected"] == 0
    nanguan = world.enterprise("nanguan")
    actions.check_nominate(dispatcher("nanguan-county", "220102"), city_list, [nanguan.uscc], channel="web")
    actions.check_decide(world.user("changchun"), city_list, [nanguan.uscc], "approve", channel="web")
    assert city.get(url).json()["expected"] == 1
    actions.check_decide(
        world.user("changchun"), city_list, [nanguan.uscc], "remove", "已不属重点", channel="web"
    )
    assert city.get(url).json()["expected"] == 0  # removed today: off the list from today


def test_a_plan_naming_a_list_that_does_not_exist_is_refused(world: World) -> None:
    body = {
        "title": "测试",
        "owner_region": "220100",
        "start_date": "2020-02-17",
        "selector": {"lists": [987654]},
    }
    response = world.client("changchun").post(
        "/api/v1/plans", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422 and "重点企业清单不存在：987654" in response.json()["message"]
    body["selector"] = {"lists": ["省级清单"]}
    response = world.client("changchun").post(
        "/api/v1/plans", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422 and "编号的列表" in response.json()["message"]


def test_the_plan_form_keeps_the_lists_it_follows(world: World, city_list: KeyList) -> None:
    from fugong.dispatch.models import Plan

    city = world.client("changchun")
    form = {
        "title": "长春市重点企业日调度",
        "owner_region": "220100",
        "cadence": "daily",
        "deadline_time": "16:00",
        "start_date": "2020-02-17",
        "attendance_basis": "resumed",
        "deadline_weekday": "4",
        "active": "1",
        "selector_lists": str(city_list.pk),
    }
    assert city.post("/dispatch/plans/new/", form).status_code == 302
    plan = Plan.objects.get(title="长春市重点企业日调度")
    assert plan.selector["lists"] == [city_list.pk]
    edit = city.get(f"/dispatch/plans/{plan.pk}/edit/").content.decode()
    assert f'name="selector_lists" value="{city_list.pk}"' in edit
    assert "重点企业清单（当日在列）" in city.get(f"/dispatch/plans/{plan.pk}/").content.decode()


def test_the_enterprise_tier_follows_the_highest_list_it_is_on_and_clears_when_it_leaves_the_last(
    world: World, city_list: KeyList, province_list: KeyList, nanguan_county: User
) -> None:
    nanguan = world.enterprise("nanguan")
    changchun, province = world.user("changchun"), world.user("province")

    def tier() -> str:
        return Enterprise.objects.get(pk=nanguan.pk).get_tier_display()

    assert tier() == "非重点"
    actions.check_nominate(nanguan_county, city_list, [nanguan.uscc], channel="web", now=DAY1)
    actions.check_decide(changchun, city_list, [nanguan.uscc], "approve", channel="web", now=DAY1)
    assert tier() == "市级重点"
    actions.check_nominate(nanguan_county, province_list, [nanguan.uscc], channel="web", now=DAY1)
    actions.check_decide(changchun, province_list, [nanguan.uscc], "approve", channel="web", now=DAY1)
    assert tier() == "市级重点"  # reviewed by the city, not yet approved by the province
    actions.check_decide(province, province_list, [nanguan.uscc], "approve", channel="web", now=DAY1)
    assert tier() == "省级重点"
    actions.check_decide(changchun, city_list, [nanguan.uscc], "remove", "转入省级清单", channel="web", now=DAY3)
    assert tier() == "省级重点"  # still on the province list
    actions.check_decide(province, province_list, [nanguan.uscc], "remove", "已停产", channel="web", now=DAY3)
    assert tier() == "非重点"
    tier_changes = AuditEvent.objects.filter(
        action="enterprise.update", object_key=str(nanguan.pk), note__contains="重点企业层级随所在最高层级清单调整"
    )
    assert [e.changes["tier"] for e in tier_changes.order_by("pk")] == [
        ["", "city"],
        ["city", "province"],
        ["province", ""],
    ]
