"""The load generator: wrk (C, one epoll thread) driven by the Lua scripts in bench/lua/.

On 2 cores the client competes with the server for CPU. Measured here against the baseline
endpoint, wrk used about 0.05 ms of CPU per request and a threaded http.client client about
0.23 ms: both small beside the server's ~4 ms, but wrk leaves more to the server and its
latencies are not stretched by a GIL on the client side. Latencies are per request from wrk's
histogram, in a closed loop: each of N connections sends its next request when the previous
answer arrives, as N busy clerks would.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)  # "50", "99", "max", ...
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0
    error_bodies: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0  # the load generator's own user + system time

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def errors(self, expected: set[int]) -> int:
        unexpected = sum(n for status, n in self.statuses.items() if status not in expected)
        return unexpected + self.socket_errors

    def describe(self) -> str:
        p50, p99 = self.latency_ms.get("50", 0), self.latency_ms.get("99", 0)
        return f"{self.per_second:6.0f} req/s  p50 {p50:5.1f} ms  p99 {p99:6.1f} ms"


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package first on a fresh machine (needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        raise RuntimeError("wrk is missing: install it (Debian/Ubuntu: apt-get install -y wrk) and rerun")
    print("  (installing wrk with apt-get)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "check": True, "stdout": subprocess.DEVNULL}
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, capture_output=True).returncode:
        subprocess.run(["apt-get", "update", "-q"], **quiet)  # type: ignore[call-overload]
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], **quiet)  # type: ignore[call-overload]
    return shutil.which("wrk") or "wrk"


def parse(output: str) -> LoadResult:
    result = LoadResult()
    for line in output.splitlines():
        if not line.startswith("result "):
            continue
        _, key, *rest = line.split(" ", 3)
        if key == "requests":
            result.requests = int(rest[0])
        elif key == "duration_us":
            result.seconds = int(rest[0]) / 1e6
        elif key == "socket_errors":
            result.socket_errors = int(rest[0])
        elif key == "latency_us":
            result.latency_ms[rest[0]] = int(rest[1]) / 1000
        elif key == "status":
            status, count = int(rest[0]), int(rest[1])
            result.statuses[status] = result.statuses.get(status, 0) + count
        elif key == "error":
            result.error_bodies.append(" ".join(rest))
    return result


def run(
    url: str,
    script: str,
    *,
    clients: int,
    seconds: float,
    headers: dict[str, str],
    args: tuple[str, ...] = (),
    threads: int = 1,
) -> LoadResult:
    """Runs wrk with bench/lua/<script> against url (a full URL, path included)."""
    command = [ensure_wrk(), "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s"]
    command += ["--timeout", "30s", "-s", script]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += [url, "--", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=LUA_DIR, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or "result requests" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = parse(done.stdout)
    result.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result
