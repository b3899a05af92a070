"""A plausible demo Jilin province: departments, enterprises with valid USCCs, demo users.

Deterministic for a given seed, and safe to run again: existing rows are kept (matched by
USCC, department name and user name), missing ones are added, demo passwords are reset.
Enterprises are bulk-inserted as fixtures (not through the registry's actions) so that tens
of thousands can be made in seconds for benchmarks.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fugong.accounts.models import Department, Membership, User
from fugong.core.access import Role
from fugong.core.uscc import make_uscc
from fugong.demo.history import make_history, make_plans
from fugong.demo.work_orders import make_notifications, make_work_orders
from fugong.dispatch.figures import rollups
from fugong.enterprises.models import Enterprise, Industry, SectorTag, Tier
from fugong.regions.loader import load_regions
from fugong.regions.models import Level, Region

PROVINCE = "220000"
CHANGCHUN = "220100"
JILIN_CITY = "220200"

BRANDS = "华信 长兴 吉盛 东方 北方 一汽 恒通 宏大 金桥 鑫源 泰和 永安 嘉禾 瑞丰 天成 中润 新象 远航 博远 亚泰 通达 海天 双阳 松江 白山 长白 雪峰 丰源 利民 安达".split()
TRADES = [
    ("C", "36", "汽车零部件", ["规上工业", "外贸"]),
    ("C", "13", "农产品加工", ["规上工业", "外贸"]),
    ("C", "14", "食品", ["规上工业", "民生保供"]),
    ("C", "27", "医药", ["规上工业", "防疫物资生产"]),
    ("C", "26", "化工", ["规上工业"]),
    ("C", "17", "纺织", ["外贸"]),
    ("C", "18", "服装", ["外贸"]),
    ("C", "20", "木制品", ["外贸"]),
    ("C", "34", "机械设备", ["规上工业", "外贸"]),
    ("C", "39", "电子科技", ["外资", "外贸"]),
    ("F", "51", "进出口贸易", ["外贸"]),
    ("F", "52", "商贸", ["零售", "民生保供"]),
    ("H", "62", "餐饮", ["餐饮"]),
    ("H", "61", "酒店", ["住宿"]),
    ("I", "65", "信息技术", ["电商"]),
    ("G", "54", "物流", ["物流"]),
    ("E", "48", "建设工程", ["建筑业", "重点项目"]),
]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司"]
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 郭 何 林 高 罗".split()
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 英 华 玉 建 国 春 雪".split()


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    region: str | None = None
    described: str = ""  # as the README's demo table says it (seed_demo prints it so)


DEMO_USERS = (
    DemoUser("demo-admin", "系统管理员", Role.ADMIN, None, "系统管理员（全部数据、管理后台 /admin/）"),
    DemoUser("demo-province", "省商务厅调度员", Role.DISPATCHER, PROVINCE, "吉林省调度员"),
    DemoUser("demo-changchun", "长春市调度员", Role.DISPATCHER, CHANGCHUN, "长春市调度员"),
    DemoUser("demo-jilin", "吉林市调度员", Role.DISPATCHER, JILIN_CITY, "吉林市调度员"),
    DemoUser("demo-leader", "省领导", Role.LEADER, PROVINCE, "吉林省领导（只读）"),
    DemoUser("demo-liaison", "长春市联络员", Role.LIAISON, None, "联络员（包保长春市60户企业）"),
    DemoUser("demo-enterprise", "企业填报员", Role.REPORTER, None, "企业填报员（长春市一户企业）"),
    DemoUser("demo-handler", "长春市商务局承办人", Role.HANDLER, None, "长春市商务局承办人员"),
)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def ensure_regions() -> None:
    if not Region.objects.filter(code=PROVINCE).exists():
        load_regions(["22"])


def reporting_units() -> list[tuple[Region, float]]:
    """County-level units and zones in Jilin with a weight (长春 and 吉林 are bigger economies)."""
    province = Region.objects.get(code=PROVINCE)
    units = Region.objects.subtree(province).filter(level=Level.COUNTY) | Region.objects.subtree(
        province
    ).filter(kind="zone", level=Level.CITY)
    weighted = []
    for region in units:
        weight = 3.0 if region.path.startswith(f"/{PROVINCE}/{CHANGCHUN}/") else 1.0
        weight = 2.0 if region.path.startswith(f"/{PROVINCE}/{JILIN_CITY}/") else weight
        weighted.append((region, weight))
    return weighted


def make_departments() -> dict[str, Department]:
    direct = Region.objects.filter(parent_id=PROVINCE)
    wanted = [("吉林省商务厅对外贸易发展处", PROVINCE), ("吉林省工业和信息化厅运行监测协调局", PROVINCE)]
    for city in direct:
        wanted += [(f"{city.name}商务局", city.code), (f"{city.name}工业和信息化局", city.code)]
    for county in Region.objects.filter(parent__parent_id=PROVINCE, level=Level.COUNTY):
        wanted += [(f"{county.name}商务局", county.code), (f"{county.name}工信局", county.code)]
    departments = {}
    for name, code in wanted:
        departments[name], _ = Department.objects.get_or_create(name=name, region_id=code)
    return departments


def unique_uscc(region_code: str, rng: random.Random, used: set[str]) -> str:
    code = make_uscc(region_code, rng)
    while code in used:
        code = make_uscc(region_code, rng)
    used.add(code)
    return code


def make_enterprises(count: int, rng: random.Random) -> list[Enterprise]:
    units = reporting_units()
    regions, weights = [u for u, _ in units], [w for _, w in units]
    industries = {i.code: i for i in Industry.objects.all()}
    enterprises = []
    names: set[str] = set()
    used: set[str] = set()
    for _ in range(count):
        region = rng.choices(regions, weights)[0]
        _section, division, word, tags = rng.choice(TRADES)
        name = ""
        while not name or name in names:
            name = f"{region.name.removesuffix('区').removesuffix('县')[:4]}{rng.choice(BRANDS)}{word}{rng.choice(SUFFIXES)}"
            if name in names:
                name = f"吉林{rng.choice(BRANDS)}{rng.choice(BRANDS)}{word}{rng.choice(SUFFIXES)}"
        names.add(name)
        headcount = int(min(20000, max(5, rng.lognormvariate(4.3, 1.1))))
        above = headcount >= 80 and rng.random() < 0.8
        registered_in = region.code if region.code.isdigit() else (region.admin_parent_id or PROVINCE)
        started = datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randrange(0, 700))
        enterprises.append(
            Enterprise(
                uscc=unique_uscc(registered_in, rng, used),
                name=name,
                region=region,
                address=f"{region.name}{rng.choice(BRANDS)}路{rng.randrange(1, 999)}号",
                industry=industries.get(division),
                above_scale=above,
                tier=rng.choices([Tier.PROVINCE, Tier.CITY, Tier.COUNTY, Tier.NONE], [4, 8, 15, 73])[0],
                park=rng.choice(["", "", "", f"{region.name}工业园区"]),
                baseline_headcount=headcount,
                baseline_capacity=Decimal(headcount * rng.uniform(0.05, 0.4)).quantize(Decimal("0.01")),
                trade_value_last_year=Decimal(rng.uniform(50, 50000)).quantize(Decimal("0.01")),
                contact_name=person(rng),
                contact_phone=f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}",
                active_from=started,
                active_to=started + datetime.timedelta(days=rng.randrange(30, 600))
                if rng.random() < 0.02
                else None,
            )
        )
        enterprises[-1]._demo_tags = tags  # type: ignore[attr-defined]
    return enterprises


def save_enterprises(enterprises: list[Enterprise], rng: random.Random) -> int:
    existing = set(
        Enterprise.objects.filter(uscc__in=[e.uscc for e in enterprises]).values_list("uscc", flat=True)
    )
    new = [e for e in enterprises if e.uscc not in existing]
    Enterprise.objects.bulk_create(new, batch_size=1000)
    tags = {t.name: t for t in SectorTag.objects.all()}
    saved = {e.uscc: e.pk for e in Enterprise.objects.filter(uscc__in=[e.uscc for e in new])}
    through = Enterprise.sectors.through
    links = []
    for e in new:
        names = set(e._demo_tags)  # type: ignore[attr-defined]
        if rng.random() < 0.1:
            names.add("外资")
        if e.tier and rng.random() < 0.3:
            names.add("重点项目")
        links += [
            through(enterprise_id=saved[e.uscc], sectortag_id=tags[n].pk) for n in sorted(names) if n in tags
        ]
    through.objects.bulk_create(links, batch_size=2000, ignore_conflicts=True)
    return len(new)


def make_users(password: str, departments: dict[str, Department]) -> None:
    # Demo reporters and liaisons look after foreign-trade firms, which the demo daily plan covers.
    changchun = (
        Enterprise.objects.in_region(Region.objects.get(code=CHANGCHUN).path)
        .filter(sectors__name="外贸")
        .order_by("uscc")
    )
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=demo.username, defaults={"display_name": demo.display_name}
        )
        user.display_name = demo.display_name
        user.is_staff = user.is_superuser = demo.role == Role.ADMIN
        user.set_password(password)
        user.save()
        anchors: list[dict[str, object]]
        if demo.role == Role.LIAISON:
            anchors = [{"enterprise": e} for e in changchun[1:61]]
        elif demo.role == Role.REPORTER:
            anchors = [{"enterprise": changchun[0]}]
        elif demo.role == Role.HANDLER:
            anchors = [{"department": departments["长春市商务局"]}]
        else:
            anchors = [{"region_id": demo.region}]
        for anchor in anchors:
            Membership.objects.get_or_create(user=user, role=demo.role, **anchor)  # type: ignore[arg-type]


@transaction.atomic
def seed_demo(
    *,
    password: str,
    enterprises: int,
    days: int = 14,
    seed: int = 2020,
    now: datetime.datetime | None = None,
) -> dict[str, int]:
    now = now or timezone.now()
    rng = random.Random(seed)
    ensure_regions()
    departments = make_departments()
    created = save_enterprises(make_enterprises(enterprises, rng), rng)
    make_users(password, departments)
    today = timezone.localdate(now)
    plans = make_plans(today - datetime.timedelta(days=max(days, 1) - 1))
    reports = make_history(plans[0], days, rng, today, now) if days > 0 else 0
    rollups.invalidate()  # fixtures were bulk-inserted around the actions: rebuild figures on next read
    # after the reports, so that today's progress lines and reminders say what the board says
    orders = make_work_orders(now)
    notices = make_notifications(plans[0], now)
    return {
        "work_orders": orders,
        "notifications": notices,
        "departments": len(departments),
        "enterprises_created": created,
        "users": len(DEMO_USERS),
        "plans": len(plans),
        "reports": reports,
    }
