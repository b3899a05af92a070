"""The work-order API as a script or another system uses it."""

from __future__ import annotations

import json
from typing import Any

from fugong.accounts.models import Department
from fugong.problems.models import Problem
from tests.conftest import World


def post(world: World, persona: str, url: str, body: dict[str, Any]) -> Any:
    return world.client(persona).post(url, json.dumps(body), content_type="application/json")


def raise_one(world: World) -> dict[str, Any]:
    response = post(
        world,
        "reporter",
        "/api/v1/problems",
        {
            "enterprise": world.enterprise("nanguan").uscc,
            "category": "用工难",
            "title": "缺少熟练焊工",
            "description": "复工后焊接车间缺20人",
        },
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_intake_then_dispatch_and_the_history_in_the_answer(world: World) -> None:
    problem = raise_one(world)
    assert problem["status"] == "pending" and problem["due_at"] and problem["allowed"] == []
    department = Department.objects.get(name="长春市商务局")
    response = post(
        world,
        "changchun",
        f"/api/v1/problems/{problem['id']}/transitions",
        {"action": "dispatch", "department": department.pk},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "dispatched" and body["lead_department"] == "长春市商务局"
    assert [e["action"] for e in body["events"]] == ["create", "dispatch"] and body["sign_due_at"]


def test_an_illegal_action_is_409_with_the_allowed_ones(world: World) -> None:
    problem = raise_one(world)
    response = post(world, "changchun", f"/api/v1/problems/{problem['id']}/transitions", {"action": "sign"})
    assert response.status_code == 409
    assert response.json()["details"]["allowed"] == ["dispatch", "escalate", "supervise", "urge", "merge"]


def test_lists_follow_the_callers_scope(world: World) -> None:
    raise_one(world)
    assert world.client("changchun").get("/api/v1/problems").json()["count"] == 1
    assert world.client("jilin").get("/api/v1/problems").json()["count"] == 0
    assert world.client("handler").get("/api/v1/problems").json()["count"] == 0  # nothing dispatched yet
    problem_id = Problem.objects.get().pk
    assert world.client("jilin").get(f"/api/v1/problems/{problem_id}").status_code == 404


def test_open_work_orders_feed_the_dashboard_and_todays_brief(world: World, plan: Any) -> None:
    import datetime

    from django.utils import timezone

    from fugong.briefing import brief
    from fugong.briefing.dashboard import dashboard_data
    from fugong.regions.models import Region

    raise_one(world)
    province, leader = Region.objects.get(code="220000"), world.user("leader")
    data = dashboard_data(plan, datetime.date(2020, 2, 17), province, leader)
    assert data["work_orders"] == [{"name": "用工难", "open": 1, "urgent": 0, "overdue": 0}]
    text = brief.build(plan, timezone.localdate(), province, leader).text()
    assert "目前在办诉求1件，其中超时0件；主要类别为用工难1件" in text
    past = brief.build(plan, datetime.date(2020, 2, 17), province, leader).text()
    assert "在办诉求" not in past  # a past day's brief does not mix in today's work orders
