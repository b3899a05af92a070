"""A 100,000-row filled dispatch sheet imported into PostgreSQL (issue 5 §4).

The sheet is the province's: one row per enterprise of a plan covering every enterprise, with
titles above a header, as a county would pass it up. Beside the import, in the same run, the
bare parse of the same file by python-calamine (the reader the import uses), each in its own
process so that the peak memory of each is its own. Goal: the import within 3× the bare parse,
and its peak memory within 300 MB. Then the same file again: nothing may change.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from bench.stack import PROJECT, bench_env, manage, seeded_database

ROWS = 100_000
SEEDED = 103_000  # a few are inactive or closed on the day; the sheet takes 100,000 of the rest
GOAL_RATIO = 3.0
GOAL_MB = 300

# A plan covering every enterprise, its roll-ups built for the day (a leader has looked), and the
# roster of the day as "uscc<TAB>name<TAB>baseline" lines.
SETUP = """
import datetime
from django.utils import timezone
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Plan
from fugong.dispatch.plans.selection import plan_enterprises
from fugong.regions.models import Region
today = timezone.localdate()
province = Region.objects.get(code="220000")
plan = Plan.objects.create(title="基准：全省企业日调度", owner_region=province,
                           start_date=today - datetime.timedelta(days=30), selector={})
rollups.read(plan, today, province)
print("plan", plan.pk, today.isoformat())
for uscc, name, baseline in plan_enterprises(plan, today).order_by("pk").values_list(
        "uscc", "name", "baseline_headcount")[:ROWS]:
    print(uscc, name, baseline, sep="\\t")
""".replace("ROWS", str(ROWS))

PARSE = """
import sys
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python(skip_empty_area=False)
print(len(rows))
"""

COUNT = """
from fugong.dispatch.models import Report, ReportRevision
from django.utils import timezone
print(Report.objects.filter(date=timezone.localdate()).count(), ReportRevision.objects.filter(channel="cli").count())
"""


def write_sheet(path: Path, roster: list[tuple[str, str, int]], rng: random.Random) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("调度表")
    sheet.write_row(0, 0, ["全省企业复工复产情况调度表"])
    sheet.write_row(1, 0, ["填报单位：吉林省商务厅"])
    header = ["统一社会信用代码", "企业名称", "是否复工", "在册员工", "报到人数", "报到后隔离", "实际上岗"]
    sheet.write_row(2, 0, [*header, "产能恢复比例", "防疫措施", "突出问题", "政策建议"])
    for index, (uscc, name, baseline) in enumerate(roster, start=3):
        resumed = rng.random() < 0.85
        back = rng.randint(0, baseline)
        isolated = rng.randint(0, back // 10)
        on_duty = rng.randint(0, back - isolated) if resumed else 0
        capacity = f"{rng.randint(10, 100)}%" if resumed else "0"
        problem = rng.choice(["", "", "", "原材料供应不足", "物流运输不畅，订单交付延迟"])
        sheet.write_row(
            index,
            0,
            [uscc, name, "是" if resumed else "否", baseline, back, isolated, on_duty, capacity,
             "测温、消毒、口罩储备", problem, ""],
        )  # fmt: skip
    book.close()


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and output of one process (its own peak, via wait4)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def main(args: argparse.Namespace) -> None:
    print(f"report import benchmark ({ROWS:,} rows, PostgreSQL)", flush=True)
    started = time.monotonic()
    env = bench_env()
    with seeded_database(env, SEEDED, days=3):
        lines = manage(env, "shell", "-v0", "-c", SETUP).splitlines()
        _, plan_id, day = lines[0].split()
        roster = [(u, n, int(b)) for u, n, b in (line.split("\t") for line in lines[1:])]
        with tempfile.TemporaryDirectory(prefix="fugong-import-") as tmp:
            path = Path(tmp) / "全省调度表.xlsx"
            write_sheet(path, roster, random.Random(2020))
            size_mb = path.stat().st_size / 1048576
            print(
                f"  setup {time.monotonic() - started:.0f} s; sheet {len(roster):,} rows, {size_mb:.1f} MB",
                flush=True,
            )
            parse_s, parse_mb, _ = timed([sys.executable, "-c", PARSE, str(path)], env)
            command = [sys.executable, "manage.py", "import_reports", str(path), "--plan", plan_id, "--date", day,
                       "--confirm-warnings"]  # fmt: skip
            import_s, import_mb, output = timed(command, env)
            again_s, _, again = timed(command, env)
            reports, revisions = manage(env, "shell", "-v0", "-c", COUNT).split()
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    print(f"  python-calamine bare parse: {parse_s:.2f} s, peak {parse_mb:.0f} MB")
    print(f"  import_reports: {import_s:.2f} s, peak {import_mb:.0f} MB — {summary}")
    ratio = import_s / parse_s if parse_s else 0.0
    met = ratio <= GOAL_RATIO and import_mb <= GOAL_MB and int(revisions) == len(roster)
    print(
        f"  ratio import ÷ parse: {ratio:.1f}×; goal ≤ {GOAL_RATIO:.0f}× and ≤ {GOAL_MB} MB → {'met' if met else 'not met'}"
    )
    print(f"  reports of the day {reports} (with the seeded history's), revisions by the import {revisions}")
    print(
        f"  the same file again: {again_s:.2f} s — {again.strip().splitlines()[-1] if again.strip() else ''}"
    )
    print(f"  (whole benchmark {time.monotonic() - started:.0f} s)")
