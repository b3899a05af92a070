"""The daily report's fields as people fill them in, the checklists, and the validation rules.

Pages, the API and (later) spreadsheet imports pass raw values through `clean_report`, so each
rule and its Chinese message live here once. Hard errors refuse the report; warnings must be
confirmed by the reporter (by code) before the report is accepted.
"""

from __future__ import annotations

import datetime
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fugong.core import cells
from fugong.core.cells import CellError
from fugong.core.errors import ErrorItem

REPORT_FIELDS = (
    "resumed",
    "resumed_on",
    "baseline_headcount",
    "reported_back",
    "isolated",
    "on_duty",
    "capacity_pct",
    "measures",
    "problems",
    "problem_tags",
    "suggestions",
    "extra",
)
LABELS = {
    "resumed": "是否开复工",
    "resumed_on": "复工日期",
    "baseline_headcount": "在册员工",
    "reported_back": "报到人数",
    "isolated": "报到后隔离",
    "on_duty": "实际到岗",
    "capacity_pct": "实际产能恢复比例",
    "measures": "防疫措施落实",
    "problems": "开工后突出问题",
    "problem_tags": "问题类别",
    "suggestions": "政策建议",
    "extra": "附加填报项",
}
MEASURES = {
    "temperature": "测温",
    "disinfection": "消毒",
    "masks": "口罩储备",
    "isolation_room": "隔离观察场所",
    "health_ledger": "员工健康台账",
    "travel_history": "返岗人员14天行程登记",
    "canteen": "错峰就餐",
    "ventilation": "通风",
    "emergency_plan": "疫情应急预案",
}
PROBLEM_TAGS = {
    "ppe_shortage": "防疫物资短缺",
    "logistics": "物流运输不畅",
    "order_dispute": "贸易订单纠纷",
    "cash_flow": "资金周转困难",
    "approval": "手续审批",
    "labour": "用工难",
    "financing": "融资难",
    "backlog": "产品积压",
    "transport_limits": "运输受限",
    "raw_materials": "原材料供应",
    "qualification": "资质认证",
    "testing": "产品检测",
    "other": "其他",
}
COUNT_FIELDS = ("baseline_headcount", "reported_back", "isolated", "on_duty")
TRACKED_FIGURES = ("reported_back", "on_duty", "capacity_pct")
# what `warnings_for` reads of the earlier reports: a batch need not read (nor decode) the rest
HISTORY_FIELDS = ("date", "resumed", *COUNT_FIELDS, "capacity_pct", "counted_baseline")
# A report's 在册员工 this far from the accepted baseline needs confirming and the county's
# acceptance before the figures use it (docs/metrics.md): at least 10 people and more than 20%.
BASELINE_MIN_PEOPLE = 10
BASELINE_MAX_SHARE = Decimal("0.2")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    code: str = ""  # warnings have a code the reporter confirms

    def as_dict(self) -> dict[str, Any]:
        label = LABELS.get(self.field, self.field)
        return ErrorItem(self.message, self.code or "invalid", self.field, label).as_dict()


@dataclass(frozen=True)
class Baseline:
    """What a report's 在册员工 is checked against: the registry's, and the one awaiting the
    county's acceptance (an earlier report's, already flagged), if any."""

    registry: int
    pending: int | None = None


@dataclass
class Checked:
    values: dict[str, Any]
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # the baseline the figures count for this report while its own awaits the county (None: its own)
    counted_baseline: int | None = None
    baseline_flag: bool = False  # the report's 在册员工 is to be flagged to the county
    baseline_pending: int | None = None  # the one awaiting the county before this report


def accepted_baseline(history: Sequence[dict[str, Any]], registry: int) -> int:
    """The baseline the figures count now: the last earlier report's counted one, else the registry's."""
    if not history:
        return registry
    last = history[0]
    counted = last.get("counted_baseline")
    return int(counted if counted is not None else last["baseline_headcount"])


def far_baseline(new: int, reference: int) -> bool:
    change = abs(new - reference)
    return change >= BASELINE_MIN_PEOPLE and change > BASELINE_MAX_SHARE * reference


def check_baseline(checked: Checked, history: Sequence[dict[str, Any]], baseline: Baseline) -> None:
    """A 在册员工 far from the registry's or from the accepted one is counted as the accepted one
    until the county accepts it; a first such report needs the reporter's confirmation."""
    new = checked.values["baseline_headcount"]
    checked.baseline_pending = baseline.pending
    accepted = accepted_baseline(history, baseline.registry)
    far_from = [
        (where, old)
        for where, old in (("企业库登记", baseline.registry), ("上次采用", accepted))
        if far_baseline(new, old)
    ]
    if not far_from:
        return
    checked.counted_baseline = accepted
    if baseline.pending == new:
        return  # already flagged and awaiting the county: nothing new to confirm
    checked.baseline_flag = True
    where, old = far_from[0]
    checked.warnings.append(
        Problem(
            "baseline_headcount",
            f"在册员工由{where}的{old}人变为{new}人，变化较大，请核实；确认后将报县级调度员核准，"
            f"核准前到岗率仍按{accepted}人计算",
            "baseline_change",
        )
    )


def _choices(value: Any, options: dict[str, str], label: str) -> list[str]:
    """Keys from a list or a 、-separated text of keys or Chinese labels."""
    if cells.is_blank(value):
        return []
    items = (
        value
        if isinstance(value, list | tuple)
        else str(value).replace("，", "、").replace(",", "、").split("、")
    )
    by_label = {v: k for k, v in options.items()}
    keys: list[str] = []
    for item in (str(i).strip() for i in items):
        key = item if item in options else by_label.get(item)
        if key is None:
            raise CellError(f"“{item}”不是可选的{label}，可选：{'、'.join(options.values())}")
        if item and key not in keys:
            keys.append(key)
    return keys


def _count(value: Any) -> int | None:
    return cells.parse_int(value, maximum=1_000_000)


def _capacity(value: Any) -> Decimal | None:
    return cells.parse_percent(value, maximum=Decimal(200))


def _text(value: Any) -> str:
    return cells.clean_text(value, max_length=2000) or ""


# each field of a report and how what arrived becomes its value (built once: a sheet parses 100,000 rows)
PARSERS: tuple[tuple[str, Any], ...] = (
    ("resumed", cells.parse_bool),
    ("resumed_on", cells.parse_date),
    *((name, _count) for name in COUNT_FIELDS),
    ("capacity_pct", _capacity),
    ("measures", lambda v: _choices(v, MEASURES, "防疫措施")),
    ("problem_tags", lambda v: _choices(v, PROBLEM_TAGS, "问题类别")),
    ("problems", _text),
    ("suggestions", _text),
)


def parse_values(
    raw: dict[str, Any], extra_specs: Sequence[dict[str, Any]]
) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    errors: list[Problem] = []
    for name, parse in PARSERS:
        try:
            values[name] = parse(raw.get(name))
        except CellError as exc:
            errors.append(Problem(name, f"{LABELS[name]}：{exc}"))
    values["extra"], extra_errors = parse_extra(raw.get("extra") or {}, extra_specs)
    return values, errors + extra_errors


def parse_extra(raw: Any, specs: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], list[Problem]]:
    if not isinstance(raw, dict):
        return {}, [Problem("extra", "附加填报项格式有误，应为“项目: 数值”的对应关系")]
    values: dict[str, Any] = {}
    errors = []
    for spec in specs:
        key, label = spec["key"], spec.get("label", spec["key"])
        try:
            if spec.get("type") == "int":
                value: Any = cells.parse_int(raw.get(key))
            elif spec.get("type") == "text":
                value = cells.clean_text(raw.get(key), max_length=500)
            else:
                value = cells.parse_decimal(raw.get(key))
                value = None if value is None else str(value)
        except CellError as exc:
            errors.append(Problem("extra", f"{label}：{exc}"))
            continue
        if value is None and spec.get("required"):
            errors.append(Problem("extra", f"{label}：必须填写"))
        if value is not None:
            values[key] = value
    return values, errors


def hard_rules(v: dict[str, Any], day: datetime.date) -> list[Problem]:
    """Rules no confirmation can override."""
    errors = []
    if v.get("resumed") is None:
        errors.append(Problem("resumed", "请选择或填写是否已开复工（是/否）"))
    for name in ("baseline_headcount", "reported_back", "isolated", "on_duty"):
        if v.get(name) is None:
            errors.append(Problem(name, f"请填写{LABELS[name]}（没有请填0）"))
    if errors:
        return errors
    back, isolated, on_duty = v["reported_back"], v["isolated"], v["on_duty"]
    if isolated > back:
        errors.append(
            Problem(
                "isolated", f"报到后隔离人数({isolated})大于报到人数({back})，隔离的员工应包含在报到人数中"
            )
        )
    if on_duty > back:
        errors.append(
            Problem("on_duty", f"实际到岗人数({on_duty})大于报到人数({back})，到岗的员工应包含在报到人数中")
        )
    if not v["resumed"]:
        if on_duty:
            errors.append(
                Problem(
                    "on_duty", f"未复工企业的实际到岗人数应为0，现为{on_duty}；如已复工请改为“是”（已复工）"
                )
            )
        if v.get("capacity_pct"):
            errors.append(Problem("capacity_pct", f"未复工企业的产能恢复比例应为0，现为{v['capacity_pct']}%"))
    resumed_on = v.get("resumed_on")
    if resumed_on and not v["resumed"]:
        errors.append(
            Problem("resumed_on", f"未复工企业不应填写复工日期（{resumed_on}）；如已复工请改为“是”（已复工）")
        )
    if resumed_on and resumed_on > day:
        errors.append(Problem("resumed_on", f"复工日期{resumed_on}晚于填报日期{day}，请核对"))
    if v["resumed"] and v.get("capacity_pct") is None:
        errors.append(Problem("capacity_pct", "已复工企业请填写实际产能恢复比例（0–200%）"))
    return errors


def warnings_for(v: dict[str, Any], history: Sequence[dict[str, Any]], day: datetime.date) -> list[Problem]:
    """Soft checks against the enterprise's earlier reports (newest first) that need confirming."""
    warnings = []
    if v["reported_back"] > v["baseline_headcount"]:
        warnings.append(
            Problem(
                "reported_back",
                f"报到人数({v['reported_back']})大于在册员工({v['baseline_headcount']})；如确有新招员工，请确认后提交",
                "over_baseline",
            )
        )
    if v["on_duty"] + v["isolated"] > v["reported_back"]:
        warnings.append(
            Problem(
                "on_duty",
                f"实际到岗({v['on_duty']})与隔离({v['isolated']})合计大于报到人数({v['reported_back']})，请核实",
                "duty_plus_isolated",
            )
        )
    if history:
        for name in TRACKED_FIGURES:
            jump = unusual_jump(name, v.get(name), [h.get(name) for h in history])
            if jump:
                warnings.append(Problem(name, jump, f"jump_{name}"))
        if starts_identical_week(v, history, day):
            warnings.append(
                Problem(
                    "on_duty", "已连续7天填报完全相同的数字，请核实是否为当日实际情况", "unchanged_7_days"
                )
            )
    return warnings


def starts_identical_week(v: dict[str, Any], history: Sequence[dict[str, Any]], day: datetime.date) -> bool:
    """True on the 7th consecutive day of identical, non-zero figures — once, not every day after.

    A closed firm reporting zeros, or a run already confirmed on its 7th day, is left alone.
    """
    if not (v.get("on_duty") or v.get("reported_back")):
        return False
    run = [h for h in history[:7]]
    days_back = [(day - h["date"]).days for h in run]
    if days_back[:6] != [1, 2, 3, 4, 5, 6] or not all(same_figures(h, v) for h in run[:6]):
        return False
    longer = len(run) == 7 and days_back[6] == 7 and same_figures(run[6], v)
    return not longer


def same_figures(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("resumed", *COUNT_FIELDS, "capacity_pct")
    return all(_num(a.get(k)) == _num(b.get(k)) for k in keys)


def _num(value: Any) -> Any:
    if isinstance(value, bool) or value in (None, ""):
        return value
    return Decimal(str(value))


def unusual_jump(name: str, new: Any, earlier: Sequence[Any]) -> str | None:
    """A change from the previous value beyond a robust threshold.

    The threshold is the largest of: 5 robust standard deviations (1.4826 × the median absolute
    deviation) of the recent day-to-day changes, so a firm whose numbers move a lot is not
    nagged; 30% of the previous value, so ordinary ramps pass; and a floor of 10 (people, or
    percentage points), so small firms pass.
    """
    values = [Decimal(str(x)) for x in earlier if x is not None][:15]
    if new is None or not values:
        return None
    new_value, previous = Decimal(str(new)), values[0]
    changes = [a - b for a, b in itertools.pairwise(values)]
    spread = Decimal(0)
    if len(changes) >= 3:
        middle = Decimal(str(statistics.median(changes)))
        spread = Decimal("1.4826") * Decimal(str(statistics.median([abs(c - middle) for c in changes])))
    threshold = max(5 * spread, Decimal("0.3") * abs(previous), Decimal(10))
    if abs(new_value - previous) <= threshold:
        return None
    unit = "%" if name == "capacity_pct" else "人"
    return f"{LABELS[name]}由上次的{previous.normalize():f}{unit}变为{new_value.normalize():f}{unit}，变化异常，请核实后确认"


def check_report(
    raw: dict[str, Any],
    day: datetime.date,
    extra_specs: Sequence[dict[str, Any]],
    history: Sequence[dict[str, Any]],
    baseline: Baseline | None = None,
) -> Checked:
    """`baseline`: the enterprise's registry and pending baselines (every writer passes them;
    without, the 在册员工 is not checked)."""
    values, errors = parse_values(raw, extra_specs)
    if not errors:
        errors = hard_rules(values, day)
    checked = Checked(values, errors)
    if not errors:
        checked.warnings = warnings_for(values, history, day)
        if baseline is not None:
            check_baseline(checked, history, baseline)
    return checked
