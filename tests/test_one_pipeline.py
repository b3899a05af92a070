"""One pipeline (issue 13 §1): the same report gives the same outcome and the same Chinese message
whether it comes through the API (`POST /api/v1/reports`), the web form (`/dispatch/e/<uscc>/report/`)
or a one-row dispatch sheet (`manage.py import_reports`).

Each case is typed once, as a person would type it, and sent all three ways, each way inside a
savepoint rolled back afterwards, so the three start from the same database. Compared: accepted or
refused, the message (the form's and the sheet's must be the API's, the sheet may add a hint after
it), that the message names what to fix, and what is stored (values, revision count, channel).
Only public entry points are used (HTTP and the command): the modules behind them are moving.
"""

from __future__ import annotations

import datetime
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from fugong.enterprises.models import Enterprise
from tests.conftest import World, uscc
from tests.support.reports import DAY

WAYS = ("api", "form", "sheet")
CHANNEL = {"api": "api", "form": "web", "sheet": "cli"}
# the sheet's columns as the fill-in template names them, and the field each one holds
SHEET_COLUMNS = {
    "统一社会信用代码": "uscc",
    "企业名称": "name",
    "是否复工": "resumed",
    "复工日期": "resumed_on",
    "在册员工": "baseline_headcount",
    "报到人数": "reported_back",
    "报到后隔离": "isolated",
    "实际上岗": "on_duty",
    "产能恢复比例": "capacity_pct",
    "防疫措施": "measures",
    "问题类别": "problem_tags",
    "突出问题": "problems",
    "政策建议": "suggestions",
}
STORED = (
    "resumed",
    "resumed_on",
    "baseline_headcount",
    "reported_back",
    "isolated",
    "on_duty",
    "capacity_pct",
    "measures",
    "problem_tags",
    "problems",
    "suggestions",
)
GOOD = {  # 长春朝阳食品 (120 on the books): a consistent report, nothing to confirm
    "resumed": "是",
    "resumed_on": "2020-02-03",
    "baseline_headcount": "120",
    "reported_back": "100",
    "isolated": "5",
    "on_duty": "90",
    "capacity_pct": "70",
    "measures": "测温、消毒",
    "problem_tags": "",
    "problems": "",
    "suggestions": "",
}


@dataclass(frozen=True)
class Case:
    name: str
    changes: dict[str, Any] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # what the message must name (the field, date or enterprise to fix)
    accepted: bool = False
    persona: str = "changchun"
    enterprise: str = "chaoyang"  # a key of tests.conftest.ENTERPRISES, or "inactive" / "uncovered"
    day: str = "day"  # "day", or "future": tomorrow
    locked: bool = False
    history: tuple[int, ...] = ()  # on_duty of the days before DAY, reported first
    confirm: tuple[str, ...] = ()


CASES = [
    Case("a consistent report", accepted=True),
    Case(
        "not resumed, all zeros",
        {"resumed": "否", "resumed_on": "", "on_duty": "0", "capacity_pct": "0"},
        accepted=True,
    ),
    # row-level cases of tests/report_corpus.py
    Case("text in a number", {"on_duty": "若干"}, ("实际到岗", "若干")),
    Case("a count with a word around it", {"on_duty": "约90人"}, ("实际到岗", "约90人")),
    Case(
        "a negative count",
        {"reported_back": "-3", "isolated": "0", "on_duty": "0", "capacity_pct": "0"},
        ("报到人数",),
    ),
    Case("a fractional count", {"isolated": "2.5"}, ("报到后隔离",)),
    Case("a count over a million", {"baseline_headcount": "1200000"}, ("在册员工",)),
    Case("on duty above reported back", {"on_duty": "130"}, ("实际到岗", "报到人数")),
    Case("isolated above reported back", {"isolated": "120"}, ("报到后隔离", "报到人数")),
    Case("not resumed but on duty", {"resumed": "否", "resumed_on": "", "capacity_pct": "0"}, ("实际到岗",)),
    Case(
        "not resumed but capacity",
        {"resumed": "否", "resumed_on": "", "on_duty": "0", "capacity_pct": "30"},
        ("产能恢复比例",),
    ),
    Case(
        "not resumed with a resumption date",
        {"resumed": "否", "on_duty": "0", "capacity_pct": "0"},
        ("复工日期",),
    ),
    Case("resumed without capacity", {"capacity_pct": ""}, ("产能恢复比例",)),
    Case("是否复工 blank", {"resumed": ""}, ("是否",)),
    Case("是否复工 also 也许", {"resumed": "也许"}, ("也许",)),
    Case("a date that does not exist", {"resumed_on": "2020-02-30"}, ("复工日期", "2020-02-30")),
    Case("a date in words", {"resumed_on": "二月三日"}, ("复工日期", "二月三日")),
    Case("复工日期 after the day", {"resumed_on": "2020-03-01"}, ("复工日期", "2020-03-01")),
    Case("capacity 250%", {"capacity_pct": "250"}, ("产能恢复比例", "200%")),
    Case("capacity as text", {"capacity_pct": "一半"}, ("产能恢复比例", "一半")),
    Case("a measure not on the list", {"measures": "测温、戴口罩"}, ("防疫措施", "戴口罩")),
    Case("a problem tag not on the list", {"problem_tags": "缺工"}, ("问题类别", "缺工")),
    Case(
        "a 3000-character problem text",
        {"problems": ("受疫情影响，原材料运输受阻，" * 300)[:3000]},
        ("突出问题", "2000"),
    ),
    Case("a missing 报到人数", {"reported_back": ""}, ("报到人数",)),
    Case("a missing 在册员工", {"baseline_headcount": ""}, ("在册员工",)),
    # warnings that need confirming
    Case("more back than on the books", {"reported_back": "130", "on_duty": "100"}, ("报到人数", "在册员工")),
    Case(
        "more back than on the books, confirmed",
        {"reported_back": "130", "on_duty": "100"},
        accepted=True,
        confirm=("over_baseline",),
    ),
    Case("on duty plus isolated above back", {"isolated": "20"}, ("实际到岗", "隔离", "报到人数")),
    Case("在册员工 far from the registry", {"baseline_headcount": "200"}, ("在册员工", "200")),
    Case("an unusual jump of on duty", {"on_duty": "30"}, ("实际到岗", "30"), history=(88, 90, 92, 91)),
    # the day and the enterprise
    Case("a locked day", {}, ("2020-02-17", "锁定"), locked=True),
    Case("an enterprise not yet active", {}, ("长春朝阳冷链新设有限公司",), enterprise="inactive"),
    Case("an enterprise no plan covers", {}, ("长春朝阳非外贸有限公司",), enterprise="uncovered"),
    Case("a day to come", {}, ("未来",), day="future"),
    # out of scope, the enterprise is named by the code the user gave, never by its name: a
    # dispatcher of another city must not learn what is registered here
    Case("an enterprise of another city", {}, ("91220104000000020A", "找不到"), persona="jilin"),
]


@dataclass
class Outcome:
    accepted: bool
    message: str
    stored: dict[str, Any] | None
    revisions: int
    channels: list[str]


def make_plan(locked: bool) -> Any:
    Plan = apps.get_model("dispatch", "Plan")
    return Plan.objects.create(
        title="全省外贸企业开复工情况日调度",
        owner_region_id="220000",
        start_date=datetime.date(2020, 2, 1),
        selector={"sectors": ["外贸"]},
        lock_after_days=3 if locked else None,
    )


def extra_enterprise(kind: str) -> Enterprise:
    from fugong.enterprises.models import SectorTag

    if kind == "inactive":
        e = Enterprise.objects.create(
            uscc=uscc("220104", 801),
            name="长春朝阳冷链新设有限公司",
            region_id="220104",
            baseline_headcount=120,
            active_from=DAY + datetime.timedelta(days=10),
        )
        e.sectors.add(SectorTag.objects.get(name="外贸"))
        return e
    return Enterprise.objects.create(  # no 外贸 tag: the plan's selector leaves it out
        uscc=uscc("220104", 802),
        name="长春朝阳非外贸有限公司",
        region_id="220104",
        baseline_headcount=120,
        active_from=datetime.date(2020, 1, 1),
    )


def api_body(
    e: Enterprise, day: datetime.date, values: dict[str, Any], confirm: tuple[str, ...], client_id: str = ""
) -> dict[str, Any]:
    body: dict[str, Any] = {"enterprise": e.uscc, "date": day.isoformat(), "confirm": list(confirm)}
    # every field of the form, a blank one as null: a field left out would keep the stored value
    # (or take the registry's 在册员工), which is not what a blank in the form or a cell says
    body |= {k: (None if v == "" else v) for k, v in values.items()}
    if client_id:
        body["client_id"] = client_id
    return body


def send_api(
    world: World,
    persona: str,
    e: Enterprise,
    day: datetime.date,
    values: dict[str, Any],
    confirm: tuple[str, ...],
    client_id: str = "",
) -> tuple[bool, str]:
    response = world.client(persona).post(
        "/api/v1/reports", api_body(e, day, values, confirm, client_id), content_type="application/json"
    )
    if response.status_code in (200, 201):
        return True, ""
    return False, str(response.json().get("message", ""))


def form_post(
    values: dict[str, Any], day: datetime.date, confirm: tuple[str, ...], client_id: str = ""
) -> dict[str, Any]:
    post: dict[str, Any] = {
        k: v for k, v in values.items() if k not in ("resumed", "measures", "problem_tags")
    }
    post["resumed"] = {"是": "1", "否": "0"}.get(values["resumed"], values["resumed"])
    post["measures"] = [m for m in str(values["measures"]).split("、") if m]
    post["problem_tags"] = [t for t in str(values["problem_tags"]).split("、") if t]
    post["date"] = day.isoformat()
    post["confirm"] = list(confirm)
    if client_id:
        post["client_id"] = client_id
    return post


def send_form(
    world: World,
    persona: str,
    e: Enterprise,
    day: datetime.date,
    values: dict[str, Any],
    confirm: tuple[str, ...],
    client_id: str = "",
) -> tuple[bool, str]:
    response = world.client(persona).post(
        f"/dispatch/e/{e.uscc}/report/?date={day.isoformat()}", form_post(values, day, confirm, client_id)
    )
    if response.status_code == 302:
        return True, ""
    page = response.content.decode()
    shown = re.search(r'<div class="notice error"[^>]*>(.*?)</div>', page, re.S)
    if shown is None:  # an error page rather than the form: its message
        shown = re.search(r'<p class="error"[^>]*>(.*?)</p>', page, re.S)
    text = re.sub(r"<[^>]+>", " ", shown.group(1)) if shown else page
    return False, " ".join(html.unescape(text).split())


def sheet_bytes(e: Enterprise, values: dict[str, Any]) -> bytes:
    row = {"uscc": e.uscc, "name": e.name, **values}
    lines = [list(SHEET_COLUMNS), [row[f] for f in SHEET_COLUMNS.values()]]
    return ("\r\n".join(",".join(str(v) for v in line) for line in lines) + "\r\n").encode("utf-8-sig")


def send_sheet(
    persona: str,
    plan: Any,
    e: Enterprise,
    day: datetime.date,
    values: dict[str, Any],
    confirm: tuple[str, ...],
    path: Path,
) -> tuple[bool, str]:
    path.write_bytes(sheet_bytes(e, values))
    out, err = io.StringIO(), io.StringIO()
    options: dict[str, Any] = {
        "plan": plan.pk,
        "date": day.isoformat(),
        "as_user": persona,
        "stdout": out,
        "stderr": err,
    }
    if confirm:
        options["confirm_warnings"] = True
    try:
        call_command("import_reports", str(path), **options)
    except SystemExit:
        pass
    except Exception as exc:  # a CommandError: the whole file refused
        return False, str(exc)
    text = out.getvalue()
    rejected = [line for line in text.splitlines() if line.startswith("第") and "行" in line]
    if "有被拒绝的行" in text or err.getvalue() or "未写入" in text:
        if rejected:  # "第2行 <uscc> <name>：<status>，<message>"
            return False, rejected[0].split("：", 1)[1].split("，", 1)[-1]
        return False, (err.getvalue().split("：", 1)[-1] or text).strip()
    return True, ""


def seen(e: Enterprise, day: datetime.date) -> tuple[dict[str, Any] | None, int, list[str]]:
    Report = apps.get_model("dispatch", "Report")
    ReportRevision = apps.get_model("dispatch", "ReportRevision")
    report = Report.objects.filter(enterprise=e, date=day).values(*STORED, "revision_count").first()
    channels = list(
        ReportRevision.objects.filter(enterprise=e, report__date=day)
        .order_by("number")
        .values_list("channel", flat=True)
    )
    if report is None:
        return None, 0, channels
    count = report.pop("revision_count")
    return {k: (str(v) if isinstance(v, datetime.date) else v) for k, v in report.items()}, count, channels


def through(way: str, world: World, case: Case, tmp_path: Path) -> Outcome:
    """The case sent one way, in a savepoint rolled back afterwards."""
    with transaction.atomic():
        plan = make_plan(case.locked)
        e = (
            extra_enterprise(case.enterprise)
            if case.enterprise in ("inactive", "uncovered")
            else world.enterprise(case.enterprise)
        )
        day = timezone.localdate() + datetime.timedelta(days=1) if case.day == "future" else DAY
        for back, on_duty in enumerate(case.history):  # the days before, reported by the API
            earlier = DAY - datetime.timedelta(days=len(case.history) - back)
            ok, message = send_api(world, "changchun", e, earlier, {**GOOD, "on_duty": str(on_duty)}, ())
            assert ok, message
        values = {**GOOD, **case.changes}
        senders: dict[str, Callable[[], tuple[bool, str]]] = {
            "api": lambda: send_api(world, case.persona, e, day, values, case.confirm),
            "form": lambda: send_form(world, case.persona, e, day, values, case.confirm),
            "sheet": lambda: send_sheet(
                case.persona, plan, e, day, values, case.confirm, tmp_path / "调度表.csv"
            ),
        }
        accepted, message = senders[way]()
        stored, revisions, channels = seen(e, day)
        transaction.set_rollback(True)
    return Outcome(accepted, message, stored, revisions, channels)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_same_report_gives_the_same_outcome_whatever_the_way_in(
    world: World, case: Case, tmp_path: Path
) -> None:
    outcomes = {way: through(way, world, case, tmp_path) for way in WAYS}
    summary = {way: (o.accepted, o.message) for way, o in outcomes.items()}
    assert all(o.accepted == case.accepted for o in outcomes.values()), summary
    if case.accepted:
        stored = {way: o.stored for way, o in outcomes.items()}
        assert stored["api"] is not None and stored["api"] == stored["form"] == stored["sheet"], stored
        for way, o in outcomes.items():
            assert (o.revisions, o.channels) == (1, [CHANNEL[way]]), (way, o)
        return
    for way, o in outcomes.items():
        assert o.stored is None and o.revisions == 0, (way, o)  # a refusal writes nothing
    api = outcomes["api"].message
    assert api and outcomes["form"].message == api, summary
    assert outcomes["sheet"].message.startswith(api), summary  # the sheet may add its hint after it
    for way, o in outcomes.items():
        missing = [name for name in case.names if name not in o.message]
        assert not missing, (way, missing, o.message)


def test_sending_the_same_report_again_adds_no_revision_whatever_the_way_in(
    world: World, tmp_path: Path
) -> None:
    """The API and the form carry a client_id; a sheet has none, and importing it again changes nothing."""
    counts = {}
    for way in WAYS:
        with transaction.atomic():
            plan = make_plan(False)
            e = world.enterprise("chaoyang")
            for _ in range(2):
                if way == "api":
                    ok, message = send_api(world, "changchun", e, DAY, GOOD, (), client_id="phone-7f3a")
                elif way == "form":
                    ok, message = send_form(world, "changchun", e, DAY, GOOD, (), client_id="form-7f3a")
                else:
                    ok, message = send_sheet("changchun", plan, e, DAY, GOOD, (), tmp_path / "调度表.csv")
                assert ok, (way, message)
            _, revisions, channels = seen(e, DAY)
            counts[way] = (revisions, channels)
            transaction.set_rollback(True)
    assert counts == {way: (1, [CHANNEL[way]]) for way in WAYS}
