"""The province's resumption figures through the real HTTP stack (issue 4 §7).

50,000 enterprises with 30 days of report history on PostgreSQL. The endpoint reads incremental
roll-ups; beside it, in the same run, the same totals computed by one plain SQL statement over
the raw reports, so the ratio says what the roll-ups buy whatever the machine's mood, and the
totals are compared, so a fast but wrong endpoint cannot pass. Then how long one submission
takes to show in the figures. Goal: p95 ≤ 50 ms and ≥ 20× faster than the plain query.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.error
import urllib.request
from decimal import Decimal
from typing import Any

import psycopg

from bench.stack import DB_NAME, PG_SERVER_URL, ServerSettings, Stack, bench_stack
from bench.submission import PASSWORD, get_token, measured

ENTERPRISES = 50_000
DAYS = 30
CLIENTS = 8  # a few leaders' screens refreshing, not a rush: the goal is about latency
GOAL_P95_MS = 50
GOAL_RATIO = 20
PLAIN_RUNS = 5
FRESHNESS_RUNS = 5
FIRST_READ_TIMEOUT = 180

# The plan, today in the server's zone, counts, and in-scope enterprises without a report today.
FACTS = """
from django.utils import timezone
from fugong.demo.history import DAILY_TITLE
from fugong.dispatch.models import Plan, Report
from fugong.dispatch.plans.selection import plan_enterprises
today = timezone.localdate()
plan = Plan.objects.get(title=DAILY_TITLE)
scope = plan_enterprises(plan, today)
print("plan", plan.pk)
print("date", today.isoformat())
print("scope", scope.count())
print("reports", Report.objects.count())
quiet = scope.exclude(reports__date=today).order_by("pk").values_list("uscc", flat=True)
for uscc in quiet[:50]:
    print("quiet", uscc)
"""

# One statement over the raw tables, the way one would write it without roll-ups: the plan's
# scope (owner region subtree, sector selector, active on the day), each enterprise's latest
# report in [plan start, day] by DISTINCT ON, the registry baseline where there is none
# (figures.status_of). Only the `sectors` criterion of the selector is handled: the demo plan
# has no other.
PLAIN_SQL = """
WITH plan AS (
    SELECT p.start_date, r.path, ARRAY(SELECT jsonb_array_elements_text(p.selector -> 'sectors')) AS sectors
    FROM dispatch_plan p JOIN regions_region r ON r.code = p.owner_region_id
    WHERE p.id = %(plan)s
), scope AS (
    SELECT e.id, e.baseline_headcount, e.baseline_capacity
    FROM enterprises_enterprise e
    JOIN regions_region r ON r.code = e.region_id, plan
    WHERE r.path LIKE plan.path || '%%'
      AND e.active_from <= %(day)s AND (e.active_to IS NULL OR e.active_to >= %(day)s)
      AND EXISTS (
          SELECT 1 FROM enterprises_enterprise_sectors es
          JOIN enterprises_sectortag t ON t.id = es.sectortag_id
          WHERE es.enterprise_id = e.id AND t.name = ANY (plan.sectors)
      )
), latest AS (
    SELECT DISTINCT ON (d.enterprise_id) d.*
    FROM dispatch_report d, plan
    WHERE d.enterprise_id IN (SELECT id FROM scope) AND d.date <= %(day)s AND d.date >= plan.start_date
    ORDER BY d.enterprise_id, d.date DESC
), status AS (
    SELECT COALESCE(l.resumed, false) AS resumed,
           COALESCE(l.baseline_headcount, s.baseline_headcount) AS baseline,
           COALESCE(l.reported_back, 0) AS reported_back,
           COALESCE(l.isolated, 0) AS isolated,
           COALESCE(l.on_duty, 0) AS on_duty,
           l.capacity_pct,
           COALESCE(NULLIF(s.baseline_capacity, 0), COALESCE(l.baseline_headcount, s.baseline_headcount))
               AS weight,
           l.date < %(day)s AS stale
    FROM scope s LEFT JOIN latest l ON l.enterprise_id = s.id
)
SELECT count(*),
       count(*) FILTER (WHERE resumed),
       COALESCE(sum(baseline), 0),
       COALESCE(sum(baseline) FILTER (WHERE resumed), 0),
       COALESCE(sum(reported_back), 0),
       COALESCE(sum(isolated), 0),
       COALESCE(sum(on_duty), 0),
       COALESCE(sum(on_duty) FILTER (WHERE resumed), 0),
       sum(capacity_pct * weight) FILTER (WHERE resumed AND capacity_pct IS NOT NULL AND weight > 0),
       sum(weight) FILTER (WHERE resumed AND capacity_pct IS NOT NULL AND weight > 0),
       count(*) FILTER (WHERE stale)
FROM status
"""
COUNTED = (
    "enterprises",
    "resumed",
    "baseline_headcount",
    "baseline_headcount_resumed",
    "reported_back",
    "isolated",
    "on_duty",
    "on_duty_resumed",
    "stale",
)


# The leader's dashboard for the whole province, in the server's process (no HTTP): all of it,
# and the two parts that still read the day's reports rather than the roll-ups.
DASHBOARD = """
import statistics, time
from django.utils import timezone
from fugong.accounts.models import User
from fugong.demo.history import DAILY_TITLE
from fugong.briefing import brief
from fugong.dispatch.figures import completeness
from fugong.briefing import dashboard
from fugong.dispatch.models import Plan
plan = Plan.objects.select_related("owner_region").get(title=DAILY_TITLE)
user, day, node = User.objects.get(username="demo-leader"), timezone.localdate(), plan.owner_region
parts = {
    "all": lambda: dashboard.dashboard_data(plan, day, node, user),
    "completeness": lambda: completeness.completeness(plan, day, node, user),
    "problems": lambda: brief.problem_counts(plan, day, node, user),
}
parts["all"]()  # builds any trend day not built yet
for name, part in parts.items():
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        part()
        runs.append((time.perf_counter() - started) * 1000)
    print(name, round(statistics.median(runs), 1))
"""


def facts(stack: Stack) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in stack.manage("shell", "-v0", "-c", FACTS).splitlines():
        key, value = line.split(" ", 1)
        found.setdefault(key, []).append(value)
    return found


def request(url: str, auth: dict[str, str], body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {**auth, "Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(req, timeout=FIRST_READ_TIMEOUT) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def plain_totals(plan: int, day: str) -> tuple[list[float], dict[str, Any]]:
    """Runs the plain statement PLAIN_RUNS times on one connection; times in ms and its totals."""
    times: list[float] = []
    row: tuple[Any, ...] = ()
    with psycopg.connect(f"{PG_SERVER_URL}/{DB_NAME}") as conn:
        for _ in range(PLAIN_RUNS):
            started = time.perf_counter()
            row = conn.execute(PLAIN_SQL, {"plan": plan, "day": day}).fetchone() or ()
            times.append((time.perf_counter() - started) * 1000)
    totals = dict(zip(COUNTED[:8], row[:8], strict=True))
    totals["stale"] = row[10]
    weighted, weight = row[8], row[9]
    totals["capacity_recovery_rate"] = weighted / weight / 100 if weight else None
    return times, totals


def disagreements(endpoint: dict[str, Any], plain: dict[str, Any]) -> list[str]:
    wrong = [f"{k}: endpoint {endpoint[k]} vs plain {plain[k]}" for k in COUNTED if endpoint[k] != plain[k]]
    ours, theirs = endpoint["capacity_recovery_rate"], plain["capacity_recovery_rate"]
    if (ours is None) != (theirs is None) or (
        ours is not None and abs(Decimal(str(ours)) - theirs) > Decimal("1e-12")
    ):
        wrong.append(f"capacity_recovery_rate: endpoint {ours} vs plain {theirs}")
    return wrong


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def freshness(stack: Stack, stats_url: str, auth: dict[str, str], day: str, usccs: list[str]) -> list[float]:
    """ms from sending an accepted POST until a GET of the figures shows a changed total.

    Each enterprise has not reported today, so its report moves it out of `stale` or into
    `resumed`: the total always changes. A 422 asking to confirm warnings is resent confirmed,
    and timed from the resend.
    """
    times = []
    for n, uscc in enumerate(usccs[:FRESHNESS_RUNS]):
        before = request(stats_url, auth)[1]["total"]
        body: dict[str, Any] = {
            "enterprise": uscc, "date": day, "client_id": f"fresh-{n}", "resumed": True,
            "reported_back": 1, "isolated": 0, "on_duty": 1, "capacity_pct": 10,
        }  # fmt: skip
        started = time.perf_counter()
        status, answer = request(f"{stack.url}/api/v1/reports", auth, body)
        if status == 422 and answer.get("code") == "confirmation_required":
            body["confirm"] = [w["code"] for w in answer["details"]["warnings"]]
            started = time.perf_counter()
            status, answer = request(f"{stack.url}/api/v1/reports", auth, body)
        if status not in (200, 201):
            raise RuntimeError(f"POST /api/v1/reports for {uscc}: {status} {answer}")
        while request(stats_url, auth)[1]["total"] == before:
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"the report for {uscc} did not show in the figures within 30 s")
        times.append((time.perf_counter() - started) * 1000)
    return times


def main(args: argparse.Namespace) -> None:
    # The first read builds two plan-days of roll-ups in one request, which can take longer than
    # gunicorn's default 30 s worker timeout: a longer one here, so that it is measured at all.
    settings = ServerSettings(args.workers, args.threads, args.worker_class, timeout=FIRST_READ_TIMEOUT)
    seconds = min(args.seconds, 10.0)
    print(f"stats benchmark ({settings.describe()}, PostgreSQL, {CLIENTS} clients, wrk)", flush=True)
    started = time.monotonic()
    seed = ["--password", PASSWORD, "--enterprises", str(ENTERPRISES), "--days", str(DAYS)]
    with bench_stack(settings, seed) as stack:
        found = facts(stack)
        plan, day = int(found["plan"][0]), found["date"][0]
        auth = {"Authorization": f"Bearer {get_token(stack)}"}
        print(
            f"  setup {time.monotonic() - started:.0f} s: {ENTERPRISES} enterprises, {DAYS} days; "
            f"{found['scope'][0]} in the plan's scope on {day}, {found['reports'][0]} reports",
            flush=True,
        )
        path = f"/api/v1/stats/resumption?plan={plan}&date={day}&by=region"
        stats_url = f"{stack.url}{path}"

        # First read builds the plan-day's roll-ups (and the previous day's, for previous_total).
        first = time.perf_counter()
        status, first_answer = request(stats_url, auth)
        first_ms = (time.perf_counter() - first) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {first_answer}")
        measured(stack, stats_url, "get.lua", 2.0, auth, CLIENTS)  # warm-up, not counted
        run, run_cpu = measured(stack, stats_url, "get.lua", seconds, auth, CLIENTS)
        sector_url = stats_url.replace("by=region", "by=sector")
        measured(stack, sector_url, "get.lua", 1.0, auth, CLIENTS)  # warm-up, not counted
        by_sector, _ = measured(stack, sector_url, "get.lua", seconds, auth, CLIENTS)
        endpoint_total = request(stats_url, auth)[1]["total"]
        plain_ms, plain = plain_totals(plan, day)
        fresh_ms = freshness(stack, stats_url, auth, day, found.get("quiet", []))
        board_ms = dict(
            line.split(" ") for line in stack.manage("shell", "-v0", "-c", DASHBOARD).splitlines()
        )

    p50, p95, p99 = (run.latency_ms.get(p, 0.0) for p in ("50", "95", "99"))
    print(f"  first read (builds the roll-ups of {day} and the day before): {first_ms:.0f} ms", end="")
    print("  (over gunicorn's default 30 s timeout)" if first_ms > 30_000 else "")
    print(f"  GET {path}:")
    print(f"    {run.per_second:.0f} req/s  p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms", end="")
    print(f"  errors {run.errors({200})}")
    print(run_cpu, end="")
    print("  GET …&by=sector (the dashboard's sector chart, also from the roll-ups):")
    s50, s95 = (by_sector.latency_ms.get(p, 0.0) for p in ("50", "95"))
    print(f"    {by_sector.per_second:.0f} req/s  p50 {s50:.1f} ms  p95 {s95:.1f} ms", end="")
    print(f"  errors {by_sector.errors({200})}")
    plain_median, plain_p95 = statistics.median(plain_ms), percentile(plain_ms, 95)
    print(f"  plain SQL over the raw reports ({PLAIN_RUNS} runs): median {plain_median:.0f} ms", end="")
    print(f"  p95 {plain_p95:.0f} ms")
    wrong = disagreements(endpoint_total, plain)
    shown = ", ".join(f"{k} {endpoint_total[k]}" for k in ("enterprises", "resumed", "on_duty"))
    print(f"  totals: {'agree' if not wrong else 'DISAGREE'} ({shown})")
    for line in wrong:
        print(f"    {line}")
    ratio50 = plain_median / p50 if p50 else 0.0
    ratio95 = plain_median / p95 if p95 else 0.0
    print(f"  ratio plain ÷ endpoint: {ratio50:.0f}× at p50, {ratio95:.0f}× at p95")
    met = p95 <= GOAL_P95_MS and ratio95 >= GOAL_RATIO and not wrong and not run.errors({200})
    verdict = "met" if met else "not met"
    print(f"  goal: p95 ≤ {GOAL_P95_MS} ms and ≥{GOAL_RATIO}× faster than the plain query → {verdict}")
    print(
        f"  one submission to the figures ({len(fresh_ms)} runs, POST sent → GET shows it): "
        f"median {statistics.median(fresh_ms):.0f} ms, max {max(fresh_ms):.0f} ms"
    )
    print(
        f"  province dashboard data in-process (median of 5): {board_ms['all']} ms, of which "
        f"completeness {board_ms['completeness']} ms and problem counts {board_ms['problems']} ms "
        "(these two read the day's reports, not the roll-ups)"
    )
    print(f"  (whole benchmark {time.monotonic() - started:.0f} s)")
