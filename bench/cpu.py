"""Where the machine's cores went during a run: the app server, PostgreSQL, the load generator, others.

On 2 shared cores a throughput figure means little without this: it shows whether the app was
CPU-bound, whether the load generator stole cores from it, and how busy the neighbours were.
Read from /proc (Linux only); elsewhere the breakdown is simply left out.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after its closing one.
    return [text[: text.index("(")].strip(), *text[text.rindex(")") + 2 :].split()]


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def process_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[12]) + int(fields[13])) / TICK  # utime, stime (stat fields 14 and 15)


def family(root: int) -> list[int]:
    """The process and its children (gunicorn's master and its workers)."""
    found = [root]
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is not None and int(fields[2]) == root:  # ppid (stat field 4)
            found.append(pid)
    return found


def named(command: str) -> list[int]:
    pids = []
    for pid in _all_pids():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == command:
                pids.append(pid)
        except OSError:
            continue
    return pids


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle (iowait counts as idle) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


@dataclass
class CpuShare:
    """Average cores used over the run, by group; `other` is everything else on the machine."""

    app: float
    postgres: float
    loadgen: float
    other: float
    cores: int

    def describe(self, per_second: float) -> str:
        """CPU per request (steadier than throughput on a noisy machine) and where the cores went."""
        busy = self.app + self.postgres + self.loadgen + self.other
        app_ms, pg_ms = (1000 * x / per_second if per_second else 0.0 for x in (self.app, self.postgres))
        ceiling = self.cores * 1000 / (app_ms + pg_ms) if app_ms + pg_ms else 0.0
        return (
            f"CPU per request: gunicorn {app_ms:.1f} ms + postgres {pg_ms:.1f} ms"
            f" (all {self.cores} cores would serve ≈{ceiling:.0f}/s)\n"
            f"cores busy {busy:.2f} of {self.cores}: gunicorn {self.app:.2f}, postgres {self.postgres:.2f},"
            f" load generator {self.loadgen:.2f}, other processes {self.other:.2f}"
        )


class CpuMeter:
    """Snapshot before and after a run; the load generator's CPU is measured by the caller."""

    def __init__(self, server_pid: int) -> None:
        self.available = Path("/proc/stat").exists()
        self.server_pid = server_pid

    def _snapshot(self) -> tuple[float, float, float, float]:
        app = sum(process_seconds(p) for p in family(self.server_pid))
        postgres = sum(process_seconds(p) for p in named("postgres"))
        return time.monotonic(), machine_busy_seconds(), app, postgres

    def start(self) -> None:
        if self.available:
            self.before = self._snapshot()

    def stop(self, loadgen_seconds: float) -> CpuShare | None:
        if not self.available:
            return None
        after = self._snapshot()
        wall, busy, app, postgres = (a - b for a, b in zip(after, self.before, strict=True))
        other = max(0.0, busy - app - postgres - loadgen_seconds)
        return CpuShare(
            app / wall, postgres / wall, loadgen_seconds / wall, other / wall, os.cpu_count() or 1
        )
