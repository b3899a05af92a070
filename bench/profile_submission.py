"""`python -m bench.profile_submission`: where one report submission spends its time, in process.

Not part of `make bench`: a tool for when the figures disappoint. It seeds the same throw-away
database as the benchmark, then drives the full Django stack (middleware, ninja, ORM, PostgreSQL;
no gunicorn) with the test client, printing the SQL of one new report and one revision, and a
cProfile of a few hundred submissions.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import time
from typing import Any

from bench.stack import bench_env, manage, recreate_database
from bench.submission import ENTERPRISES, PASSWORD

ROUNDS = int(os.environ.get("BENCH_PROFILE_ROUNDS", "300"))
# BENCH_PROFILE_DUMP=<directory> also writes the raw profiles there (GET-region.pstats, POST-report.pstats).


def body(uscc: str, day: str, n: int) -> str:
    back, isolated = 70 + n % 21, n % 4
    return json.dumps(
        {
            "enterprise": uscc, "date": day, "client_id": f"profile-{n}", "resumed": True,
            "baseline_headcount": 100, "reported_back": back, "isolated": isolated,
            "on_duty": back - isolated - n % 7, "capacity_pct": 50 + n % 30,
        }
    )  # fmt: skip


def show_queries(title: str, queries: list[dict[str, Any]]) -> None:
    total = sum(float(q["time"]) for q in queries) * 1000
    print(f"\n{title}: {len(queries)} queries, {total:.1f} ms in the database")
    for q in queries:
        print(f"  {float(q['time']) * 1000:6.2f} ms  {q['sql'][:220]}")


def main() -> None:
    os.environ.update(bench_env())
    recreate_database()
    try:
        manage(os.environ.copy(), "migrate", "--noinput", "-v0")
        manage(os.environ.copy(), "load_regions", "--towns", "22")
        manage(
            os.environ.copy(),
            "seed_demo",
            "--password",
            PASSWORD,
            "--enterprises",
            str(ENTERPRISES),
            "--days",
            "0",
        )
        profile()
    finally:
        from django.db import connections

        connections.close_all()
        recreate_database(drop_only=True)


def profile() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from fugong.demo.history import DAILY_TITLE
    from fugong.dispatch.models import Plan
    from fugong.dispatch.plans.selection import plan_enterprises

    day = timezone.localdate()
    usccs = list(plan_enterprises(Plan.objects.get(title=DAILY_TITLE), day).values_list("uscc", flat=True))
    client = Client(SERVER_NAME="127.0.0.1")
    login = {"username": "demo-province", "password": PASSWORD}
    token = client.post("/api/v1/auth/token", login, content_type="application/json").json()["token"]
    client = Client(SERVER_NAME="127.0.0.1", headers={"authorization": f"Bearer {token}"})

    def submit(n: int) -> int:
        data = body(usccs[n % len(usccs)], day.isoformat(), n)
        return client.post("/api/v1/reports", data, content_type="application/json").status_code

    client.get("/api/v1/regions/220000")  # first request: imports, URL resolver, connection
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/regions/220000")
    show_queries("GET /api/v1/regions/220000", ctx.captured_queries)
    submit(0)
    with CaptureQueriesContext(connection) as ctx:
        assert submit(1) == 201
    show_queries("POST /api/v1/reports (new report)", ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        assert submit(1 + len(usccs)) == 200
    show_queries("POST /api/v1/reports (revision)", ctx.captured_queries)

    for path, label in [("/api/v1/regions/220000", "GET region"), (None, "POST report")]:
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(ROUNDS):
            client.get(path) if path else submit(3 * len(usccs) + n)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"\n{label}: {wall / ROUNDS * 1000:.2f} ms per request, {cpu / ROUNDS * 1000:.2f} ms of it CPU in Python"
        )
        started = time.perf_counter()
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(ROUNDS):
            client.get(path) if path else submit(2 * len(usccs) + n)
        profiler.disable()
        elapsed = (time.perf_counter() - started) / ROUNDS * 1000
        print(f"{label}: {elapsed:.2f} ms per request under cProfile (which inflates it)")
        if os.environ.get("BENCH_PROFILE_DUMP"):  # a directory: keep the raw profile for pstats/snakeviz
            profiler.dump_stats(
                os.path.join(os.environ["BENCH_PROFILE_DUMP"], f"{label.replace(' ', '-')}.pstats")
            )
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
