"""`python -m bench`: runs each benchmark in turn; each prints a short block of results.

Later issues add their modules to BENCHMARKS; the options are shared so that a slow machine can
shorten every run (`python -m bench --seconds 5`) or a server setting can be tried without editing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bench import onboarding, reminders, report_import, stats, submission
from bench.stack import ServerSettings

BENCHMARKS: list[tuple[str, Callable[[argparse.Namespace], None]]] = [
    ("submission", submission.main),
    ("stats", stats.main),
    ("import", report_import.main),
    ("onboarding", onboarding.main),
    ("reminders", reminders.main),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = ServerSettings()
    parser = argparse.ArgumentParser(prog="python -m bench", description="复工通 benchmarks (make bench)")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=defaults.threads, help="threads per gunicorn worker")
    parser.add_argument(
        "--worker-class", default=defaults.worker_class, help="gunicorn worker class (gthread, sync)"
    )
    parser.add_argument("--clients", type=int, default=64, help="concurrent keep-alive clients")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each measured run")
    parser.add_argument("--only", choices=[name for name, _ in BENCHMARKS], help="run one benchmark")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name, run in BENCHMARKS:
        if args.only in (None, name):
            run(args)
            print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
