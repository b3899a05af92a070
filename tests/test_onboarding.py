"""Reporter accounts from the registry (issue 14 §1): one account per mobile, moves with
history, invitations queued once, resend limits, and the printable QR sheet."""

from __future__ import annotations

import datetime
import io
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fugong.accounts.invitations import do_resend_invitation
from fugong.accounts.models import Membership, User
from fugong.accounts.onboarding import ContactRow, do_enrol_reporters
from fugong.core.access import Role
from fugong.core.errors import Forbidden, TooManyAttempts
from fugong.core.models import AuditEvent, Channel, Job
from fugong.dispatch.plans.qr_sheet import qr_svg
from fugong.enterprises.importing import check_import_enterprises
from fugong.enterprises.models import Enterprise
from fugong.notify.models import Channel as NotifyChannel
from fugong.notify.models import Delivery, Notification
from tests.conftest import World, uscc
from tests.support.sheets import csv_bytes

HEADER = ["统一社会信用代码", "企业名称", "所属区划", "联系人", "联系电话"]
A, B, C = uscc("220102", 7001), uscc("220104", 7002), uscc("220202", 7003)
CLERK = "13804310001"


def sheet(*rows: list[Any]) -> bytes:
    return csv_bytes([HEADER, *rows])


def run(user: Any, data: bytes, **flags: Any) -> Any:
    return check_import_enterprises(user, data, "名单.csv", channel=Channel.EXCEL, accounts=True, **flags)


def reporters(code: str) -> list[tuple[str, bool]]:
    return sorted(
        Membership.objects.filter(enterprise__uscc=code, role=Role.REPORTER).values_list(
            "user__phone", "active"
        )
    )


@pytest.fixture
def sms(db: Any) -> NotifyChannel:
    return NotifyChannel.objects.create(
        kind=NotifyChannel.Kind.SMS, name="短信网关", url="http://127.0.0.1:9/sms"
    )


def test_one_phone_for_two_enterprises_is_one_account_with_two_memberships(world: World, sms: Any) -> None:
    result = run(
        world.user("changchun"),
        sheet(
            [A, "长春甲配件有限公司", "220102", "王会计", "138 0431 0001"],
            [B, "长春乙食品有限公司", "220104", "王会计", CLERK],
        ),
    )
    assert result.written
    assert "填报账号：新建1，关联已有账号0，更换手机号0，因联系电话拒绝0" in result.summary()
    account = User.objects.get(phone=CLERK)
    assert (account.username, account.display_name, account.has_usable_password()) == (CLERK, "王会计", False)
    assert not account.is_staff and not account.is_superuser
    assert set(account.memberships.values_list("role", "enterprise__uscc")) == {
        (Role.REPORTER, A),
        (Role.REPORTER, B),
    }
    # one invitation, queued for the outbox, naming both enterprises; nothing was sent inline
    notice = Notification.objects.get(user=account)
    assert "长春甲配件有限公司等2户企业" in notice.body and "changchun" in notice.body
    assert notice.url.startswith("/login/?phone=13804310001&next=")
    assert Delivery.objects.get(user=account).status == Delivery.Status.PENDING


def test_reimporting_the_same_sheet_changes_nothing(world: World, sms: Any) -> None:
    data = sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK])
    run(world.user("changchun"), data)
    events, notices = (
        AuditEvent.objects.exclude(action="enterprise.import").count(),
        Notification.objects.count(),
    )
    result = run(world.user("changchun"), data)
    assert "新建0，关联已有账号0，更换手机号0，因联系电话拒绝0" in result.summary()
    assert AuditEvent.objects.exclude(action="enterprise.import").count() == events
    assert Notification.objects.count() == notices
    assert User.objects.filter(phone=CLERK).count() == 1


def test_a_changed_phone_moves_the_reporter_and_keeps_the_old_one_as_history(world: World, sms: Any) -> None:
    run(world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]))
    result = run(world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "李出纳", "13904310002"]))
    assert "新建1，关联已有账号0，更换手机号1" in result.summary()
    assert reporters(A) == [(CLERK, False), ("13904310002", True)]
    assert User.objects.get(phone=CLERK).is_active  # the person keeps the account, not the enterprise
    notes = list(
        AuditEvent.objects.filter(action__startswith="membership.")
        .order_by("pk")
        .values_list("action", "note")
    )
    assert notes[-2:] == [
        ("membership.add", "企业名单导入：长春甲配件有限公司 填报员 李出纳 139****0002"),
        (
            "membership.disable",
            "企业名单导入：长春甲配件有限公司 联系电话已改为 139****0002，停用原填报员 138****0001",
        ),
    ]


def test_a_second_phone_in_the_cell_adds_a_second_reporter(world: World) -> None:
    run(world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]))
    run(
        world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "王会计", f"{CLERK}、13904310002"])
    )
    assert reporters(A) == [(CLERK, True), ("13904310002", True)]


def test_a_phone_taken_out_of_the_cell_loses_its_membership_the_other_stays(world: World) -> None:
    run(
        world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "王会计", f"{CLERK}、13904310002"])
    )
    result = run(world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "王会计", "13904310002"]))
    assert "新建0，关联已有账号0，更换手机号1" in result.summary()
    assert reporters(A) == [(CLERK, False), ("13904310002", True)]


def test_a_dry_run_checks_the_phones_and_makes_no_account(world: World) -> None:
    result = run(
        world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]), dry_run=True
    )
    assert not result.written and not result.rejected
    assert not User.objects.filter(phone=CLERK).exists() and not Notification.objects.exists()


def test_an_existing_account_is_linked_without_an_invitation(world: World, sms: Any) -> None:
    staff = world.user("changchun")
    staff.phone = CLERK
    staff.save()
    result = run(world.user("province"), sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]))
    assert "新建0，关联已有账号1" in result.summary()
    assert not Notification.objects.filter(user=staff).exists()
    assert reporters(A) == [(CLERK, True)]
    staff.refresh_from_db()
    assert staff.display_name == "changchun"  # a linked account's name is left as it is


def test_an_invalid_phone_rejects_its_row_with_the_reason_and_writes_nothing(world: World) -> None:
    data = sheet(
        [A, "长春甲配件有限公司", "220102", "王会计", CLERK],
        [B, "长春乙食品有限公司", "220104", "赵主任", "0431-88880000"],
    )
    result = run(world.user("changchun"), data)
    assert not result.written
    assert [(o.row, o.message) for o in result.rejected] == [
        (
            3,
            "联系电话“0431-88880000”：“0431-88880000”像是固定电话；账号须用11位手机号接收短信验证码，请改填手机号",
        )
    ]
    assert result.summary().endswith("；因联系电话不能开通填报账号1行")
    assert not User.objects.filter(phone=CLERK).exists() and not Enterprise.objects.filter(uscc=A).exists()
    partial = run(world.user("changchun"), data, partial=True)
    assert partial.written and not Enterprise.objects.filter(uscc=B).exists()
    assert reporters(A) == [(CLERK, True)]


def test_the_importer_outside_their_region_is_refused(world: World) -> None:
    result = run(world.user("jilin"), sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]))
    assert not result.written and not User.objects.filter(phone=CLERK).exists()
    # called directly (a script), an enterprise out of the caller's scope is a rejected row too
    nanguan = world.enterprise("nanguan")
    enrolled = do_enrol_reporters(
        world.user("jilin"), [ContactRow(1, nanguan.uscc, "王会计", CLERK)], channel=Channel.CLI
    )
    assert enrolled.rejected == {1: "该企业不存在或不在您的管辖范围内，不能为其开通填报账号"}
    assert not User.objects.filter(phone=CLERK).exists()


def test_without_the_option_no_account_is_made(world: World) -> None:
    check_import_enterprises(
        world.user("changchun"),
        sheet([A, "甲有限公司", "220102", "王会计", "0431-8888"]),
        "x.csv",
        channel=Channel.EXCEL,
    )
    assert not User.objects.filter(display_name="王会计").exists()


def test_a_chunk_costs_a_few_queries_whatever_its_size(world: World) -> None:
    def enrol(rows: int, offset: int) -> int:
        contacts = []
        for n in range(rows):
            code = uscc("220102", 8000 + offset + n)
            Enterprise.objects.create(
                uscc=code, name=f"企业{offset + n}", region_id="220102", active_from=datetime.date(2020, 1, 1)
            )
            contacts.append(ContactRow(n + 1, code, "联系人", f"1380431{offset + n:04d}"))
        with CaptureQueriesContext(connection) as queries:
            do_enrol_reporters(world.user("changchun"), contacts, channel=Channel.CLI)
        return len(queries)

    # 40 times the rows, not 40 times the queries (a few more for the inserts the driver splits)
    assert enrol(200, 100) < enrol(5, 0) + 10


def test_the_command_takes_accounts(world: World, tmp_path: Any, capsys: Any) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]))
    call_command("import_enterprises", str(path), "--accounts")
    assert "填报账号：新建1" in capsys.readouterr().out
    assert reporters(A) == [(CLERK, True)]


def test_the_import_page_has_the_option(world: World) -> None:
    client = world.client("changchun")
    page = client.get("/enterprises/import/")
    assert 'name="accounts"' in page.content.decode()
    upload = sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK])
    answer = client.post(
        "/enterprises/import/", {"file": SimpleUploadedFile("名单.csv", upload), "accounts": "1"}
    )
    assert "填报账号：新建1" in answer.content.decode()


def test_a_big_file_imported_in_the_background_makes_the_accounts_too(world: World, settings: Any) -> None:
    settings.FUGONG_BACKGROUND_IMPORT_BYTES = 1
    upload = SimpleUploadedFile("名单.csv", sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]))
    world.client("changchun").post("/enterprises/import/", {"file": upload, "accounts": "1"})
    call_command("run_jobs", "--once", stdout=io.StringIO())
    assert "填报账号：新建1" in Job.objects.get().result["summary"]
    assert reporters(A) == [(CLERK, True)]


# ---- resend ----


def enrolled(world: World) -> User:
    run(world.user("changchun"), sheet([A, "长春甲配件有限公司", "220102", "王会计", CLERK]))
    return User.objects.get(phone=CLERK)


def test_resend_is_limited_to_once_in_ten_minutes(world: World, sms: Any) -> None:
    account = enrolled(world)
    with pytest.raises(TooManyAttempts):  # the first invitation was just queued
        do_resend_invitation(world.user("changchun"), account, channel=Channel.WEB)
    Notification.objects.filter(user=account).update(
        created_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert do_resend_invitation(world.user("changchun"), account, channel=Channel.WEB) == 1
    assert Delivery.objects.filter(user=account).count() == 2
    assert AuditEvent.objects.filter(action="user.invite", object_key=str(account.pk)).count() == 1
    with pytest.raises(TooManyAttempts):
        do_resend_invitation(world.user("changchun"), account, channel=Channel.WEB)


def test_resend_is_refused_outside_the_dispatchers_scope(world: World) -> None:
    account = enrolled(world)
    Notification.objects.all().delete()
    with pytest.raises(Forbidden):
        do_resend_invitation(world.user("jilin"), account, channel=Channel.WEB)
    with pytest.raises(Forbidden):
        do_resend_invitation(world.user("reporter"), account, channel=Channel.WEB)
    assert not Notification.objects.exists()


def test_a_reporter_without_a_phone_is_told_what_to_fill_not_refused_as_out_of_scope(world: World) -> None:
    account = enrolled(world)
    Notification.objects.all().delete()
    User.objects.filter(pk=account.pk).update(phone="")
    answer = world.client("changchun").post(f"/enterprises/{A}/invite/", {"account": account.pk}, follow=True)
    assert "没有登记手机号" in answer.content.decode() and "补填手机号" in answer.content.decode()
    assert not Notification.objects.exists()


def test_the_enterprise_page_lists_reporters_with_masked_phones_and_resends(world: World, sms: Any) -> None:
    account = enrolled(world)
    client = world.client("changchun")
    page = client.get(f"/enterprises/{A}/").content.decode()
    listed = page[page.index('id="reporters"') :]
    listed = listed[: listed.index("</table>")]
    assert "138****0001" in listed and CLERK not in listed and "待发送" in listed
    Notification.objects.filter(user=account).update(
        created_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    answer = client.post(f"/enterprises/{A}/invite/", {"account": account.pk})
    assert answer.status_code == 302
    assert Delivery.objects.filter(user=account).count() == 2
    again = client.post(f"/enterprises/{A}/invite/", {"account": account.pk}, follow=True)
    assert "分钟后再重发" in again.content.decode()
    assert world.client("jilin").post(f"/enterprises/{A}/invite/", {"account": account.pk}).status_code == 404


# ---- the printable QR sheet ----


def test_the_qr_sheet_lists_the_plans_enterprises_in_the_dispatchers_region_only(
    world: World, plan: Any
) -> None:
    answer = world.client("changchun").get(f"/dispatch/plans/{plan.pk}/qr/")
    assert answer.status_code == 200
    urls = {entry.uscc: entry.url for entry, _ in answer.context["codes"]}
    nanguan, changyi = world.enterprise("nanguan"), world.enterprise("changyi")
    assert nanguan.uscc in urls and world.enterprise("chaoyang").uscc in urls
    assert changyi.uscc not in urls  # 吉林市's
    # the code says the report page, as the SMS invitation's sign-in leads to
    assert urls[nanguan.uscc] == f"http://testserver/dispatch/e/{nanguan.uscc}/report/"
    page = answer.content.decode()
    assert qr_svg(urls[nanguan.uscc]) in page and "长春南关汽车零部件有限公司" in page
    narrowed = world.client("changchun").get(f"/dispatch/plans/{plan.pk}/qr/", {"region": "220104"})
    assert [e.uscc for e, _ in narrowed.context["codes"]] == [world.enterprise("chaoyang").uscc]


def test_the_qr_codes_are_valid_svg_of_the_link() -> None:
    url = "https://fugong.jl.gov.cn/dispatch/e/91220102000070010X/report/"
    svg = ElementTree.fromstring(qr_svg(url))
    assert svg.tag.endswith("svg") and svg.get("viewBox") and svg.find("{*}path") is not None
    assert qr_svg(url) != qr_svg(url.replace("0X", "1X"))  # the picture depends on the link


def test_the_qr_sheet_is_refused_beyond_the_dispatchers_scope(world: World, plan: Any) -> None:
    sheet = f"/dispatch/plans/{plan.pk}/qr/"
    assert world.client("changchun").get(sheet, {"region": "220200"}).status_code == 404  # 吉林市: unseen
    assert world.client("changchun").get(sheet, {"region": "220000"}).status_code == 403  # the province
    assert world.client("leader").get(f"/dispatch/plans/{plan.pk}/qr/").status_code == 403
    assert world.client("reporter").get(f"/dispatch/plans/{plan.pk}/qr/").status_code == 403
    assert "打印二维码" in world.client("changchun").get(f"/dispatch/plans/{plan.pk}/").content.decode()
    assert "打印二维码" not in world.client("leader").get(f"/dispatch/plans/{plan.pk}/").content.decode()
