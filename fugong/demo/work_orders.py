"""Demo work orders in each state of the flow, and a few inbox messages, made through the actions.

Each order is created and moved by the demo users who would do it (the liaison's or the
enterprise's side, 长春市's dispatcher, the 长春市商务局 handler), at moments in the past, so its
history, clocks, lights and notices are what the real flow writes. Safe to run again: orders
already made (found by title) are left alone, and the welcome notices are keyed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from fugong.accounts.models import Department, Membership, User
from fugong.dispatch.figures.completeness import completeness, default_node
from fugong.dispatch.models import Plan, Report
from fugong.enterprises.models import Enterprise
from fugong.notify.actions import Notice, do_notify
from fugong.notify.models import Topic
from fugong.problems.actions import check_create_problem, do_transition
from fugong.problems.models import Category, Problem

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class DemoOrder:
    title: str
    description: str
    # the moves after intake: (who, action, extra params, hours after intake)
    moves: tuple[tuple[str, str, dict[str, object], float], ...]
    opened_ago: datetime.timedelta
    by: str = "demo-liaison"


def dispatch(hours: float) -> tuple[str, str, dict[str, object], float]:
    return ("demo-changchun", "dispatch", {"note": "请商务局牵头协调办理"}, hours)


ORDERS = (
    DemoOrder("防疫口罩缺口约2000只", "复工后每天需口罩600只，现有库存只够三天，请协调购买渠道。", (), 1 * HOUR),
    DemoOrder(
        "货车通行证办理慢", "三辆送货车需进出市区，通行证已申请两天未批。", (dispatch(1),), 3 * HOUR
    ),
    DemoOrder(
        "外地员工返岗需包车",
        "有40名员工在外省，需包车接回，请协助对接运输企业并办理健康证明。",
        (dispatch(1), ("demo-handler", "sign", {}, 2)),
        1 * DAY,
    ),
    DemoOrder(
        "原材料供应商未复工",
        "主要原材料供应商在吉林市，尚未复工，影响生产。",
        (
            dispatch(1),
            ("demo-handler", "sign", {}, 2),
            ("demo-handler", "contact", {"note": "已电话联系企业"}, 3),
            ("demo-handler", "reply", {"note": "已协调吉林市商务局，供应商下周一复工供货。"}, 20),
        ),
        2 * DAY,
    ),
    DemoOrder(
        "出口订单违约风险",
        "受疫情影响无法按期交货，外方可能索赔，希望出具不可抗力证明。",
        (
            dispatch(1),
            ("demo-handler", "sign", {}, 2),
            ("demo-handler", "reply", {"note": "已指导企业向贸促会申请不可抗力事实性证明。"}, 24),
            ("demo-changchun", "review", {"note": "已回访，企业认可"}, 30),
        ),
        3 * DAY,
    ),
    DemoOrder(
        "流动资金紧张",
        "停产一个月，工资和租金压力大，希望了解贷款贴息政策。",
        (
            dispatch(1),
            ("demo-handler", "sign", {}, 2),
            ("demo-handler", "reply", {"note": "已推荐至两家银行，贷款贴息政策已送达企业。"}, 26),
            ("demo-changchun", "review", {"note": "已回访"}, 30),
            ("demo-liaison", "rate", {"rating": "satisfied", "resolved": "是", "note": "办得很快"}, 40),
        ),
        4 * DAY,
    ),
    DemoOrder(
        "厂区消杀物资申请",
        "申请消毒液和测温枪，请帮助协调。",
        (dispatch(1), ("demo-handler", "return", {"note": "不属于商务局职责，建议派卫健部门"}, 3)),
        2 * DAY,
    ),
    DemoOrder(
        "用工缺口60人",
        "订单恢复后普工缺口60人，请帮助对接人社部门招聘。",
        (dispatch(1), ("demo-handler", "sign", {}, 4)),
        30 * DAY,  # still being handled a month on: past its deadline, red on every list
    ),
)


def demo_enterprises(username: str) -> list[Enterprise]:
    ids = Membership.objects.filter(user__username=username, enterprise__isnull=False).values("enterprise_id")
    return list(Enterprise.objects.filter(pk__in=ids).select_related("region").order_by("uscc"))


def make_work_orders(now: datetime.datetime | None = None) -> int:
    """The orders not yet there, each on its own enterprise of the liaison; how many were made."""
    now = now or timezone.now()
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    category = Category.objects.filter(active=True).order_by("pk").first()
    department = Department.objects.filter(name="长春市商务局").first()
    firms = demo_enterprises("demo-liaison")
    if category is None or department is None or len(firms) < len(ORDERS) or "demo-changchun" not in users:
        return 0
    made = 0
    for order, enterprise in zip(ORDERS, firms, strict=False):
        if Problem.objects.filter(title=order.title).exists():
            continue
        opened = now - order.opened_ago
        problem = check_create_problem(
            users[order.by],
            enterprise,
            {"category": category.name, "title": order.title, "description": order.description},
            now=opened,
        )
        for who, action, params, hours in order.moves:
            moment = min(opened + datetime.timedelta(hours=hours), now)
            extra = {"department": department.pk} if action == "dispatch" else {}
            do_transition(users[who], problem.pk, action, {**params, **extra}, now=moment)
        made += 1
    return made


def make_notifications(plan: Plan, now: datetime.datetime | None = None) -> int:
    """Today's 14:00-style messages: a reminder to the demo firm's clerk and liaison if the firm
    has not reported, and each demo dispatcher's progress line (keyed by day: once each)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    notices: list[tuple[int, Notice]] = []
    for firm in demo_enterprises("demo-enterprise")[:1]:
        if Report.objects.filter(enterprise=firm, date=today).exists():
            continue
        reminder = Notice(
            topic=Topic.REMINDER,
            title=f"请尽快报送{today:%m月%d日}复工情况",
            body=f"“{plan.title}”要求今日16:00前报送，{firm.name}尚未报送。",
            url=reverse("report_form", args=[firm.uscc]),
            key=f"demo.reminder.{today}",
        )
        notices += [(users[name].pk, reminder) for name in ("demo-enterprise", "demo-liaison") if name in users]
    for name in ("demo-province", "demo-changchun", "demo-jilin"):
        user = users.get(name)
        region = default_node(user, plan) if user else None
        if user is None or region is None:
            continue
        tally = completeness(plan, today, region, user).tally
        line = Notice(
            topic=Topic.SUMMARY,
            title=f"{region.name}今日填报进度",
            body=f"{region.name}：已报{tally.submitted}/{tally.expected}，未报{tally.missing}户",
            url=reverse("board"),
            key=f"demo.summary.{today}",
        )
        notices.append((user.pk, line))
    return do_notify(None, notices, now=now)
