"""Report submission through the real HTTP stack (issue 3 §7): the 16:00 rush of a province.

gunicorn and PostgreSQL on this machine, 64 concurrent keep-alive clients posting daily reports
for the demo province's foreign-trade enterprises as its dispatcher. Printed beside the same
server's throughput on a trivial authenticated GET measured in the same run, so the ratio says
what the submission path costs whatever the machine's mood. Goal: ≥300 reports/s, p99 < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import loadgen
from bench.cpu import CpuMeter
from bench.loadgen import LoadResult
from bench.stack import ServerSettings, Stack, bench_stack

PASSWORD = "bench-pass-2020"
ENTERPRISES = 3000
GOAL_PER_SECOND = 300
GOAL_P99_MS = 300
BASELINE_PATH = "/api/v1/regions/220000"
WARMUP_SECONDS = 3.0

# The enterprises the daily plan expects a report from today, with their registry 在册员工, and
# today in the server's zone.
COVERED = """
from django.utils import timezone
from fugong.demo.history import DAILY_TITLE
from fugong.dispatch.models import Plan
from fugong.dispatch.plans.selection import plan_enterprises
today = timezone.localdate()
print("date", today.isoformat())
plan = Plan.objects.get(title=DAILY_TITLE)
for uscc, baseline in plan_enterprises(plan, today).order_by("pk").values_list("uscc", "baseline_headcount"):
    print("uscc", f"{uscc} {baseline}")
"""


def covered_enterprises(stack: Stack) -> tuple[str, list[str]]:
    lines = [line.split(" ", 1) for line in stack.manage("shell", "-v0", "-c", COVERED).splitlines()]
    day = next(value for key, value in lines if key == "date")
    return day, [value for key, value in lines if key == "uscc"]


def get_token(stack: Stack) -> str:
    body = json.dumps({"username": "demo-province", "password": PASSWORD, "name": "bench"}).encode()
    request = urllib.request.Request(
        f"{stack.url}/api/v1/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["token"])


def measured(
    stack: Stack,
    url: str,
    script: str,
    seconds: float,
    auth: dict[str, str],
    clients: int,
    args: tuple[str, ...] = (),
) -> tuple[LoadResult, str]:
    """One run, with the CPU breakdown as indented lines (empty where /proc is missing)."""
    meter = CpuMeter(stack.server_pid)
    meter.start()
    result = loadgen.run(url, script, clients=clients, seconds=seconds, headers=auth, args=args)
    share = meter.stop(result.cpu_seconds)
    lines = share.describe(result.per_second).splitlines() if share else []
    return result, "".join(f"    {line}\n" for line in lines)


def print_errors(result: LoadResult, expected: set[int]) -> None:
    if result.errors(expected):
        shown = {s: n for s, n in sorted(result.statuses.items()) if s not in expected}
        print(f"    unexpected statuses {shown}, socket errors {result.socket_errors}")
        for body in list(dict.fromkeys(result.error_bodies))[:3]:  # distinct ones
            print(f"    e.g. {body}")


def main(args: argparse.Namespace) -> None:
    settings = ServerSettings(args.workers, args.threads, args.worker_class)
    clients, seconds = args.clients, args.seconds
    print(f"submission benchmark ({settings.describe()}, PostgreSQL, {clients} clients, wrk)", flush=True)
    started = time.monotonic()
    seed = ["--password", PASSWORD, "--enterprises", str(ENTERPRISES), "--days", "0"]
    with bench_stack(settings, seed) as stack, tempfile.TemporaryDirectory() as tmp:
        day, usccs = covered_enterprises(stack)
        uscc_file = Path(tmp) / "usccs.txt"
        uscc_file.write_text("\n".join(usccs) + "\n")
        auth = {"Authorization": f"Bearer {get_token(stack)}"}
        print(
            f"  setup {time.monotonic() - started:.0f} s: {len(usccs)} enterprises to report for {day}",
            flush=True,
        )
        get_url, post_url = f"{stack.url}{BASELINE_PATH}", f"{stack.url}/api/v1/reports"

        # Warm-up, not counted: imports, connections and caches in every worker; first reports in.
        # The measured run starts half-way through the list, so it both creates and revises.
        measured(stack, get_url, "get.lua", WARMUP_SECONDS, auth, clients)
        measured(
            stack, post_url, "submit.lua", WARMUP_SECONDS, auth, clients, (str(uscc_file), day, "warm", "0")
        )
        base, base_cpu = measured(stack, get_url, "get.lua", min(seconds, 10.0), auth, clients)
        run_args = (str(uscc_file), day, "run", str(len(usccs) // 2))
        post, post_cpu = measured(stack, post_url, "submit.lua", seconds, auth, clients, run_args)

    ok_get, ok_post = {200}, {200, 201}
    print(f"  baseline GET {BASELINE_PATH}: {base.describe()}  errors {base.errors(ok_get)}")
    print_errors(base, ok_get)
    print(base_cpu, end="")
    print(f"  POST /api/v1/reports:                 {post.describe()}  errors {post.errors(ok_post)}")
    print_errors(post, ok_post)
    print(post_cpu, end="")
    created, revised = post.statuses.get(201, 0), post.statuses.get(200, 0)
    print(f"    {created} reports created, {revised} revised; p90 {post.latency_ms.get('90', 0):.1f} ms")
    ratio = post.per_second / base.per_second if base.per_second else 0.0
    print(f"  ratio reports/baseline: {ratio:.2f}")
    met = (
        post.per_second >= GOAL_PER_SECOND
        and post.latency_ms.get("99", 1e9) < GOAL_P99_MS
        and not post.errors(ok_post)
    )
    verdict = "met" if met else "not met"
    print(f"  goal: ≥{GOAL_PER_SECOND} reports/s, p99 < {GOAL_P99_MS} ms, no errors → {verdict}")
    print(f"  (whole benchmark {time.monotonic() - started:.0f} s)")
