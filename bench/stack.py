"""The real stack a benchmark runs against: a fresh PostgreSQL database and gunicorn in front of it.

A throw-away database (dropped first if a crashed run left it, dropped again at the end, even on
error) keeps runs comparable and never touches anyone's data. Every management command and the
server get the same environment, so what is measured is what production would run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

PROJECT = Path(__file__).resolve().parent.parent
PG_SERVER_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "fugong_bench")
SEED_PASSWORD = "bench-pass-123"  # every demo user's, in seeded_database


@dataclass(frozen=True)
class ServerSettings:
    # Four sync workers (two per core: one computes while another waits on PostgreSQL). gthread
    # pins each keep-alive connection to the worker that accepted it, and wrk's 64 connections,
    # opened in one burst, often all land on one worker: one core then idles (bench/README.md).
    workers: int = 4
    threads: int = 1
    worker_class: str = "sync"
    timeout: int = 30  # gunicorn's default; a worker silent for longer is killed and restarted

    def describe(self) -> str:
        # gunicorn itself switches sync workers to gthread when given more than one thread.
        kind = "gthread" if self.worker_class == "sync" and self.threads > 1 else self.worker_class
        if kind == "sync":
            return f"gunicorn {self.workers} sync workers"
        return f"gunicorn {self.workers} workers × {self.threads} threads {kind}"


@dataclass(frozen=True)
class Stack:
    url: str  # e.g. http://127.0.0.1:40123, no trailing slash
    env: dict[str, str]
    server_pid: int

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG_SERVER_URL}/{DB_NAME}",
        ALLOWED_HOSTS="127.0.0.1",
        CONN_MAX_AGE="600",
        LOG_LEVEL="ERROR",
        DEBUG="0",  # DEBUG keeps every query in memory and would distort the figures
        TIME_ZONE="Asia/Shanghai",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Runs `manage.py args` and returns its output; a failure stops the benchmark with its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def recreate_database(drop_only: bool = False) -> None:
    with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


@contextlib.contextmanager
def seeded_database(env: dict[str, str], enterprises: int, days: int) -> Iterator[None]:
    """A fresh bench database with the regions (towns of Jilin too) and the demo province seeded
    with that many enterprises and days of report history; dropped afterwards, even on error."""
    recreate_database()
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_regions", "--towns", "22")
        manage(
            env,
            "seed_demo",
            "--password",
            SEED_PASSWORD,
            "--enterprises",
            str(enterprises),
            "--days",
            str(days),
        )
        yield
    finally:
        recreate_database(drop_only=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_answering(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Any HTTP answer (an unauthenticated request gets 401) means the workers are serving."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{url}/api/v1/regions/220000", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], settings: ServerSettings) -> Iterator[Stack]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fugong-bench-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(settings.workers),
            "--threads", str(settings.threads),
            "--worker-class", settings.worker_class,
            "--timeout", str(settings.timeout),
        ]  # fmt: skip
        with log.open("wb") as out:
            server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_answering(url, server, log)
            yield Stack(url=url, env=env, server_pid=server.pid)
        finally:
            server.terminate()  # SIGTERM: gunicorn stops its workers gracefully
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextlib.contextmanager
def bench_stack(settings: ServerSettings, seed_args: list[str]) -> Iterator[Stack]:
    """A migrated, seeded bench database with gunicorn serving it; both are gone afterwards."""
    env = bench_env()
    recreate_database()
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_regions", "--towns", "22")
        manage(env, "seed_demo", *seed_args)
        with gunicorn(env, settings) as stack:
            yield stack
    finally:
        recreate_database(drop_only=True)
