"""Two sides of the persona × route matrix: one of each kind of object in 长春 and in 吉林市.

Each side holds an enterprise, its report, a problem with an attachment, a plan and a key-enterprise
list owned by the city, a job and an API token of the city's dispatcher. Whether a persona may see or change a side's
object is asked of the access layer (`fugong/core/access.py` and each model's `scope_q`): the
matrix checks that every route applies it, while tests/test_permissions.py pins the rule itself.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile

from fugong.accounts.actions import do_create_token
from fugong.accounts.administration import do_create_account
from fugong.accounts.delegation import account_refusal, administered_users
from fugong.accounts.models import ApiToken, Department, DeviceSession
from fugong.core import jobs
from fugong.core.access import Action, scope_for
from fugong.core.models import Job
from fugong.dispatch.models import Plan, Report
from fugong.dispatch.reports.submit import check_submit_report
from fugong.enterprises.models import Enterprise
from fugong.lists.models import KeyList
from fugong.notify.models import Notification
from fugong.problems.actions import check_create_problem, do_transition
from fugong.problems.attachments import do_attach
from fugong.problems.models import Attachment, Problem
from fugong.regions.models import Region
from tests.conftest import World, uscc

DAY = datetime.date(2020, 2, 17)  # a Monday, a working day
NOW = datetime.datetime(2020, 2, 17, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
WRITE_ACTIONS = (Action.CHANGE, Action.REPORT, Action.HANDLE, Action.MANAGE)


@dataclass
class Side:
    """One region's objects, by kind."""

    label: str
    region: str  # a region code
    enterprise: Enterprise
    report: Report
    problem: Problem
    attachment: Attachment
    plan: Plan
    account: Any  # a reporter of the side's enterprise (accounts.models.User)
    job: Job
    token: ApiToken
    notification: Notification
    device: DeviceSession
    keylist: KeyList
    day: datetime.date = DAY

    def obj(self, kind: str) -> Any:
        return self.region_obj if kind == "region" else getattr(self, kind)

    @property
    def region_obj(self) -> Region:
        return Region.objects.get(code=self.region)

    def value(self, kind: str) -> str:
        """How the object is written in a URL or a form ("new_uscc": one not yet registered)."""
        if kind == "new_uscc":
            return fresh_uscc(self.region)
        if kind == "region":
            return self.region
        if kind == "enterprise":
            return self.enterprise.uscc
        return str(self.obj(kind).pk)

    def secrets(self) -> dict[str, tuple[str, ...]]:
        """Texts that only those who may see the object may read, by kind."""
        return {
            "enterprise": (self.enterprise.name, self.enterprise.uscc),
            "plan": (self.plan.title,),
            "problem": (self.problem.title,),
            "attachment": (self.attachment.name,),
            "notification": (self.notification.title,),
            "keylist": (self.keylist.title,),
        }


_serials = itertools.count(900)


def fresh_uscc(region: str) -> str:
    return uscc(region[:4] + "02", next(_serials))


class Ghost:
    """Values that name no object at all: an out-of-scope object must be answered like these."""

    label = "不存在"

    def value(self, kind: str) -> str:
        if kind == "new_uscc":
            return fresh_uscc("220100")
        return {"region": "999999", "enterprise": uscc("229999", 99)}.get(kind, "987654321")


def build_sides(world: World) -> list[Side]:
    department = Department.objects.get(name="长春市商务局")
    # no lock: the writes of the matrix are for a day of 2020, and should reach the write path
    start, unlocked = datetime.date(2020, 2, 1), None
    cc_plan = Plan.objects.create(
        title="长春市矩阵核查日调度", owner_region_id="220100", start_date=start, lock_after_days=unlocked
    )
    jl_plan = Plan.objects.create(
        title="吉林市矩阵核查日调度", owner_region_id="220200", start_date=start, lock_after_days=unlocked
    )
    cc = _side(world, "长春", "220100", "nanguan", "reporter", "changchun", cc_plan, "南关矩阵诉求原料断供")
    jl = _side(world, "吉林市", "220200", "changyi", "jilin", "jilin", jl_plan, "昌邑矩阵诉求蒸汽短缺")
    # dispatched to 长春市商务局, so that the handler persona works on 长春's problem
    do_transition(world.user("changchun"), cc.problem.pk, "dispatch", {"department": department.pk}, now=NOW)
    cc.problem.refresh_from_db()
    return [cc, jl]


def _side(
    world: World,
    label: str,
    region: str,
    key: str,
    raiser: str,
    dispatcher: str,
    plan: Plan,
    problem_title: str,
) -> Side:
    enterprise = world.enterprise(key)
    raw = {
        "resumed": True,
        "baseline_headcount": enterprise.baseline_headcount,
        "reported_back": 30,
        "isolated": 2,
        "on_duty": 25,
        "capacity_pct": 40,
    }
    report = check_submit_report(
        world.user(dispatcher), enterprise, DAY, raw, channel="api", now=NOW, confirm=["jump_reported_back"]
    ).report
    problem = check_create_problem(
        world.user(raiser),
        enterprise,
        {"category": "物流运输不畅", "title": problem_title, "description": "矩阵核查", "confirm": ["duplicate"]},
        now=NOW,
    )
    pdf = SimpleUploadedFile(f"{label}现场照片说明.pdf", PDF, content_type="application/pdf")
    (attachment,) = do_attach(world.user(raiser), problem, [pdf], now=NOW)
    job = jobs.enqueue("enterprise_import", user=world.user(dispatcher), payload={"filename": "x.csv"}, data=b"")
    token, _ = do_create_token(world.user(dispatcher), f"{label}矩阵令牌", channel="api")
    account = do_create_account(
        world.user(dispatcher),
        phone=f"1370431{region[2:6]}",
        display_name=f"{label}矩阵填报员",
        role="reporter",
        enterprise=enterprise.uscc,
        channel="api",
    ).user
    notification = Notification.objects.create(
        user=world.user(dispatcher), title=f"{label}矩阵核查消息", body="矩阵核查", url="/"
    )
    browser = SessionStore()
    browser.create()  # another signed-in browser of the dispatcher's
    device = DeviceSession.objects.create(
        session_key=str(browser.session_key),
        user=world.user(dispatcher),
        device="安卓手机 · 微信",
        signed_in_at=NOW,
        last_seen_at=NOW,
    )
    return Side(
        label=label,
        region=region,
        enterprise=enterprise,
        report=report,
        problem=problem,
        attachment=attachment,
        plan=plan,
        account=account,
        job=job,
        token=token,
        notification=notification,
        device=device,
        # the city's own list (a city list is approved by the city alone)
        keylist=KeyList.objects.create(
            title=f"{label}矩阵核查重点企业清单", region_id=region, tier="city", approval_levels=["city"]
        ),
    )


def sees(user: Any, kind: str, obj: Any, actions: Iterable[str] = (Action.VIEW,)) -> bool:
    """Whether the access layer lets `user` reach `obj` for any of `actions`."""
    if user is None:
        return False
    if kind in ("token", "notification", "device"):  # a person's own
        return bool(obj.user_id == user.pk)
    if kind == "attachment":
        return sees(user, "problem", obj.problem, actions)
    if kind == "account":  # seen where administered; changed unless a role of it is beyond the user
        seen = administered_users(user).filter(pk=obj.pk).exists()
        return seen and (actions == (Action.VIEW,) or account_refusal(user, obj, "修改") is None)
    model: Any = {
        "enterprise": Enterprise,
        "report": Report,
        "problem": Problem,
        "plan": Plan,
        "job": Job,
        "region": Region,
        "keylist": KeyList,
    }[kind]
    return any(model.objects.visible_to(user, a).filter(pk=obj.pk).exists() for a in actions)


def allows_anywhere(user: Any, actions: Iterable[str]) -> bool:
    """For writes not tied to one object: whether the role grants any of `actions` somewhere."""
    scope = scope_for(user)
    return any(scope.allows(a) for a in actions)
