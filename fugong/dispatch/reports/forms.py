"""Turning the report form's POST into raw values, and a previous report into form values."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import QueryDict

from fugong.dispatch.models import Plan, Report
from fugong.dispatch.reports.fields import REPORT_FIELDS
from fugong.enterprises.models import Enterprise


def raw_from_post(post: QueryDict, plans: list[Plan]) -> dict[str, Any]:
    raw: dict[str, Any] = {
        name: post.get(name, "")
        for name in REPORT_FIELDS
        if name not in ("measures", "problem_tags", "extra")
    }
    # the radio buttons send 1 or 0; anything else goes on as typed, for the report's check to name
    resumed = post.get("resumed", "")
    raw["resumed"] = {"1": True, "0": False}.get(resumed, resumed)
    raw["measures"] = post.getlist("measures")
    raw["problem_tags"] = post.getlist("problem_tags")
    raw["extra"] = {
        spec["key"]: post.get(f"extra_{spec['key']}", "") for plan in plans for spec in plan.extra_fields
    }
    return raw


def initial_values(
    enterprise: Enterprise, today_report: Report | None, last_report: Report | None
) -> dict[str, Any]:
    """Today's report if there is one, else the last one (pre-fill), else the registry baseline."""
    source = today_report or last_report
    if source is not None:
        values = source.values()
        if today_report is None:
            values["problems"] = values["suggestions"] = ""  # problems are per day, not carried over
            values["problem_tags"] = []
        return values
    return {
        "resumed": None,
        "resumed_on": None,
        "baseline_headcount": enterprise.baseline_headcount,
        "reported_back": "",
        "isolated": "",
        "on_duty": "",
        "capacity_pct": "",
        "measures": [],
        "problems": "",
        "problem_tags": [],
        "suggestions": "",
        "extra": {},
    }


def same_as(report: Report, day: datetime.date) -> dict[str, Any]:
    """The raw values of a previous report, for the one-tap "与昨日相同" submission."""
    values = report.values()
    values["problems"] = values["suggestions"] = ""
    values["problem_tags"] = []
    if values["resumed_on"] and values["resumed_on"] > day:
        values["resumed_on"] = None
    return values
