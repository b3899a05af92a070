"""The permission matrix: every page and endpoint of the foundation, for every persona.

404 means "not in your scope" (existence is not revealed); 403 means "you can see it but not
change it". The dispatch hierarchy matters: 公主岭市 (province-managed) and 长春高新区 (under
长春新区) are not in 长春市's subtree.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import World, uscc
from tests.support.personas import P, row

#                         province chgchun jilin leader liaison reporter handler outsider admin
PAGES = {
    "/": row(200, 200, 200, 200, 302, 302, 200, 200, 200),  # one enterprise: straight to its report page
    "/regions/220100/": row(200, 200, 404, 200, 200, 200, 200, 404, 200),
    "/regions/220200/": row(200, 404, 200, 200, 404, 404, 404, 404, 200),
    "/regions/220184/": row(200, 404, 404, 200, 404, 404, 404, 404, 200),
    "/enterprises/": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    "/enterprises/{nanguan}/": row(200, 200, 404, 200, 404, 200, 200, 404, 200),
    "/enterprises/{nanguan}/edit/": row(200, 200, 404, 403, 404, 403, 403, 404, 200),
    "/enterprises/{chaoyang}/": row(200, 200, 404, 200, 200, 404, 200, 404, 200),
    "/enterprises/{gongzhuling}/": row(200, 404, 404, 200, 404, 404, 404, 404, 200),
    "/enterprises/{gaoxin}/": row(200, 404, 404, 200, 404, 404, 404, 404, 200),
    "/enterprises/{changyi}/edit/": row(200, 404, 200, 403, 404, 404, 404, 404, 200),
    "/enterprises/new/": row(200, 200, 200, 403, 403, 403, 403, 403, 200),
    "/enterprises/import/": row(200, 200, 200, 403, 403, 403, 403, 403, 200),
    "/tokens/": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    "/password/": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
}

API_GETS = {
    "/api/v1/regions/220100": row(200, 200, 404, 200, 200, 200, 200, 404, 200),
    "/api/v1/regions/220200/children": row(200, 404, 200, 200, 404, 404, 404, 404, 200),
    "/api/v1/regions/220000/children": row(200, 200, 200, 200, 200, 200, 200, 404, 200),
    "/api/v1/enterprises/{nanguan}": row(200, 200, 404, 200, 404, 200, 200, 404, 200),
    "/api/v1/enterprises/{gongzhuling}": row(200, 404, 404, 200, 404, 404, 404, 404, 200),
    "/api/v1/enterprises": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    "/api/v1/auth/tokens": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
}

# How many enterprises of the five each persona sees in the list (page and API alike).
VISIBLE_COUNTS = row(5, 2, 1, 5, 1, 1, 2, 0, 5)


def expand(world: World, path: str) -> str:
    for key in ("nanguan", "chaoyang", "changyi", "gongzhuling", "gaoxin"):
        path = path.replace("{" + key + "}", world.enterprise(key).uscc)
    return path


@pytest.mark.parametrize("persona", P)
def test_pages_answer_each_persona_as_the_matrix_says(world: World, persona: str) -> None:
    client = world.client(persona)
    got = {path: client.get(expand(world, path)).status_code for path in PAGES}
    assert got == {path: statuses[persona] for path, statuses in PAGES.items()}


@pytest.mark.parametrize("persona", P)
def test_api_answers_each_persona_as_the_matrix_says(world: World, persona: str) -> None:
    client = world.client(persona)
    got = {path: client.get(expand(world, path)).status_code for path in API_GETS}
    assert got == {path: statuses[persona] for path, statuses in API_GETS.items()}


@pytest.mark.parametrize("persona", P)
def test_each_persona_lists_only_the_enterprises_in_scope(world: World, persona: str) -> None:
    client = world.client(persona)
    api = client.get("/api/v1/enterprises").json()
    page = client.get("/enterprises/")
    assert api["count"] == VISIBLE_COUNTS[persona]
    assert page.context["page"].paginator.count == VISIBLE_COUNTS[persona]


PATCH_STATUS = row(200, 200, 404, 403, 404, 403, 403, 404, 200)
CREATE_STATUS = row(201, 201, 422, 403, 403, 403, 403, 403, 201)


@pytest.mark.parametrize("persona", P)
def test_only_dispatchers_and_admins_change_an_enterprise_in_their_subtree(
    world: World, persona: str
) -> None:
    e = world.enterprise("nanguan")
    response = world.client(persona).patch(
        f"/api/v1/enterprises/{e.uscc}", json.dumps({"contact_name": "赵新"}), content_type="application/json"
    )
    assert response.status_code == PATCH_STATUS[persona], response.content
    e.refresh_from_db()
    assert (e.contact_name == "赵新") == (PATCH_STATUS[persona] == 200)


@pytest.mark.parametrize("persona", P)
def test_only_dispatchers_and_admins_register_enterprises_in_their_subtree(
    world: World, persona: str
) -> None:
    payload = {"uscc": uscc("220102", 777), "name": "长春新登记企业有限公司", "region": "220102"}
    response = world.client(persona).post(
        "/api/v1/enterprises", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == CREATE_STATUS[persona], response.content
    body = response.json()
    assert set(body) >= (
        {"uscc", "name", "region"} if response.status_code == 201 else {"code", "message", "details"}
    )


def test_anonymous_callers_are_sent_to_login_or_get_401(world: World) -> None:
    client = world.client(None)
    assert client.get("/enterprises/").status_code == 302
    response = client.get("/api/v1/enterprises")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert "Authorization" in response.json()["message"]
