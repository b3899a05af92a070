"""kill -9 during a sheet import leaves nothing half-written, and the same import then succeeds.

`manage.py import_reports` runs as a real process on the test database. The test waits until
it is writing — it holds SQLite's write lock, or on PostgreSQL its transaction has written and
holds a row lock on the reports table — and not finished, then SIGKILLs it. Nothing of the
import may remain: no report, no revision, and the roll-ups (built before the import) still
equal a full recomputation. Running the import again then writes every row.

Transactional: the subprocess must see the committed data, so this test sets up its own (a
transactional test empties the database when it ends).
"""

from __future__ import annotations

import datetime
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from fugong.dispatch.figures import reference, rollups
from fugong.dispatch.models import Plan, Report, ReportRevision
from fugong.enterprises.models import Enterprise
from fugong.regions.loader import load_regions
from fugong.regions.models import Region
from tests.conftest import uscc
from tests.support import sheets

COUNTY = "220103"  # 长春市宽城区: none of the shared fixtures' enterprises is there
FIRST_DAY = datetime.date(2020, 2, 17)  # a Monday; each attempt takes the next day
APP_NAME = "fugong-import-kill-test"
ROWS = 4000  # a few seconds of writing here; doubled if an import finishes before it is caught
ATTEMPTS = 3


def scene(rows: int) -> tuple[Plan, list[Enterprise]]:
    load_regions(["22"])
    plan = Plan.objects.create(  # no lock: the sheet is for a day of 2020
        title="宽城区日调度",
        owner_region_id="220100",
        start_date=datetime.date(2020, 2, 1),
        lock_after_days=None,
    )
    return plan, enlarge([], rows)


def enlarge(enterprises: list[Enterprise], rows: int) -> list[Enterprise]:
    more = [
        Enterprise(
            uscc=uscc(COUNTY, 10000 + n),
            name=f"宽城区第{n}号企业有限公司",
            region_id=COUNTY,
            baseline_headcount=100,
            active_from=datetime.date(2020, 1, 1),
        )
        for n in range(len(enterprises), rows)
    ]
    return enterprises + Enterprise.objects.bulk_create(more, batch_size=500)


def figures_row(n: int) -> tuple[str, int, int, int, int, int]:
    resumed = n % 3 != 0
    return ("是" if resumed else "否", 100, 80, 5, 70 if resumed else 0, 60 if resumed else 0)


def sheet(tmp: Path, enterprises: list[Enterprise]) -> Path:
    rows = [sheets.REPORT_HEADER] + [[e.uscc, e.name, *figures_row(n)] for n, e in enumerate(enterprises)]
    path = tmp / f"宽城区调度表{len(enterprises)}.xlsx"
    path.write_bytes(sheets.xlsx(("调度表", rows)))
    return path


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_import(path: Path, plan: Plan, day: datetime.date) -> subprocess.Popen[bytes]:
    """The import as its own process; its output goes to a file beside the sheet (a pipe nobody
    reads while the test polls would fill and stall it)."""
    env = {**os.environ, "DATABASE_URL": database_url(), "PGAPPNAME": APP_NAME, "CONN_MAX_AGE": "0"}
    command = [
        sys.executable,
        "manage.py",
        "import_reports",
        str(path),
        "--plan",
        str(plan.pk),
        "--date",
        day.isoformat(),
    ]
    with open(path.with_suffix(f".{day}.log"), "wb") as log:
        return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)


def output(path: Path, day: datetime.date) -> str:
    return path.with_suffix(f".{day}.log").read_text("utf-8", "replace")


def writing(process: subprocess.Popen[bytes]) -> bool:
    """Whether the import holds an open transaction that has written reports."""
    if connection.vendor == "sqlite":
        probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")  # refused while another connection holds the write lock
            probe.rollback()
            return False
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        finally:
            probe.close()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
               WHERE a.application_name = %s AND a.backend_xid IS NOT NULL
                 AND l.relation = %s::regclass AND l.mode = 'RowExclusiveLock' AND l.granted""",
            [APP_NAME, Report._meta.db_table],
        )
        return bool(cursor.fetchone()[0])


def kill_while_writing(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the import once it is writing; False if it ended before it was caught."""
    while process.poll() is None:
        if writing(process):
            if process.poll() is not None:
                break
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    return False


def sums(day: datetime.date, plan: Plan) -> dict[str, Any]:
    node = Region.objects.get(code=COUNTY)
    fast = rollups.read(plan, day, node).total.as_dict()
    full = reference.computed(plan, day, node, "region", None).total.as_dict()
    assert fast == full, (fast, full)
    return {k: fast[k] for k in ("enterprises", "resumed", "on_duty", "reported_back")}


def test_a_killed_import_leaves_nothing_and_the_same_import_then_succeeds(
    transactional_db: Any, tmp_path: Path
) -> None:
    rows = ROWS
    plan, enterprises = scene(rows)
    for attempt in range(ATTEMPTS):
        day = FIRST_DAY + datetime.timedelta(days=attempt)
        path = sheet(tmp_path, enterprises)
        before = sums(day, plan)  # built now: a killed import must not have moved them
        assert before == {"enterprises": rows, "resumed": 0, "on_duty": 0, "reported_back": 0}
        process = start_import(path, plan, day)
        if kill_while_writing(process):
            break
        rows *= 2  # it finished before it was caught writing: a bigger sheet, on the next day
        enterprises = enlarge(enterprises, rows)
    else:
        raise AssertionError(f"the import always finished before it could be killed ({ATTEMPTS} attempts)")
    assert process.returncode == -signal.SIGKILL

    assert not Report.objects.filter(date=day).exists()
    assert not ReportRevision.objects.filter(report__date=day).exists()
    assert sums(day, plan) == before

    again = start_import(path, plan, day)
    assert again.wait(timeout=600) == 0, output(path, day)[-2000:]
    assert Report.objects.filter(date=day).count() == rows
    assert ReportRevision.objects.filter(report__date=day).count() == rows
    resumed = [figures_row(n) for n in range(rows) if figures_row(n)[0] == "是"]
    assert sums(day, plan) == {
        "enterprises": rows,
        "resumed": len(resumed),
        "on_duty": sum(r[4] for r in resumed),
        "reported_back": 80 * rows,
    }
