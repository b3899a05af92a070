"""The persona × route matrix: every route of the project, for every persona, with objects inside
and outside the persona's scope (after NetBox's generic per-model view tests).

The rules, for each request (the route registry is tests/support/routes.py, the objects
tests/support/world.py):
- never a server error;
- anonymous callers are sent to the login page (pages) or get 401 (API), except on public routes;
- a route naming an object outside the caller's scope answers 404 — never 403, never its data;
- a write on an object the caller may see but not change answers 403;
- no response shows an object the caller may not see (its name, USCC or title), whatever the route.
A method a route does not serve may answer 405 first: that says nothing about any object. An
object named in the query, form or body (not the path) may instead get the very answer a
nonexistent one gets (the figures pages fall back to the user's defaults and say so).
All failures are listed at once, as (route, persona, side, status, rule).

The same run checks each answer against tests/support/route_expectations.txt, the table of what
every persona gets on every route (tests/support/route_table.py): the rules above say why, the
table says what, so that a change of access that the rules would follow shows up as its diff.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client

from fugong.core.access import Action
from tests.conftest import PERSONAS, World
from tests.support import route_table
from tests.support import routes as registry
from tests.support.routes import PATH_KINDS, ROUTES, Entry, Route, project_routes
from tests.support.world import Ghost, Side, allows_anywhere, build_sides, sees

PERSONA_NAMES: list[str | None] = [*PERSONAS, None]  # None: anonymous
COLUMNS = [n or "anonymous" for n in PERSONA_NAMES]
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def test_every_route_has_an_entry_in_the_matrix_registry() -> None:
    routes = project_routes()
    assert registry.unregistered(routes) == [], "add these routes to tests/support/routes.py ROUTES"
    assert registry.stale(routes) == [], "these registry entries name routes that no longer exist"


def test_the_route_list_reads_the_api_operations_with_their_methods() -> None:
    keys = {r.key for r in project_routes()}
    assert {"GET api/v1/enterprises/<uscc>", "PATCH api/v1/enterprises/<uscc>", "POST api/v1/reports"} <= keys
    assert {"enterprises/<str:uscc>/edit/", "dispatch/plans/<int:plan_id>/unlock/"} <= keys


def test_every_api_operation_of_the_openapi_schema_is_a_route_of_the_matrix() -> None:
    # the resolver walk and the API's own description must agree, so no operation hides from it
    from tests.support.api_operations import operations

    keys = {r.key for r in project_routes()}
    braces = re.compile(r"\{(\w+)\}")
    described = {op.method.upper() + " " + braces.sub(r"<\1>", op.path.lstrip("/")) for op in operations()}
    assert described, "the OpenAPI schema lists no operation"
    assert sorted(described - keys) == [], "operations of the OpenAPI schema missing from project_routes()"
    assert sorted(described - set(ROUTES)) == [], "add these operations to tests/support/routes.py ROUTES"


def test_a_route_added_without_a_row_is_reported_by_name(settings: Any) -> None:
    import types

    from django.http import HttpResponse
    from django.urls import include, path

    def view(request: Any, plan_id: int) -> HttpResponse:
        return HttpResponse("")

    urlconf = types.ModuleType("throwaway_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("", include(django_settings.ROOT_URLCONF)),
        path("throwaway/<int:plan_id>/", view),
    ]
    settings.ROOT_URLCONF = urlconf  # the resolver cache is cleared on the change and after
    routes = project_routes()
    assert registry.unregistered(routes) == ["throwaway/<int:plan_id>/"]
    assert registry.stale(routes) == []
    _, rows = route_table.read()
    assert sorted(set(table_shapes(routes)) - set(rows)) == ["GET /throwaway/<int:plan_id>/"]


def asked(route: Route, entry: Entry) -> bool:
    """Whether the matrix asks this route (the admin: below; a page that only reads answers a
    POST like a GET, so it is asked by GET alone)."""
    return not (route.is_admin or (not route.is_api and route.method == "POST" and not entry.writes))


def row_key(route: Route) -> str:
    return f"{route.method} /{route.pattern}"


def variants(route: Route, entry: Entry) -> tuple[bool, bool]:
    """Whether the matrix asks the route without objects, and with each side's objects."""
    needs_side = bool(route.params) or bool(entry.body_kinds) or bool(entry.data and route.method == "POST")
    return not needs_side, needs_side or bool(entry.query or entry.filters or entry.body_kinds)


def table_shapes(routes: list[Route]) -> dict[str, str]:
    """The rows the expectations table must have, each with the shape of its cells."""
    shapes = {}
    for route in routes:
        entry = ROUTES.get(route.key, Entry())
        if asked(route, entry):
            shapes[row_key(route)] = route_table.shape(*variants(route, entry))
    return shapes


def test_the_expectations_table_has_a_row_for_every_route_and_a_cell_for_every_persona() -> None:
    columns, rows = route_table.read()
    shapes = table_shapes(project_routes())
    assert columns == COLUMNS, f"the columns of {route_table.TABLE.name} must be the personas"
    missing, gone = sorted(set(shapes) - set(rows)), sorted(set(rows) - set(shapes))
    assert (missing, gone) == ([], []), f"{route_table.TABLE.name}: routes without a row, rows without a route"
    misshapen = [
        f"({key}, {persona}): {cells.get(persona)!r}, expected the shape {shapes[key]!r}"
        for key, cells in rows.items()
        for persona in columns
        if key in shapes and route_table.shape_of(cells.get(persona, "")) != shapes[key]
    ]
    assert misshapen == [], "cells that do not say the calls the matrix makes:\n" + "\n".join(misshapen)


@dataclass(frozen=True)
class Call:
    """One request of the matrix: a route filled with one side's objects (or with none)."""

    route: Route
    entry: Entry
    side: Side | None
    path: str
    query: dict[str, str]
    data: dict[str, str]
    body: dict[str, Any] | None

    @property
    def path_kinds(self) -> list[str]:
        return [PATH_KINDS[p] for p in self.route.params] if self.side is not None else []

    @property
    def named_kinds(self) -> list[str]:
        """Kinds named outside the path (query, form, body): answered 404 or like a ghost."""
        if self.side is None:
            return []
        kinds = list(self.entry.query.values())
        if self.route.method == "POST" and not self.route.is_api:
            kinds += list(self.entry.data.values())
        if self.route.is_api and self.route.is_write:
            kinds += list(self.entry.body_kinds)
        return kinds

    @property
    def writes(self) -> bool:
        if self.side is None and self.entry.chooser:
            return False
        if self.route.is_api:
            return self.route.is_write
        return (self.entry.writes == "post" and self.route.method == "POST") or self.entry.writes == "form"

    def sent(self) -> str:
        """Everything the caller wrote in the request (their own words are not a leak)."""
        return self.path + json.dumps([self.query, self.data, self.body], ensure_ascii=False)


def fill(pattern: str, values: Side | Ghost | None) -> str:
    """The pattern with its path parameters replaced by the side's objects."""
    if values is None:
        return "/" + pattern
    return "/" + PARAM.sub(lambda m: values.value(PATH_KINDS[m.group(1)]), pattern)


def make_call(route: Route, entry: Entry, side: Side | None, values: Side | Ghost | None) -> Call:
    """The call for `side`, with its object values taken from `values` (the side, or a ghost)."""
    named = {**entry.query, **entry.filters} if values is not None else {}
    query = {name: values.value(kind) for name, kind in named.items()} if values else {}
    query = {**entry.extra_query, **query}
    data = {name: values.value(kind) for name, kind in entry.data.items()} if values else {}
    data = {**entry.extra_data, **data}
    body = entry.body(values or Ghost()) if route.is_api and route.is_write and entry.body else None
    return Call(route, entry, side, fill(route.pattern, values), query, data, body)


def calls(route: Route, entry: Entry, sides: list[Side]) -> Iterator[Call]:
    """The route without objects (where it can go without), then once with each side's objects."""
    without_objects, with_sides = variants(route, entry)
    if without_objects:
        yield make_call(route, entry, None, None)
    if with_sides:
        for side in sides:
            yield make_call(route, entry, side, side)


def send(client: Client, call: Call) -> HttpResponseBase:
    method = call.route.method.lower()
    url = call.path + ("?" + urlencode(call.query) if call.query else "")
    if call.route.is_api:
        if call.route.is_write:
            return getattr(client, method)(url, json.dumps(call.body or {}), content_type="application/json")
        return client.get(url)
    if method == "post":
        return client.post(url, call.data)
    return client.get(url)


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


def verdict(call: Call, user: Any, status: int, response: HttpResponseBase, oracle: Oracle, ghost: Any) -> str | None:
    """What is wrong with this answer, or None. `ghost()` sends the same call naming no object."""
    if status >= 500:
        return "server error"
    entry, route = call.entry, call.route
    if user is None:
        if entry.public or status == 405:
            return None
        if route.is_api:
            return None if status == 401 else "anonymous: expected 401"
        login = resolve_url(django_settings.LOGIN_URL)
        if status == 302 and response["Location"].startswith(login):
            return None
        return "anonymous: expected a redirect to the login page"
    side = call.side
    if side is not None:
        out = [k for k in call.path_kinds if not oracle.sees(user, k, side)]
        if out and status not in (404, 405):
            return f"out of scope ({'、'.join(out)}): expected 404"
        out = out or [k for k in call.named_kinds if not oracle.sees(user, k, side)]
        if out:
            if status in (404, 405):
                return None
            like = ghost()
            return None if status == like else f"out of scope ({'、'.join(out)}): expected 404 or {like} as for none"
    if call.writes and not entry.own and not entry.public and status != 405:
        kinds = call.path_kinds + call.named_kinds
        if side is not None and kinds and not entry.anywhere:
            allowed = all(oracle.sees(user, k, side, entry.action) for k in kinds)
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


def client_of(world: World, name: str | None) -> Client:
    """A client that answers a view's exception with the 500 a user would get (so that every
    failure is listed, not just the first)."""
    client = Client(raise_request_exception=False)
    if name:
        client.force_login(world.user(name))
    return client


def what_failed(response: HttpResponseBase) -> str:
    exc = getattr(response, "exc_info", None)
    return f" — {exc[0].__name__}: {str(exc[1])[:200]}" if exc else ""


@pytest.mark.parametrize("name", PERSONA_NAMES, ids=[n or "anonymous" for n in PERSONA_NAMES])
def test_every_route_answers_the_persona_within_its_scope(world: World, settings: Any, name: str | None) -> None:
    # the login routes are asked with wrong credentials, which hash a dummy password each time
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sides = build_sides(world)
    assert tuple(s.label for s in sides) == route_table.SIDES
    oracle = Oracle()
    user = world.user(name) if name else None
    login_url = resolve_url(django_settings.LOGIN_URL)
    column: dict[str, str] = {}  # this persona's cells of the expectations table
    client = client_of(world, name)
    ghosts: dict[str, int] = {}

    def ghost_status(client: Client, call: Call) -> int:
        """The answer to the same call naming nonexistent objects (the same for every side)."""
        key = call.route.key + call.route.method
        if key not in ghosts:
            ghosts[key] = send(client, make_call(call.route, call.entry, call.side, Ghost())).status_code
        return ghosts[key]

    failures: list[str] = []
    routes = project_routes()
    for route in routes:
        entry = ROUTES.get(route.key, Entry())  # unlisted: checked by default, and failed above
        if not asked(route, entry):
            continue
        answers: dict[str, str] = {}
        for call in calls(route, entry, sides):
            c = client_of(world, name) if entry.fresh_client else client
            response = send(c, call)
            status = response.status_code
            where = f"{route.method} {call.path}{'?' + urlencode(call.query) if call.query else ''}"
            side = call.side.label if call.side else route_table.NONE
            answers[side] = route_table.answer(status, response.get("Location"), login_url)
            wrong = verdict(call, user, status, response, oracle, lambda c=c, call=call: ghost_status(c, call))
            if wrong:
                failures.append(f"({where}, {name or 'anonymous'}, {side}, {status}): {wrong}{what_failed(response)}")
            shown = leaks(call, user, readable(response), sides, oracle) if user is not None else []
            if shown:
                failures.append(f"({where}, {name}, {side}, {status}): shows {'、'.join(shown)}")
        column[row_key(route)] = route_table.cell(answers)
    persona = name or "anonymous"
    if route_table.WRITE:
        route_table.write_column(persona, column, table_shapes(routes), COLUMNS)
    else:
        _, rows = route_table.read()
        failures += route_table.differences(persona, column, rows)
    assert not failures, f"{len(failures)} failing (route, persona, side, status):\n" + "\n".join(failures)


def admin_url(pattern: str, staff: Any) -> str:
    """An admin route with its parameters filled by an object of the model it edits."""
    from django.contrib.contenttypes.models import ContentType

    from fugong.enterprises.models import Enterprise

    if registry.is_admin_app_index(pattern):
        return "/admin/core/"
    if pattern == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    enterprise = Enterprise.objects.order_by("pk").first()
    model = registry.admin_family(pattern)
    manager: Any = model._default_manager if model is not None else None  # type: ignore[attr-defined]
    obj = manager.order_by("pk").first() if manager is not None else None
    values = {
        "object_id": str(obj.pk if obj is not None else 987654321),
        "id": str(staff.pk),
        "content_type_id": str(ContentType.objects.get_for_model(Enterprise).pk),
    }
    if pattern.startswith("admin/r/"):
        values["object_id"] = str(enterprise.pk if enterprise else 1)
    return "/" + PARAM.sub(lambda m: values[m.group(1)], pattern)


def admin_urls(world: World) -> tuple[Any, list[str]]:
    from fugong.accounts.models import User

    build_sides(world)  # one object of most kinds, so that change pages have something to show
    staff = User.objects.create_superuser("matrix-staff", password="matrix-staff-2020", is_staff=True)
    return staff, sorted({admin_url(r.pattern, staff) for r in project_routes() if r.is_admin})


def test_the_admin_site_sends_every_persona_to_its_own_login(world: World, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _, urls = admin_urls(world)
    failures = []
    for name in PERSONA_NAMES:  # none of them is staff: the admin's own login, whatever the page
        client = client_of(world, name)
        for url in urls:
            response = client.get(url)
            to_login = response.status_code == 302 and response["Location"].startswith("/admin/login/")
            if response.status_code >= 500:
                failures.append(f"(GET {url}, {name or 'anonymous'}, {response.status_code}): server error")
            elif not to_login and url not in ("/admin/login/", "/admin/logout/", "/admin/no-such-page/"):
                failures.append(f"(GET {url}, {name or 'anonymous'}, {response.status_code}): expected the admin login")
    assert not failures, f"{len(failures)} failing (route, persona, status):\n" + "\n".join(failures)


def test_the_admin_site_serves_its_staff_every_page_without_a_server_error(world: World, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff, urls = admin_urls(world)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    assert client.get("/admin/enterprises/enterprise/").status_code == 200  # really the staff's view
    failures = []
    for url in urls:
        if url == "/admin/logout/":
            continue
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(
                f"(GET {url}, staff, {response.status_code}): server error{what_failed(response)}"
            )
    assert not failures, f"{len(failures)} failing (route, status):\n" + "\n".join(failures)
