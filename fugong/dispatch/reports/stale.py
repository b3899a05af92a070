"""A report edit based on an older revision than the stored one is refused, never applied.

The rule for every single-report way in (the form, the on-behalf form, `POST /reports`):
`base_revision` is the report's `revision_count` when the client read it (0 for a day not yet
reported). When it is given and differs from the stored count, the write is refused with
409 `stale_revision`, the stored values in `details.current` and a message naming who changed
what ("该日报已于 11:47 被 张三（网页） 修改为 实际到岗 73，请核对后再提交"). The person then
resubmits from the current revision, knowingly.

- `base_revision` omitted (older API clients, scripts): no check, as before — the last write wins,
  and its revision records what it changed.
- A retry of an accepted submission (the same `client_id` and payload) answers with the report it
  made, even if its base is stale by now: idempotency is decided first, so a retry never turns
  into a conflict with its own earlier success.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fugong.core import audit
from fugong.core.versions import StaleVersion, plain, who_and_when
from fugong.dispatch.models import Report
from fugong.dispatch.reports.fields import LABELS, MEASURES, PROBLEM_TAGS, REPORT_FIELDS

NUMBERS = ("baseline_headcount", "reported_back", "isolated", "on_duty", "capacity_pct")
SHOWN_FIELDS = 4  # the message names this many changed fields, then "等"


class StaleRevision(StaleVersion):
    code = "stale_revision"
    default_message = "该日报已被他人修改，请核对后再提交"


def shown(name: str, value: Any) -> str:
    """A stored value as a person reads it."""
    if value in (None, "", [], {}):
        return "（空）"
    if name == "resumed":
        return "已复工" if value else "未复工"
    if name in ("measures", "problem_tags"):
        labels = MEASURES if name == "measures" else PROBLEM_TAGS
        return "、".join(labels.get(v, v) for v in value)
    if name in NUMBERS:
        try:
            return str(plain(Decimal(str(value).strip())))  # typed "55.50", stored 55.5: one value
        except InvalidOperation:
            return str(value)
    if isinstance(value, dict):
        return "；".join(f"{k} {v}" for k, v in value.items())
    return str(plain(value))


def check_base_revision(
    report: Report | None, base_revision: int | None, sent: dict[str, Any] | None = None
) -> None:
    """Raises StaleRevision when the stored report is not the revision the edit was based on;
    the message names first the changed fields where `sent` (the new edit) differs."""
    if base_revision is None:
        return
    current = report.revision_count if report is not None else 0
    if report is None or base_revision == current:
        if base_revision != current:  # a base from the future: nothing stored to compare with
            raise StaleRevision(
                f"该日报尚未报送，不能基于第{base_revision}版修改；请刷新页面后重新填写",
                details={"current": None, "revision": 0, "base_revision": base_revision},
            )
        return
    raise stale_error(report, base_revision, sent or {})


def stale_error(report: Report, base_revision: int, sent: dict[str, Any]) -> StaleRevision:
    later = list(report.revisions.filter(number__gt=base_revision).select_related("by").order_by("number"))
    changed: list[str] = []
    for revision in later:
        changed += [k for k in revision.changes if k not in changed and k in REPORT_FIELDS]
    last = later[-1] if later else None
    values = report.values()
    differing = [k for k in changed if k in sent and shown(k, sent[k]) != shown(k, values[k])]
    changed = differing + [k for k in changed if k not in differing]
    parts = [f"{LABELS.get(k, k)} {shown(k, values[k])}" for k in changed[:SHOWN_FIELDS]]
    what = "、".join(parts) + ("等" if len(changed) > SHOWN_FIELDS else "")
    verb = "报送" if base_revision == 0 else "修改为"
    who = who_and_when(last.at if last else report.updated_at, last.by if last else None, last.channel if last else "")
    message = f"该日报已于 {who} {verb} {what}，请核对后再提交" if what else f"该日报已于 {who} 重新提交，请核对后再提交"
    return StaleRevision(
        message,
        details={
            "current": {k: audit.plain(v) for k, v in values.items()},
            "revision": report.revision_count,
            "base_revision": base_revision,
            "changed": changed,
            "changed_at": last.at.isoformat() if last else None,
            "changed_by": str(last.by) if last and last.by else None,
        },
    )


def side_by_side(typed: dict[str, Any], current: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(label, what the person typed, what is stored) for each field where they differ."""
    if not current:
        return []
    rows = []
    for name in REPORT_FIELDS:
        yours, theirs = shown(name, typed.get(name)), shown(name, current.get(name))
        if yours != theirs:
            rows.append((LABELS.get(name, name), yours, theirs))
    return rows
