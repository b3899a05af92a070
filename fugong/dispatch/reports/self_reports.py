"""An enterprise's own report of a day is not overwritten by a third party without a word.

A third party is anyone writing for an enterprise they are not the reporter of: a county's
sheet import (page, command, job), a liaison or dispatcher on the on-behalf form, a
dispatcher's API token. The rule, for every one of those ways in:

- a report the enterprise made itself for that day (a revision with on_behalf = False) is not
  changed unless the person explicitly chooses to for that enterprise: the import leaves the
  row alone and says so ("企业已于 11:47 自行报送，未覆盖") unless asked to overwrite it
  (`import_reports --overwrite-self-reports`, the checkbox naming the rows on the job page);
  the form and the API ask for a confirmation (warning code `overwrite_self_report`) that
  shows the enterprise's own values;
- a blank never clears a stored value: an import only fills or changes what it has (a blank
  cell keeps the stored value); on the form and the API a field sent blank where the stored
  report has a value needs confirming (warning code `clears_stored_values`), and a field not
  sent at all keeps its value (for everyone: `submit.values_to_check`).

Every way in goes through `submit.check_submit_reports`, which decides with
`self_report_in_the_way` on the times that `self_report_times` reads in one query for a chunk.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import F, Max
from django.utils import timezone

from fugong.core import audit, bulk, cells
from fugong.core.access import is_own_enterprise, own_enterprise_ids
from fugong.dispatch.models import Report, ReportRevision
from fugong.dispatch.reports.fields import LABELS, MEASURES, PROBLEM_TAGS, REPORT_FIELDS, Problem

OVERWRITE = "overwrite_self_report"
CLEARS = "clears_stored_values"
# what only a resumed firm has: a change to 未复工 takes these with it instead of keeping them
RESUMED_ONLY = ("resumed_on", "capacity_pct")


def is_empty(value: Any) -> bool:
    return cells.is_blank(value) or (isinstance(value, list | tuple | dict) and not value)


def self_report_times(user: Any, reports: Iterable[Report]) -> dict[int, datetime.datetime]:
    """Enterprise id → when it last reported the day itself, for the reports `user` would change
    as a third party (none for an enterprise's own reporter). One query for a chunk of reports."""
    own = own_enterprise_ids(user)
    by_report = {r.pk: r.enterprise_id for r in reports if r.enterprise_id not in own}
    if not by_report:
        return {}
    rows = (
        ReportRevision.objects.filter(bulk.AnyOf(F("report_id"), list(by_report)), on_behalf=False)
        .order_by()
        .values("report_id")
        .annotate(last=Max("at"))
        .values_list("report_id", "last")
    )
    return {by_report[report_id]: last for report_id, last in rows}


def self_report_in_the_way(
    times: dict[int, datetime.datetime], enterprise_id: int, changes: dict[str, Any] | None
) -> datetime.datetime | None:
    """The rule: a third party's write that changes an enterprise's own report of the day needs
    that person's explicit choice; returns when the enterprise reported (None: nothing to ask)."""
    if not changes:
        return None
    return times.get(enterprise_id)


def clock(at: datetime.datetime) -> str:
    return f"{timezone.localtime(at):%H:%M}"


def kept_note(at: datetime.datetime) -> str:
    return f"企业已于 {clock(at)} 自行报送，未覆盖"


def overwritten_note(at: datetime.datetime) -> str:
    return f"已按您的选择覆盖企业 {clock(at)} 自行报送的数据"


def fill_blanks(values: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """The values as an import writes them: each blank takes the stored value (a blank cell
    neither fills nor clears), except what a change to 未复工 takes with it."""
    if not stored:
        return values
    out = dict(values)
    for name in REPORT_FIELDS:
        if name == "extra":
            sent = values.get("extra")
            if isinstance(sent, dict):
                kept = {k: v for k, v in (stored.get("extra") or {}).items() if is_empty(sent.get(k))}
                out["extra"] = {**sent, **kept}
        elif is_empty(values.get(name)) and not is_empty(stored.get(name)):
            out[name] = stored[name]
    if not_resumed(values.get("resumed")):
        for name in RESUMED_ONLY:
            if is_empty(values.get(name)):
                out[name] = None
    return out


def not_resumed(value: Any) -> bool:
    try:
        return cells.parse_bool(value) is False
    except cells.CellError:
        return False  # check_report says what is wrong with the cell


def stored_for_third_party(user: Any, enterprise: Any, day: datetime.date) -> Report | None:
    """The day's stored report when `user` writes it as a third party (None for its own reporter)."""
    if is_own_enterprise(user, enterprise.pk):
        return None
    return Report.objects.filter(enterprise=enterprise, date=day).first()


def with_unsent_kept(raw: dict[str, Any], stored: Report | None) -> dict[str, Any]:
    """A field a third party does not send at all (an API call with only 实际上岗) keeps its value."""
    if stored is None:
        return raw
    values = stored.values()
    return {**{name: values[name] for name in REPORT_FIELDS if name not in raw}, **raw}


def third_party_warnings(
    user: Any,
    report: Report | None,
    raw: dict[str, Any],
    values: dict[str, Any],
) -> list[Problem]:
    """The single path's confirmations (form, API): overwriting the enterprise's own report of
    the day, and clearing stored values with blanks. `values` are the checked values."""
    if report is None or is_own_enterprise(user, report.enterprise_id):
        return []
    stored = report.values()
    warnings = []
    gone_with_resumption = RESUMED_ONLY if values.get("resumed") is False else ()
    cleared = [
        name
        for name in REPORT_FIELDS
        if name in raw
        and name not in gone_with_resumption
        and is_empty(raw[name])
        and not is_empty(stored.get(name))
        and is_empty(values.get(name))
    ]
    if cleared:
        shown = "；".join(f"{LABELS[n]}（原为：{shown_value(n, stored[n])}）" for n in cleared)
        warnings.append(
            Problem(cleared[0], f"以下已填报的内容将被清空：{shown}；如需保留，请填写后再提交，确需清空请勾选确认", CLEARS)
        )
    changes = audit.diff(stored, values)
    at = self_report_in_the_way(self_report_times(user, [report]), report.enterprise_id, changes)
    if at is not None:
        own = "、".join(f"{LABELS[n]} {shown_value(n, stored[n])}" for n in REPORT_FIELDS if not is_empty(stored[n]))
        yours = "、".join(
            f"{LABELS[n]} {shown_value(n, stored.get(n))} → {shown_value(n, values.get(n))}" for n in changes
        )
        warnings.append(
            Problem(
                next(iter(changes)),
                f"企业已于 {clock(at)} 自行报送当日情况：{own}。您提交的内容将覆盖企业自行报送的数据（{yours}）；"
                "如确需覆盖，请勾选确认后再提交",
                OVERWRITE,
            )
        )
    return warnings


def shown_value(name: str, value: Any) -> str:
    if is_empty(value):
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if name == "measures":
        return "、".join(MEASURES.get(v, v) for v in value)
    if name == "problem_tags":
        return "、".join(PROBLEM_TAGS.get(v, v) for v in value)
    if name == "capacity_pct":
        return f"{Decimal(str(value)).normalize():f}%"
    if name == "extra" and isinstance(value, dict):
        return "、".join(f"{k} {v}" for k, v in value.items())
    return str(value)
