"""Delegated administration of accounts (issue 14 §1, §4): a dispatcher manages the accounts of
their own region — never beyond their region or their role — and every change is audited.

Regions of the personas (tests/conftest.py): province 吉林省 220000, changchun 长春市 220100,
jilin 吉林市 220200; a county dispatcher of 南关区 220102 is made here. The reporter persona
reports for 南关 (220102), the liaison for 朝阳 (220104).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fugong.accounts import administration as adm
from fugong.accounts.actions import do_create_token
from fugong.accounts.models import Membership, User
from fugong.core.access import Role, grant_refusal
from fugong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fugong.core.models import AuditEvent
from fugong.core.versions import StaleVersion
from fugong.notify.models import Notification
from fugong.regions.models import Region
from tests.conftest import PASSWORD, World
from tests.support.personas import P, row

WEB = "web"


def dispatcher_of(region: str, name: str) -> User:
    user = User.objects.create_user(name, password=PASSWORD, display_name=name)
    Membership.objects.create(user=user, role=Role.DISPATCHER, region_id=region)
    return user


@pytest.fixture
def county(world: World) -> User:
    """南关区's dispatcher."""
    return dispatcher_of("220102", "nanguan-dispatcher")


def reporter_at(world: World, key: str, phone: str, name: str = "") -> User:
    user = User.objects.create_user(phone, phone=phone, display_name=name or f"{key}填报员")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, role=Role.REPORTER, enterprise=world.enterprise(key))
    return user


def create(actor: Any, role: str, phone: str = "13904310001", **anchor: str) -> adm.Created:
    return adm.do_create_account(actor, phone=phone, display_name="新同志", role=role, channel=WEB, **anchor)


# ---- the permission matrix ----

# (who, role, at region, may grant): the rank of roles and the dispatch tree (公主岭 220184 is
# province-managed, not under 长春市; 长春高新区 220173 is dispatched under 长春新区, not 长春市)
RANKS = [
    ("county", Role.REPORTER, "220102", True),
    ("county", Role.HANDLER, "220102", True),
    ("county", Role.DISPATCHER, "220102", False),  # a peer: only from above
    ("county", Role.LEADER, "220102", False),
    ("county", Role.REPORTER, "220104", False),  # another county
    ("changchun", Role.DISPATCHER, "220102", True),
    ("changchun", Role.LEADER, "220102", True),
    ("changchun", Role.LEADER, "220100", False),
    ("changchun", Role.ADMIN, "220102", False),  # ranked above a dispatcher
    ("changchun", Role.REPORTER, "220184", False),
    ("changchun", Role.REPORTER, "220173", False),
    ("province", Role.DISPATCHER, "220184", True),
    ("province", Role.DISPATCHER, "220000", False),
    ("admin", Role.DISPATCHER, "220000", True),
    ("leader", Role.REPORTER, "220102", False),
    ("handler", Role.REPORTER, "220102", False),
]


@pytest.mark.parametrize(("who", "role", "code", "allowed"), RANKS)
def test_the_rank_of_roles_decides_who_grants_what_where(
    world: World, county: User, who: str, role: str, code: str, allowed: bool
) -> None:
    actor = county if who == "county" else world.user(who)
    reason = grant_refusal(actor, role, Region.objects.get(code=code).path)
    assert (reason is None) == allowed, reason


def test_a_county_dispatcher_cannot_create_a_province_or_city_dispatcher(world: World, county: User) -> None:
    for region in ("220000", "220100"):
        with pytest.raises(Forbidden, match="不在您管理的区划内"):
            create(county, Role.DISPATCHER, region=region)
    with pytest.raises(Forbidden, match="只能由上级授予"):  # nor a peer in its own county
        create(county, Role.DISPATCHER, region="220102")
    with pytest.raises(Forbidden, match="不能授予比自己更高的角色"):
        create(county, Role.ADMIN, region="220102")
    assert not User.objects.filter(phone="13904310001").exists()


def test_a_county_dispatcher_creates_its_own_enterprises_reporters(world: World, county: User) -> None:
    created = create(county, Role.REPORTER, enterprise=world.enterprise("nanguan").uscc)
    assert created.new_account and created.temporary_password is None  # reporters sign in by SMS
    assert created.user.username == created.user.phone == "13904310001"
    assert not created.user.has_usable_password()
    invitation = Notification.objects.get(user=created.user)  # queued once, as from the registry
    assert "邀请您作为长春南关汽车零部件有限公司的填报员" in invitation.body
    # 朝阳区 is another county: its enterprise is not even found (never named to the county)
    with pytest.raises(ValidationFailed, match="未找到企业"):
        create(county, Role.REPORTER, phone="13904310002", enterprise=world.enterprise("chaoyang").uscc)


def test_a_county_dispatcher_cannot_touch_another_countys_reporter(world: World, county: User) -> None:
    theirs = reporter_at(world, "chaoyang", "13904310003")
    for act in (adm.do_disable_account, adm.do_reset_password, adm.do_end_sign_ins):
        with pytest.raises(NotFound):
            act(county, adm.account_for(county, theirs.pk), channel=WEB)
    client = world.client(county.username)
    assert client.get(f"/accounts/{theirs.pk}/").status_code == 404
    assert client.post(f"/accounts/{theirs.pk}/disable/").status_code == 404
    assert User.objects.get(pk=theirs.pk).is_active


def test_a_county_dispatcher_cannot_raise_its_own_role(world: World, county: User) -> None:
    with pytest.raises(Forbidden, match="不能给自己授予角色"):
        adm.do_grant_role(county, county, Role.DISPATCHER, region="220100", channel=WEB)
    with pytest.raises(Forbidden, match="不能给自己授予角色"):  # not even a role below its own
        adm.do_grant_role(
            county, county, Role.REPORTER, enterprise=world.enterprise("nanguan").uscc, channel=WEB
        )
    with pytest.raises(Forbidden, match="不能给自己"):  # nor through the create form with its phone
        county.phone = "13904310004"
        county.save()
        create(county, Role.REPORTER, phone="13904310004", enterprise=world.enterprise("nanguan").uscc)
    assert list(county.memberships.values_list("role", "region_id")) == [(Role.DISPATCHER, "220102")]


def test_a_city_dispatcher_manages_its_counties_reporters_and_dispatchers(world: World) -> None:
    changchun, reporter = world.user("changchun"), world.user("reporter")
    adm.do_disable_account(changchun, adm.account_for(changchun, reporter.pk), channel=WEB)
    assert not User.objects.get(pk=reporter.pk).is_active
    adm.do_enable_account(changchun, reporter, channel=WEB)
    made = create(changchun, Role.DISPATCHER, region="220102")  # a county dispatcher of its own
    assert made.temporary_password and made.user.check_password(made.temporary_password)
    with pytest.raises(Forbidden, match="只能由上级授予"):
        create(changchun, Role.DISPATCHER, phone="13904310005", region="220100")
    with pytest.raises(NotFound):  # 吉林市's reporter is not its account
        adm.account_for(changchun, reporter_at(world, "changyi", "13904310006").pk)
    with pytest.raises(ValidationFailed, match="未找到企业"):  # nor its enterprise, which it cannot see
        create(changchun, Role.REPORTER, phone="13904310007", enterprise=world.enterprise("changyi").uscc)


def test_the_province_manages_its_dispatchers(world: World) -> None:
    province, changchun = world.user("province"), world.user("changchun")
    for region in ("220200", "220102"):
        create(province, Role.DISPATCHER, phone=f"139043101{region[-2:]}", region=region)
    adm.do_disable_account(province, adm.account_for(province, changchun.pk), channel=WEB)
    with pytest.raises(Forbidden, match="只能由上级授予"):  # a province dispatcher: the admin's
        create(province, Role.DISPATCHER, phone="13904310010", region="220000")
    with pytest.raises(NotFound):  # a nationwide administrator is nobody's account to manage
        adm.account_for(province, world.user("admin").pk)
    # the administrator makes province dispatchers
    assert create(world.user("admin"), Role.DISPATCHER, phone="13904310011", region="220000").new_account


@pytest.mark.parametrize("persona", ["leader", "handler", "liaison", "reporter", "outsider"])
def test_roles_that_do_not_dispatch_manage_no_accounts(world: World, persona: str) -> None:
    with pytest.raises(Forbidden, match="您的角色不能管理账号"):
        create(world.user(persona), Role.REPORTER, enterprise=world.enterprise("nanguan").uscc)


def test_an_account_with_a_role_beyond_the_dispatcher_is_not_theirs_to_disable(world: World) -> None:
    changchun = world.user("changchun")
    clerk = reporter_at(world, "nanguan", "13904310012")
    Membership.objects.create(user=clerk, role=Role.REPORTER, enterprise=world.enterprise("changyi"))
    with pytest.raises(Forbidden, match="另有您管理的区划以外的角色") as refused:
        adm.do_disable_account(changchun, adm.account_for(changchun, clerk.pk), channel=WEB)
    assert "吉林昌邑" not in refused.value.message  # counted, not named
    page = world.client("changchun").get(f"/accounts/{clerk.pk}/").content.decode()
    assert "另有 1 个您管理的区划以外的有效角色" in page and "吉林昌邑" not in page
    assert "吉林昌邑" not in world.client("changchun").get("/accounts/?q=0012").content.decode()
    # but 长春's role on it is 长春's to withdraw
    mine = clerk.memberships.get(enterprise=world.enterprise("nanguan"))
    adm.do_withdraw_role(changchun, mine, channel=WEB)
    assert list(clerk.memberships.filter(active=True).values_list("enterprise__name", flat=True)) == [
        "吉林昌邑化工有限公司"
    ]
    with pytest.raises(Forbidden, match="不在您管理的区划内"):
        adm.do_withdraw_role(
            changchun, clerk.memberships.get(enterprise=world.enterprise("changyi")), channel=WEB
        )
    # the province administers both: it may disable the account
    adm.do_disable_account(world.user("province"), clerk, channel=WEB)


def test_a_phone_that_has_an_account_gets_the_role_on_it(world: World) -> None:
    clerk = reporter_at(world, "nanguan", "13904310013", "集团文员")
    again = create(
        world.user("changchun"),
        Role.REPORTER,
        phone="139 0431 0013",
        enterprise=world.enterprise("chaoyang").uscc,
    )
    assert (again.user.pk, again.new_account, again.temporary_password) == (clerk.pk, False, None)
    assert set(clerk.memberships.values_list("enterprise__name", flat=True)) == {
        "长春南关汽车零部件有限公司",
        "长春朝阳食品有限公司",
    }
    with pytest.raises(Conflict, match="已担任"):
        create(
            world.user("changchun"),
            Role.REPORTER,
            phone="13904310013",
            enterprise=world.enterprise("chaoyang").uscc,
        )
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    with pytest.raises(Conflict, match="已停用"):
        create(
            world.user("province"),
            Role.LIAISON,
            phone="13904310013",
            enterprise=world.enterprise("gaoxin").uscc,
        )


def test_a_landline_is_refused_with_the_reason(world: World) -> None:
    with pytest.raises(ValidationFailed, match="固定电话") as refused:
        create(
            world.user("changchun"),
            Role.REPORTER,
            phone="0431-88880000",
            enterprise=world.enterprise("nanguan").uscc,
        )
    assert refused.value.details["errors"][0]["field"] == "phone"


# ---- disabling ends sign-ins at once ----


def token_answer(raw: str) -> int:
    return Client().get("/api/v1/auth/tokens", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def test_a_disabled_account_loses_its_session_and_token_at_once(world: World) -> None:
    reporter = world.user("reporter")
    browser = world.client("reporter")
    _, raw = do_create_token(reporter, "脚本", channel=WEB)
    assert browser.get("/password/").status_code == 200
    assert token_answer(raw) == 200
    adm.do_disable_account(world.user("changchun"), reporter, channel=WEB)
    assert browser.get("/password/")["Location"].startswith("/login/")
    assert token_answer(raw) == 401
    ended = AuditEvent.objects.get(action="user.sign_ins_end", object_key=str(reporter.pk))
    assert ended.changes == {"sessions": 1, "tokens": 1}
    assert not reporter.devices.exists()  # gone from 我的设备 too
    adm.do_enable_account(world.user("changchun"), reporter, channel=WEB)
    assert token_answer(raw) == 401  # revoked, not only refused
    assert browser.get("/password/")["Location"].startswith("/login/")  # its session is gone


def test_is_active_false_alone_already_refuses_session_and_token(world: World) -> None:
    # what the action's deleting and revoking stands on: Django's and our token auth read it
    browser = world.client("handler")
    _, raw = do_create_token(world.user("handler"), "脚本", channel=WEB)
    User.objects.filter(username="handler").update(is_active=False)
    assert browser.get("/password/")["Location"].startswith("/login/")
    assert token_answer(raw) == 401


def test_a_password_reset_gives_a_temporary_password_and_ends_the_old_sessions(world: World) -> None:
    made = create(
        world.user("changchun"),
        Role.HANDLER,
        department=str(world.user("handler").memberships.get().department_id),
    )
    browser = Client()
    assert browser.login(username=made.user.username, password=made.temporary_password)
    new = adm.do_reset_password(world.user("changchun"), made.user, channel=WEB)
    assert browser.get("/password/")["Location"].startswith("/login/")
    assert Client().login(username=made.user.username, password=new)
    assert not Client().login(username=made.user.username, password=made.temporary_password)
    by_sms = reporter_at(world, "nanguan", "13904310019")
    with pytest.raises(Conflict, match="只用短信验证码登录"):  # a reporter has no password to reset
        adm.do_reset_password(world.user("changchun"), by_sms, channel=WEB)


# ---- the audit trail ----


def test_every_change_is_audited_with_the_dispatcher_as_actor(world: World) -> None:
    changchun = world.user("changchun")
    made = create(changchun, Role.REPORTER, enterprise=world.enterprise("nanguan").uscc)
    adm.do_grant_role(
        changchun, made.user, Role.LIAISON, enterprise=world.enterprise("chaoyang").uscc, channel=WEB
    )
    do_create_token(made.user, "脚本", channel=WEB)
    adm.do_withdraw_role(changchun, made.membership, channel=WEB)
    adm.do_disable_account(changchun, made.user, channel=WEB)
    adm.do_enable_account(changchun, made.user, channel=WEB)
    rows = list(adm.account_history(made.user).order_by("at", "id").values_list("action", "actor__username"))
    assert rows == [
        ("user.create", "changchun"),
        ("membership.add", "changchun"),
        ("membership.add", "changchun"),
        ("token.create", made.user.username),
        ("membership.disable", "changchun"),
        ("user.disable", "changchun"),
        ("token.revoke", "changchun"),
        ("user.sign_ins_end", "changchun"),
        ("user.enable", "changchun"),
    ]


def test_a_refusal_is_audited_too(world: World, county: User) -> None:
    theirs = reporter_at(world, "chaoyang", "13904310014")
    world.client(county.username).post(f"/accounts/{theirs.pk}/disable/")
    refusal = AuditEvent.objects.get(action="access.not_found", actor=county)
    assert (refusal.object_type, refusal.object_key) == ("user", f"pk={theirs.pk}")


# ---- the pages ----

#                  province chgchun jilin leader liaison reporter handler outsider admin
LIST = row(200, 200, 200, 403, 403, 403, 403, 403, 200)
# the reporter's account (南关, 长春市): out of their region it is not there, whoever asks
REPORTER_PAGE = row(200, 200, 404, 404, 404, 404, 404, 404, 200)


@pytest.mark.parametrize("persona", P)
def test_the_pages_answer_each_persona(world: World, persona: str) -> None:
    client = world.client(persona)
    reporter = world.user("reporter")
    assert client.get("/accounts/").status_code == LIST[persona]
    assert client.get("/accounts/new/").status_code == LIST[persona]
    assert client.get(f"/accounts/{reporter.pk}/").status_code == REPORTER_PAGE[persona]
    assert client.get(f"/accounts/{reporter.pk}/disable/").status_code == REPORTER_PAGE[persona]
    nav = client.get("/password/").content.decode()
    assert ('href="/accounts/"' in nav) == (LIST[persona] == 200)


def test_the_list_shows_the_region_accounts_searchable_by_name_phone_and_role(world: World) -> None:
    reporter_at(world, "nanguan", "13904310015", "南关王会计")
    reporter_at(world, "changyi", "13904310016", "昌邑李会计")
    client = world.client("changchun")
    page = client.get("/accounts/").content.decode()
    assert all(f">{name}</a>" in page for name in ("南关王会计", "reporter", "liaison", "handler"))
    assert all(f">{name}</a>" not in page for name in ("昌邑李会计", "jilin", "province", "changchun"))
    assert "南关王会计" in client.get("/accounts/?q=0015").content.decode()
    found = client.get("/accounts/?q=王会计").content.decode()
    assert ">南关王会计</a>" in found and ">liaison</a>" not in found
    by_role = client.get("/accounts/?role=liaison").content.decode()
    assert ">liaison</a>" in by_role and ">南关王会计</a>" not in by_role
    for bad in ("999", "abc", "-1"):  # bounded like the other lists: a page that is there
        assert client.get(f"/accounts/?page={bad}").status_code == 200


def test_a_dispatcher_creates_grants_withdraws_and_disables_through_the_pages(world: World) -> None:
    client = world.client("changchun")
    nanguan, chaoyang = world.enterprise("nanguan").uscc, world.enterprise("chaoyang").uscc
    answer = client.post(
        "/accounts/new/",
        {"phone": "13904310017", "display_name": "赵填报", "role": "reporter", "enterprise": nanguan},
    )
    assert answer.status_code == 200 and "已建立账号：赵填报" in answer.content.decode()
    user = User.objects.get(phone="13904310017")
    page = client.get(f"/accounts/{user.pk}/").content.decode()
    assert "企业填报员·长春南关汽车零部件有限公司" in page and "新建用户" in page
    resend = f'action="/enterprises/{nanguan}/invite/"'
    assert resend in page and "重发邀请" in page  # the reporter's "reset": the invitation again
    version = adm.account_version(user)
    answer = client.post(
        f"/accounts/{user.pk}/grant/", {"role": "liaison", "enterprise": chaoyang, "base_version": version}
    )
    assert answer.status_code == 302
    membership = user.memberships.get(role="liaison")
    answer = client.post(
        f"/accounts/{user.pk}/withdraw/",
        {"membership": membership.pk, "base_version": adm.account_version(user)},
    )
    assert answer.status_code == 302 and not Membership.objects.get(pk=membership.pk).active
    confirm = client.get(f"/accounts/{user.pk}/disable/").content.decode()
    assert "确认停用" in confirm
    assert (
        client.post(f"/accounts/{user.pk}/disable/", {"base_version": adm.account_version(user)}).status_code
        == 302
    )
    assert not User.objects.get(pk=user.pk).is_active
    assert "已停用" in client.get(f"/accounts/{user.pk}/").content.decode()


def test_the_create_form_refuses_with_the_reason(world: World, county: User) -> None:
    answer = world.client(county.username).post(
        "/accounts/new/",
        {"phone": "13904310018", "display_name": "钱调度", "role": "dispatcher", "region": "220100"},
    )
    assert answer.status_code == 403 and "不在您管理的区划内" in answer.content.decode()
    answer = world.client("changchun").post(
        "/accounts/new/", {"phone": "12345", "display_name": "", "role": "reporter"}
    )
    assert answer.status_code == 422
    text = answer.content.decode()
    assert "不是有效的手机号" in text and "请填写姓名" in text


def test_the_create_form_offers_only_the_roles_and_regions_the_dispatcher_may_grant(
    world: World, county: User
) -> None:
    county_form = world.client(county.username).get("/accounts/new/").content.decode()
    assert 'value="reporter"' in county_form and 'value="dispatcher"' not in county_form
    city_form = world.client("changchun").get("/accounts/new/").content.decode()
    assert 'value="dispatcher"' in city_form and 'value="220102"' in city_form
    assert 'value="220100"' not in city_form and 'value="220200"' not in city_form


def test_a_change_based_on_an_older_state_is_refused(world: World) -> None:
    reporter = world.user("reporter")
    seen = adm.account_version(reporter)
    adm.do_grant_role(
        world.user("province"),
        reporter,
        Role.LIAISON,
        enterprise=world.enterprise("chaoyang").uscc,
        channel=WEB,
    )
    with pytest.raises(StaleVersion, match=r"已于 .* 被 province"):
        adm.do_disable_account(world.user("changchun"), reporter, base_version=seen, channel=WEB)
    answer = world.client("changchun").post(f"/accounts/{reporter.pk}/disable/", {"base_version": seen})
    assert answer.status_code == 409 and "请核对当前状态后再提交" in answer.content.decode()
    assert User.objects.get(pk=reporter.pk).is_active


def test_a_reset_through_the_page_shows_the_temporary_password_once(world: World) -> None:
    handler = world.user("handler")
    client = world.client("changchun")
    answer = client.post(f"/accounts/{handler.pk}/reset/", {"base_version": adm.account_version(handler)})
    text = answer.content.decode()
    assert answer.status_code == 200 and "只显示这一次" in text
    password = text.split('<pre class="token">')[1].split("</pre>")[0]
    assert Client().login(username="handler", password=password)
    assert password not in client.get(f"/accounts/{handler.pk}/").content.decode()
