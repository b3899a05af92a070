"""The job runner: scheduled tasks on every pass, queues drained, SIGTERM ends the loop cleanly,
and the day's roll-over builds each running plan's figures."""

from __future__ import annotations

import datetime
import io
import os
import signal
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from fugong.core import jobs
from fugong.core.models import Job
from fugong.dispatch.models import RollupDay
from tests.conftest import World


@pytest.fixture
def stopping_job() -> Iterator[None]:
    """A job kind that asks the runner to stop (as systemd would) while it works."""

    def work(job: Job) -> dict[str, Any]:
        os.kill(os.getpid(), signal.SIGTERM)
        return {"finished": True}

    jobs.HANDLERS["test_stop"] = work
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    yield
    del jobs.HANDLERS["test_stop"]
    signal.signal(signal.SIGTERM, before[0])
    signal.signal(signal.SIGINT, before[1])


def test_sigterm_lets_the_job_in_hand_finish_and_leaves_the_rest_queued(
    world: World, stopping_job: None
) -> None:
    first = jobs.enqueue("test_stop", user=None, title="第一个")
    second = jobs.enqueue("test_stop", user=None, title="第二个")
    out = io.StringIO()
    call_command("run_jobs", "--interval", "0.05", stdout=out)  # the loop: returns only when stopped
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.result) == (Job.Status.DONE, {"finished": True})
    assert second.status == Job.Status.QUEUED
    assert "收到停止信号" in out.getvalue()


def test_a_failing_scheduled_task_does_not_stop_the_others(world: World, monkeypatch: Any) -> None:
    calls: list[str] = []

    def broken(now: datetime.datetime) -> int:
        raise RuntimeError("boom")

    def fine(now: datetime.datetime) -> int:
        calls.append("fine")
        return 1

    monkeypatch.setattr(jobs, "PERIODIC", {"broken": broken, "fine": fine})
    assert jobs.run_periodic(datetime.datetime(2020, 2, 17, tzinfo=datetime.UTC)) == {"broken": -1, "fine": 1}
    assert calls == ["fine"]


def test_the_roll_over_builds_the_new_days_figures_once(world: World, plan: Any) -> None:
    morning = datetime.datetime(2020, 2, 17, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    call_command("run_jobs", "--once", "--now", morning.isoformat(), stdout=io.StringIO())
    assert list(RollupDay.objects.values_list("plan_id", "date")) == [(plan.pk, datetime.date(2020, 2, 17))]
    from fugong.dispatch.figures.rollover import build_todays_rollups

    assert build_todays_rollups(morning) == 0  # already built: nothing to do


def test_a_plan_that_has_ended_is_not_rolled_over(world: World, plan: Any) -> None:
    plan.end_date = datetime.date(2020, 2, 10)
    plan.save()
    from fugong.dispatch.figures.rollover import build_todays_rollups

    assert build_todays_rollups(datetime.datetime(2020, 2, 17, 1, tzinfo=ZoneInfo("Asia/Shanghai"))) == 0
    assert not RollupDay.objects.exists()


def test_a_bad_now_is_refused_in_chinese(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不是有效时刻"):
        call_command("run_jobs", "--once", "--now", "明天下午")
