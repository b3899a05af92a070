"""A bounded fuzz run of the whole API (schemathesis), as a dispatcher and as a reporter.

Every operation of the OpenAPI description gets a few generated requests, valid and invalid,
with path parameters both random and pointing at real objects. Whatever comes in, the answer
is never a server error, its status is one the description lists, it has the documented shape,
and a request the description calls valid is never refused by the request parser.

Deterministic (derandomized, no example database); `make fuzz` runs the same with more
examples (FUGONG_FUZZ_EXAMPLES).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.specs.openapi import checks

from fugong.accounts.actions import do_create_token
from fugong.api import api
from fugong.core.models import Channel
from fugong.dispatch.reports.submit import check_submit_report
from fugong.lists.models import KeyList
from fugong.problems.actions import check_create_problem
from tests.conftest import World

EXAMPLES = int(os.environ.get("FUGONG_FUZZ_EXAMPLES", "3"))
SCHEMA = schemathesis.openapi.from_dict(api.get_openapi_schema())
SCHEMA.app = get_wsgi_application()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]  # an Err fails here, loudly
PARSER_CODES = {"invalid_request"}  # the parser's refusal; the actions' rules answer with their own codes


def parser_accepts_what_the_schema_calls_valid(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """"Valid request rejected", precisely: data generated from the description may break a
    business rule the description cannot express (an unknown region, 上岗 > 报到), which the
    action refuses with its own code; it must never be refused by the parser."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code in (400, 422):
        code = (response.json() or {}).get("code")
        assert code not in PARSER_CODES, f"the parser refused a request the schema allows: {response.text}"
    return None


CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    parser_accepts_what_the_schema_calls_valid,
]


@pytest.fixture
def wsgi_requests() -> Iterator[None]:
    """Requests through the WSGI app share the test's transaction, as the test client's do."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def real_objects(world: World, plan: Any) -> dict[str, Any]:
    """One of everything a path can name, in the reporter's enterprise (so both personas reach it)."""
    reporter, enterprise = world.user("reporter"), world.enterprise("nanguan")
    today = datetime.date.today()
    report = check_submit_report(
        reporter,
        enterprise,
        today,
        {"resumed": True, "baseline_headcount": 480, "reported_back": 300, "isolated": 10, "on_duty": 280, "capacity_pct": 55},
        channel=Channel.WEB,
    ).report
    problem = check_create_problem(
        reporter,
        enterprise,
        {"category": "用工难", "title": "缺少熟练焊工", "description": "焊接车间缺20人"},
    )
    token, _ = do_create_token(reporter, "模糊测试", channel=Channel.API)
    key_list = KeyList.objects.create(title="模糊测试清单", region_id="220000", tier="province", approval_levels=["city", "province"])
    return {
        "code": "220102",
        "uscc": enterprise.uscc,
        "plan_id": plan.pk,
        "report_id": report.pk,
        "problem_id": problem.pk,
        "token_id": token.pk,
        "list_id": key_list.pk,
    }


def global_settings_hashers() -> list[str]:
    from django.conf import settings as django_settings

    return list(django_settings.PASSWORD_HASHERS)


def fuzz(operation: Any, personas: list[dict[str, str]], mode: GenerationMode, path: dict[str, Any] | None) -> None:
    params = {p.name: path[p.name] for p in operation.path_parameters} if path else None
    strategy = operation.as_strategy(mode, path_parameters=params) if params else operation.as_strategy(mode)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        for headers in personas:  # the same request as each persona: generating is the slow part
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

    run()


# Sign-in attempts hash a password each: the fast hasher first (stored hashes still verify).
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher", *global_settings_hashers()])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_request_gets_a_server_error_or_an_undocumented_answer(
    world: World, plan: Any, wsgi_requests: None, operation: Any, mode: GenerationMode
) -> None:
    personas = []
    for persona in ("province", "reporter"):  # a dispatcher and an enterprise's reporter
        _, raw = do_create_token(world.user(persona), "模糊测试", channel=Channel.API)
        personas.append({"Authorization": f"Bearer {raw}"})
    # valid requests at real objects (to reach the actions); invalid ones at random paths too
    real = real_objects(world, plan) if operation.path_parameters and mode.is_positive else None
    fuzz(operation, personas, mode, real)
