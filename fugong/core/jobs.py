"""Background jobs: enqueue, claim one, run it, record the outcome (after healthchecks' sendalerts).

Handlers register by kind with `@handler("kind")` in their app's jobs.py (imported when the
app is ready). `run_one()` claims at most one due job and returns whether there was one, so
`run_jobs --once` simply calls it until it returns False.

Beside queued jobs there is scheduled work (reminders at plan times, SLA warnings, the day's
roll-over, purges): each app registers `@periodic("name")` functions of the current moment,
which `run_jobs` calls on every tick. Each must be safe to call often and from several runners
at once (they claim what they do, see notify.models.Claim), and cheap when nothing is due.
Likewise `@drain("name")` functions send one item of a queue (the notification outbox) and
say whether there was one, like `run_one`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from fugong.core.errors import DomainError
from fugong.core.models import Job

log = logging.getLogger(__name__)
Handler = Callable[[Job], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
Periodic = Callable[[datetime], int]
PERIODIC: dict[str, Periodic] = {}
Drain = Callable[[datetime | None], bool]
DRAINS: dict[str, Drain] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        return func

    return register


def periodic(name: str) -> Callable[[Periodic], Periodic]:
    def register(func: Periodic) -> Periodic:
        PERIODIC[name] = func
        return func

    return register


def drain(name: str) -> Callable[[Drain], Drain]:
    def register(func: Drain) -> Drain:
        DRAINS[name] = func
        return func

    return register


def run_periodic(now: datetime) -> dict[str, int]:
    """Calls every scheduled task once; one that fails is logged and the others still run."""
    done = {}
    for name, func in PERIODIC.items():
        try:
            done[name] = func(now)
        except Exception:
            log.exception("scheduled task %s failed", name)
            done[name] = -1
    return done


def drain_one(now: datetime | None) -> bool:
    """One item of any queue (a queued job first); False when every queue is empty for now."""
    if run_one(now):
        return True
    for name, func in DRAINS.items():
        try:
            if func(now):
                return True
        except Exception:
            log.exception("queue %s failed", name)
    return False


def enqueue(
    kind: str, *, user: Any, title: str = "", payload: dict[str, Any] | None = None, data: bytes | None = None
) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    return Job.objects.create(
        kind=kind,
        title=title[:200],
        created_by=user if getattr(user, "pk", None) else None,
        payload=payload or {},
        data=data,
    )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


STALE_AFTER = timedelta(minutes=30)


def fail_stale_jobs(now: datetime) -> int:
    """Jobs left running by a worker that died (killed, out of memory) are failed, not kept forever."""
    return Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=now - STALE_AFTER).update(
        status=Job.Status.FAILED,
        finished_at=now,
        data=None,
        error="处理中断（后台进程意外退出），请重新上传；如反复出现，请把文件拆小或联系管理员",
    )


def claim_next(now: datetime | None = None) -> Job | None:
    """Marks the oldest due queued job as running and returns it; None when there is none."""
    now = now or timezone.now()
    due = Job.objects.filter(status=Job.Status.QUEUED, run_after__lte=now).order_by("run_after", "id")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            job = due.select_for_update(skip_locked=True).first()
            if job is None:
                return None
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.RUNNING, started_at=timezone.now(), worker=worker_name()
            )
    else:
        for job_id in due.values_list("pk", flat=True)[:50]:
            claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
                status=Job.Status.RUNNING, started_at=timezone.now(), worker=worker_name()
            )
            if claimed:
                break
        else:
            return None
        job = Job.objects.get(pk=job_id)
    job.refresh_from_db()
    return job


def set_progress(job: Job, done: int, total: int) -> None:
    """Written where the job's page can see it at once: a long import runs in one transaction,
    so on PostgreSQL its progress goes through a connection of its own (SQLite has one writer:
    there the page sees the progress when the work commits)."""
    if not (connection.in_atomic_block and connection.vendor == "postgresql"):
        Job.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total)
        return
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {side.ops.quote_name(Job._meta.db_table)} SET progress_done = %s, progress_total = %s WHERE id = %s",
                [done, total, job.pk],
            )
            seen = cursor.rowcount
    finally:
        side.close()
    if not seen:  # the job row is not committed yet (it was made in this transaction): write it here
        Job.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total)


def run_one(now: datetime | None = None) -> bool:
    job = claim_next(now)
    if job is None:
        return False
    execute(job)
    return True


def run_now(job: Job) -> None:
    """Runs a queued job in the caller's process (a small upload, answered in the same request);
    does nothing if a worker has claimed it first."""
    claimed = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), worker=worker_name()
    )
    if claimed:
        job.refresh_from_db()
        execute(job)


def attach_file(job: Job, content: bytes, filename: str) -> None:
    Job.objects.filter(pk=job.pk).update(result_file=content, result_filename=filename[:200])


def execute(job: Job) -> None:
    outcome: dict[str, Any] = {"status": Job.Status.DONE, "error": ""}
    try:
        outcome["result"] = HANDLERS[job.kind](job)
    except DomainError as exc:
        outcome.update(status=Job.Status.FAILED, error=exc.message, result=exc.details)
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        outcome.update(
            status=Job.Status.FAILED, error="处理时发生内部错误，已记录日志；请稍后重试或联系管理员"
        )
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now(), data=None, **outcome)
