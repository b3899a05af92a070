"""The audit trail (管理后台 → 操作记录): read-only, in Chinese, and holding what an inspector asks for —
sign-ins, account and permission changes, imports, downloads of named data, refusals."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fugong.accounts.models import ApiToken, Membership, User
from fugong.core import audit
from fugong.core.access import Role
from fugong.core.models import AuditEvent, Channel, Job
from fugong.dispatch.models import Plan
from tests.conftest import PASSWORD, World
from tests.support import sheets
from tests.support.reports import import_report_sheet
from tests.support.sheets import REPORT_HEADER, enterprise_rows, report_row

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def empty_trail(db: Any) -> None:
    """Without the rows the session's set-up wrote (its users and memberships are recorded too)."""
    AuditEvent.objects.all().delete()


def superuser(world: World) -> Client:
    User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)  # as seed_demo makes it
    return world.client("admin")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).select_related("actor").order_by("id"))


def only(action: str) -> AuditEvent:
    found = events(action)
    assert len(found) == 1, f"{action}: {len(found)} rows"
    return found[0]


def admin_list(world: World, query: str = "") -> str:
    response = superuser(world).get(f"/admin/core/auditevent/{query}")
    assert response.status_code == 200
    return response.content.decode()


# ---- the admin: read-only, in Chinese -------------------------------------------------------


def test_nobody_can_add_change_or_delete_audit_rows_in_the_admin(world: World) -> None:
    event = audit.record(
        actor=world.user("changchun"),
        channel=Channel.WEB,
        action="report.unlock",
        object_type="x",
        object_key="1",
    )
    client = superuser(world)  # a superuser: if not they, no one
    assert client.get("/admin/core/auditevent/add/").status_code == 403
    assert client.post("/admin/core/auditevent/add/", {"action": "x"}).status_code == 403
    assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/core/auditevent/{event.pk}/change/", {"action": "forged", "note": "forged"})
    event.refresh_from_db()
    assert event.action == "report.unlock" and event.note == ""
    detail = client.get(f"/admin/core/auditevent/{event.pk}/change/").content.decode()
    assert "解锁填报" in detail and "保存" not in detail and "删除" not in detail
    assert "添加 操作记录" not in admin_list(world)


def test_the_admin_list_shows_channels_actions_and_columns_in_chinese(world: World) -> None:
    audit.record(
        actor=world.user("changchun"),
        channel=Channel.WEB,
        action="notify.remind",
        object_type="notification",
        object_key="3",
    )
    audit.record(
        actor=world.user("province"),
        channel=Channel.EXCEL,
        action="report.import",
        object_type="plan",
        object_key="9",
    )
    text = admin_list(world)
    for word in (
        "提醒",
        "网页",
        "导入填报表",
        "表格导入",
        "操作人",
        "渠道",
        "对象类型",
        "时间",
        "通知",
        "调度任务",
    ):
        assert word in text, word
    assert ">notify.remind<" not in text and ">web<" not in text
    filtered = admin_list(world, "?action=notify.remind")
    assert "提醒" in filtered and "导入填报表</td>" not in filtered
    assert "3" in admin_list(world, "?q=3")


def test_every_action_the_code_records_has_a_chinese_name() -> None:
    codes = set()
    for path in (ROOT / "fugong").rglob("*.py"):
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
        codes |= set(
            re.findall(r'"([a-z]+\.[a-z_]+)", (?:filename|plan|job)', path.read_text(encoding="utf-8"))
        )
    assert codes, "the scan found nothing: it would pass whatever the code records"
    missing = sorted(c for c in codes if c not in audit.ACTION_LABELS)
    assert not missing, f"add these to audit.ACTION_LABELS: {missing}"


# ---- sign-ins -----------------------------------------------------------------------------


def test_a_sign_in_and_a_sign_out_are_recorded_with_the_person_and_channel(world: World) -> None:
    client = Client()
    client.post("/login/", {"username": "changchun", "password": PASSWORD})
    login = only("auth.login")
    assert login.actor == world.user("changchun") and login.channel == Channel.WEB
    client.post("/logout/")
    logout = only("auth.logout")
    assert logout.actor == world.user("changchun")
    assert "登录" in admin_list(world) and "退出登录" in admin_list(world)


def test_failed_sign_ins_and_the_lockout_are_recorded_with_the_name_tried(world: World) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "changchun", "password": "wrong"})
    client.post("/login/", {"username": "changchun", "password": PASSWORD})
    failures = events("auth.login_failed")
    assert len(failures) == 5  # once each, not again by Django's own signal
    assert {(e.object_key, e.actor, e.channel) for e in failures} == {("changchun", None, Channel.WEB)}
    assert "用户名或密码错误" in failures[0].note
    lockout = only("auth.lockout")
    assert lockout.object_key == "changchun" and "登录失败次数过多，请" in lockout.note
    assert not events("auth.login")
    assert "登录失败" in admin_list(world) and "登录受限（需等待）" in admin_list(world)


def test_the_admin_signs_in_on_the_sites_page_so_the_throttle_and_the_trail_hold_there_too(
    world: World,
) -> None:
    response = Client().get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    login = Client().get(response["Location"])
    assert login.status_code == 302 and login["Location"] == "/login/?next=/admin/"
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "admin", "password": "wrong", "next": "/admin/"})
    assert (
        client.post("/login/", {"username": "admin", "password": PASSWORD, "next": "/admin/"}).status_code
        == 429
    )
    assert len(events("auth.login_failed")) == 5 and only("auth.lockout").object_key == "admin"


def test_a_signed_in_user_who_is_not_staff_is_told_the_admin_is_not_for_them(world: World) -> None:
    response = world.client("changchun").get("/admin/login/?next=/admin/")
    assert response.status_code == 403 and "管理后台只对系统管理员开放" in response.content.decode()


def test_a_token_issued_through_the_api_is_recorded_with_the_api_channel(world: World) -> None:
    response = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "changchun", "password": PASSWORD, "name": "市局对接"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    token = only("token.create")
    assert token.actor == world.user("changchun") and token.channel == Channel.API
    wrong = Client().post(
        "/api/v1/auth/token",
        json.dumps({"username": "changchun", "password": "x"}),
        content_type="application/json",
    )
    assert wrong.status_code == 401
    assert only("auth.login_failed").channel == Channel.API


# ---- accounts and permissions --------------------------------------------------------------


def test_a_user_created_and_given_a_role_in_the_admin_is_recorded_with_the_administrator(
    world: World,
) -> None:
    client = superuser(world)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new-clerk",
            "password1": "Qz7-long-pass",
            "password2": "Qz7-long-pass",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="new-clerk")
    created = only("user.create")
    assert created.actor == world.user("admin") and created.channel == Channel.ADMIN
    assert created.object_key == str(user.pk) and "password" not in created.changes
    response = client.post(
        "/admin/accounts/membership/add/",
        {"user": user.pk, "role": Role.DISPATCHER, "region": "220100", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    granted = only("membership.add")
    assert granted.actor == world.user("admin") and "new-clerk" in granted.note and "调度员" in granted.note
    text = admin_list(world)
    assert "新建用户" in text and "授予角色" in text and "管理后台" in text


def test_disabling_a_user_and_removing_a_role_are_recorded(world: World) -> None:
    admin = world.user("admin")
    membership = Membership.objects.get(user__username="jilin")
    client = superuser(world)
    assert (
        client.post(f"/admin/accounts/membership/{membership.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    removed = only("membership.remove")
    assert removed.actor == admin and "jilin" in removed.note
    with audit.acting(admin, Channel.CLI):
        user = world.user("jilin")
        user.is_active = False
        user.save()
    disabled = only("user.disable")
    assert disabled.actor == admin and disabled.changes["is_active"] == [True, False]


def test_django_permissions_given_to_a_user_are_recorded(world: World) -> None:
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(codename="view_auditevent")
    with audit.acting(world.user("admin"), Channel.ADMIN):
        world.user("jilin").user_permissions.add(permission)
    given = only("user.permissions")
    assert given.actor == world.user("admin") and given.changes["user_permissions"][1] == [str(permission)]
    assert "修改用户权限" in admin_list(world)


def test_signing_in_does_not_count_as_an_account_change(world: World) -> None:
    Client().post("/login/", {"username": "changchun", "password": PASSWORD})
    assert not events("user.change") and not events("user.password_change")


def test_a_password_change_on_the_page_is_recorded_once_without_the_hash(world: World) -> None:
    client = world.client("changchun")
    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xk9-new-pass-2020",
            "new_password2": "Xk9-new-pass-2020",
        },
    )
    assert response.status_code == 302
    changed = only("user.password_change")
    assert changed.actor == world.user("changchun") and changed.channel == Channel.WEB
    assert "pbkdf2" not in json.dumps(changed.changes)


def test_a_token_revoked_by_an_administrator_is_recorded(world: World) -> None:
    from fugong.accounts.actions import do_create_token

    token, _ = do_create_token(world.user("changchun"), "脚本", channel=Channel.WEB)
    client = superuser(world)
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk], "index": 0}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    revoked = only("token.revoke")
    assert revoked.actor == world.user("admin") and revoked.channel == Channel.ADMIN
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert ApiToken.objects.count() == 1


# ---- refusals ------------------------------------------------------------------------------


def test_an_out_of_scope_object_is_recorded_as_a_refusal_with_one_insert_and_no_other_query(
    world: World,
) -> None:
    job = Job.objects.create(kind="export", title="省级调度表", created_by=world.user("province"))
    client = world.client("changchun")
    client.get("/")  # the session and the user are loaded once; count the refusal's own queries
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/jobs/{job.pk}/")
    assert response.status_code == 404
    refusal = only("access.not_found")
    assert refusal.actor == world.user("changchun") and refusal.channel == Channel.WEB
    assert refusal.object_type == "job" and refusal.object_key == f"pk={job.pk}"
    assert refusal.changes["path"] == f"/jobs/{job.pk}/"
    audit_sql = [q["sql"] for q in queries.captured_queries if "core_auditevent" in q["sql"]]
    assert len(audit_sql) == 1 and audit_sql[0].lstrip().upper().startswith("INSERT")
    assert "越权访问被拒" in admin_list(world)


def test_a_forbidden_action_is_recorded_as_a_refusal(world: World, plan: Plan) -> None:
    response = world.client("leader").get(f"/dispatch/template.xlsx?plan={plan.pk}")
    assert response.status_code == 403
    refusal = only("access.forbidden")
    assert refusal.actor == world.user("leader") and refusal.changes["action"] == "report"
    assert "无权操作被拒" in admin_list(world)


def test_an_out_of_scope_enterprise_asked_for_through_the_api_is_recorded_with_the_api_channel(
    world: World,
) -> None:
    from fugong.accounts.actions import do_create_token

    _, raw = do_create_token(world.user("jilin"), "脚本", channel=Channel.WEB)
    outside = world.enterprise("nanguan")  # 长春市: not 吉林市's
    response = Client().get(f"/api/v1/enterprises/{outside.uscc}", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 404
    refusal = only("access.not_found")
    assert refusal.actor == world.user("jilin") and refusal.channel == Channel.API
    assert refusal.object_type == "enterprise" and outside.uscc in refusal.object_key


def test_an_anonymous_request_records_no_refusal(world: World) -> None:
    Client().get(f"/api/v1/enterprises/{world.enterprise('nanguan').uscc}")
    assert not AuditEvent.objects.filter(action__startswith="access.").exists()


def test_an_allowed_request_records_no_refusal(world: World) -> None:
    job = Job.objects.create(kind="export", title="市级调度表", created_by=world.user("changchun"))
    assert world.client("changchun").get(f"/jobs/{job.pk}/").status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="access.").exists()


# ---- imports and downloads ------------------------------------------------------------------


def upload(rows: list[list[Any]], name: str) -> io.BytesIO:
    handle = io.BytesIO(sheets.xlsx(("名单", rows)))
    handle.name = name
    return handle


def test_an_enterprise_import_is_recorded_with_the_file_rows_and_result(world: World) -> None:
    response = world.client("changchun").post(
        "/enterprises/import/", {"file": upload(enterprise_rows(), "二月名单.xlsx")}
    )
    assert response.status_code == 200
    done = only("enterprise.import")
    assert done.actor == world.user("changchun") and done.channel == Channel.EXCEL
    assert done.changes["file"] == "二月名单.xlsx" and done.changes["written"] is True
    assert done.changes["rows"] == 2 and "导入完成" in done.note  # its two enterprises
    assert "导入企业名单" in admin_list(world, "?q=二月名单")


def test_a_refused_enterprise_import_is_recorded_as_not_written_and_a_dry_run_not_at_all(
    world: World,
) -> None:
    client = world.client("changchun")
    client.post("/enterprises/import/", {"file": upload(enterprise_rows(), "试.xlsx"), "dry_run": "on"})
    assert not events("enterprise.import")
    rows = enterprise_rows()
    rows[4][7] = "abc"
    client.post("/enterprises/import/", {"file": upload(rows, "错.xlsx")})
    refused = only("enterprise.import")
    assert refused.changes["written"] is False and "拒绝1" in refused.note


def test_a_report_import_is_recorded_with_the_plan_and_the_file(world: World, plan: Plan) -> None:
    data = sheets.xlsx(("调度表", [REPORT_HEADER, report_row(world, "nanguan", "是", 480, 400, 0, 380, 0.8)]))
    result = import_report_sheet(world, plan, data)
    assert result.written
    done = only("report.import")
    assert (
        done.actor == world.user("province")
        and done.object_type == "plan"
        and done.object_key == str(plan.pk)
    )
    assert done.changes["file"] == "调度表.xlsx" and "导入完成" in done.note


def test_downloads_of_named_data_are_recorded(world: World, plan: Plan) -> None:
    client = world.client("changchun")
    for url in ("/dispatch/brief.docx", "/dispatch/export.xlsx", "/dispatch/template.xlsx"):
        assert client.get(f"{url}?plan={plan.pk}").status_code == 200, url
    for action in ("export.brief", "export.official_sheet", "export.template"):
        event = only(action)
        assert event.actor == world.user("changchun") and event.object_key == str(plan.pk)
        assert event.changes["region"] == "220100" and event.changes["file"].startswith(("调度", "复工"))
    text = admin_list(world)
    assert "下载调度日报" in text and "导出调度表" in text and "下载填报模板" in text


def test_a_long_object_key_is_cut_to_fit_rather_than_failing_the_action(world: World) -> None:
    event = audit.record(
        actor=None,
        channel=Channel.WEB,
        action="notify.retry",
        object_type="delivery",
        object_key=",".join(map(str, range(100))),
    )
    event.refresh_from_db()
    assert len(event.object_key) == 64
