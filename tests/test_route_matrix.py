"""The persona × route matrix: every route of the project, for every persona, with objects inside
and outside the persona's scope (after NetBox's generic per-model view tests).

The rules, for each request (the route registry is tests/support/routes.py, the objects
tests/support/world.py):
- never a server error;
- anonymous callers are sent to the login page (pages) or get 401 (API), except on public routes;
- a route naming an object outside the caller's scope answers 404 — never 403, never its data;
- a write on an object the caller may see but not change answers 403;
- no response shows an object the caller may not see (its name, USCC or title), whatever the route.
A method a route does not serve may answer 405 first: that says nothing about any object.
All failures are listed at once, as (route, persona, side, status, rule).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client

from fugong.core.access import Action
from tests.conftest import PERSONAS, World
from tests.support import routes as registry
from tests.support.routes import PATH_KINDS, ROUTES, Entry, Route, project_routes
from tests.support.world import Side, allows_anywhere, build_sides, sees

PERSONA_NAMES: list[str | None] = [*PERSONAS, None]  # None: anonymous
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def test_every_route_has_an_entry_in_the_matrix_registry() -> None:
    routes = project_routes()
    assert registry.unregistered(routes) == [], "add these routes to tests/support/routes.py ROUTES"
    assert registry.stale(routes) == [], "these registry entries name routes that no longer exist"


def test_the_route_list_reads_the_api_operations_with_their_methods() -> None:
    keys = {r.key for r in project_routes()}
    assert {"GET api/v1/enterprises/<uscc>", "PATCH api/v1/enterprises/<uscc>", "POST api/v1/reports"} <= keys
    assert {"enterprises/<str:uscc>/edit/", "dispatch/plans/<int:plan_id>/unlock/"} <= keys


@dataclass(frozen=True)
class Call:
    route: Route
    entry: Entry
    side: Side | None
    path: str
    query: dict[str, str]
    body: dict[str, Any] | None

    @property
    def kinds(self) -> list[str]:
        """The object kinds the call names that decide its scope (filters only narrow a list)."""
        kinds = [PATH_KINDS[p] for p in self.route.params]
        kinds += list(self.entry.query.values())
        kinds += list(registry.BODY_KINDS.get(self.route.key, ()))
        return kinds if self.side is not None else []

    def sent(self) -> str:
        return self.path + json.dumps(self.query, ensure_ascii=False) + json.dumps(self.body, ensure_ascii=False)


def fill(pattern: str, side: Side | None) -> str:
    """The pattern with its path parameters replaced by the side's objects."""
    if side is None:
        return pattern
    return PARAM.sub(lambda m: side.value(PATH_KINDS[m.group(1)]), pattern)


def calls(route: Route, entry: Entry, sides: list[Side]) -> Iterator[Call]:
    """The route without objects (where it can go without), then once with each side's objects."""
    needs_side = bool(route.params) or (entry.body is not None and route.key in registry.BODY_KINDS)
    variants: list[Side | None] = []
    if not needs_side:
        variants.append(None)
    if needs_side or entry.query or entry.filters:
        variants += sides
    for side in variants:
        path = "/" + fill(route.pattern, side)
        query = {}
        if side is not None:
            query = {name: side.value(kind) for name, kind in {**entry.query, **entry.filters}.items()}
        body = None
        if route.is_api and route.is_write and entry.body is not None:
            body = entry.body(side or sides[0])
        yield Call(route, entry, side, path, query, body)


def send(client: Client, call: Call) -> HttpResponseBase:
    method = call.route.method.lower()
    if call.route.is_api:
        if call.route.is_write:
            url = call.path + ("?" + "&".join(f"{k}={v}" for k, v in call.query.items()) if call.query else "")
            return getattr(client, method)(url, json.dumps(call.body or {}), content_type="application/json")
        return client.get(call.path, call.query)
    if method == "post":
        url = call.path + ("?" + "&".join(f"{k}={v}" for k, v in call.query.items()) if call.query else "")
        return client.post(url, {})
    return client.get(call.path, call.query)


def readable(response: HttpResponseBase) -> str:
    """The response as text; an .xlsx or .docx is unzipped so its cells and paragraphs are read too."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    if hasattr(response, "file_to_stream") and response.file_to_stream is not None:  # type: ignore[attr-defined]
        response.close()
    if raw[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return raw.decode("utf-8", "replace")


class Oracle:
    """The access layer's answers, asked once per (persona, object, actions)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[Any, ...], bool] = {}

    def sees(self, user: Any, kind: str, side: Side, actions: tuple[str, ...] = (Action.VIEW,)) -> bool:
        key = (getattr(user, "pk", None), kind, side.label, actions)
        if key not in self.cache:
            self.cache[key] = sees(user, kind, side.obj(kind), actions)
        return self.cache[key]


def verdict(call: Call, user: Any, status: int, response: HttpResponseBase, oracle: Oracle) -> str | None:
    """What is wrong with this answer, or None."""
    if status >= 500:
        return "server error"
    if status == 405:
        return None
    entry, route = call.entry, call.route
    if user is None:
        if entry.public:
            return None
        if route.is_api:
            return None if status == 401 else "anonymous: expected 401"
        login = resolve_url(settings.LOGIN_URL)
        if status == 302 and response["Location"].startswith(login):
            return None
        return "anonymous: expected a redirect to the login page"
    side = call.side
    if side is not None:
        out = [k for k in call.kinds if not oracle.sees(user, k, side)]
        if out:
            return None if status == 404 else f"out of scope ({'、'.join(out)}): expected 404"
    writes = route.is_write or (entry.form and route.method == "GET")
    if writes and not entry.own:
        if side is not None and call.kinds:
            allowed = all(oracle.sees(user, k, side, entry.action) for k in call.kinds)
        else:
            allowed = allows_anywhere(user, entry.action)
        if not allowed and status != 403:
            return "visible but read-only: expected 403"
    return None


def leaks(call: Call, user: Any, text: str, sides: list[Side], oracle: Oracle) -> list[str]:
    """Texts of objects the caller may not see that the answer shows (the caller's own words aside)."""
    shown = []
    sent = call.sent()
    for side in sides:
        for kind, secrets in side.secrets().items():
            if oracle.sees(user, kind, side):
                continue
            for secret in secrets:
                escaped = json.dumps(secret)[1:-1]
                if secret not in sent and (secret in text or escaped in text):
                    shown.append(f"{side.label}的{kind}“{secret}”")
    return shown


def test_every_route_answers_every_persona_within_its_scope(world: World) -> None:
    sides = build_sides(world)
    oracle = Oracle()
    failures: list[str] = []
    routes = [r for r in project_routes() if not r.is_admin]
    for name in PERSONA_NAMES:
        user = world.user(name) if name else None
        client = world.client(name)
        for route in routes:
            entry = ROUTES[route.key]
            for call in calls(route, entry, sides):
                c = world.client(name) if entry.fresh_client else client
                response = send(c, call)
                status = response.status_code
                where = f"{route.method} {call.path}{'?' + str(call.query) if call.query else ''}"
                side = call.side.label if call.side else "-"
                wrong = verdict(call, user, status, response, oracle)
                if wrong:
                    failures.append(f"({where}, {name or 'anonymous'}, {side}, {status}): {wrong}")
                if user is not None:
                    shown = leaks(call, user, readable(response), sides, oracle)
                    if shown:
                        failures.append(
                            f"({where}, {name}, {side}, {status}): shows {'、'.join(shown)}"
                        )
    assert not failures, f"{len(failures)} failing (route, persona, side, status):\n" + "\n".join(failures)
