"""The persona × route matrix written down: tests/support/route_expectations.txt.

The matrix of tests/test_route_matrix.py judges every answer by rules (why a status is right);
this table says what each answer is, so that a change of access rules that the rules would
follow silently shows up as a diff of the table. One row per route and method, one column per
persona. `FUGONG_WRITE_ROUTE_TABLE=1 pytest tests/test_route_matrix.py` rewrites the columns
of the personas it runs from their answers (read the diff before committing it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

TABLE = Path(__file__).with_name("route_expectations.txt")
WRITE = os.environ.get("FUGONG_WRITE_ROUTE_TABLE") == "1"
SIDES = ("长春", "吉林市")  # the sides of tests/support/world.py, in the order of build_sides
NONE = "-"  # the key of the call that names no object
UNKNOWN = "?"  # a cell not yet written (its persona has not run in write mode)
LOGIN = "login"

LEGEND = """\
# The persona × route matrix of tests/test_route_matrix.py, written down: what each persona gets
# on each route. The rules that say why are in that file's docstring; this table says what, so
# that a change of access rules shows up here as a diff.
#
# Rows: every route and method the matrix asks (the admin site is checked on its own: every
# persona is sent to the admin's login). A page that only reads is asked by GET alone.
# Columns: the personas of tests/conftest.py PERSONAS and the anonymous caller. Their scope:
#   province, leader: 吉林省 (leader read-only) · changchun: 长春市 · jilin: 吉林市 · admin: all ·
#   liaison: 长春朝阳食品 (neither side's enterprise) · reporter: 长春南关汽车零部件 (长春's
#   enterprise) · handler: 长春市商务局 (长春's problem is dispatched to it) · outsider: none.
# A cell is the answer to the route without any object, and/or with each side's objects:
#   200           the route names no object
#   200/404       with 长春's objects / with 吉林市's objects (path, query, form or body)
#   200,200/404   both: first without objects, then 长春/吉林市
# An answer is its HTTP status, or `login` for a redirect to the login page (302 is any other
# redirect). 403: visible but read-only; 404: out of scope or none such; 405: method not served;
# 409: the work-order flow refuses the move; 401: API without credentials; 400/422: refused input.
# One persona's requests run in this order in one transaction, so a write shows in the rows below
# it: the API's DELETE of each side's token and its 签收 of 长春's problem come before the pages' revoke
# and act, which then answer 404 and 409 even to the token's owner and the problem's handler.
# Regenerate: FUGONG_WRITE_ROUTE_TABLE=1 .venv/bin/python -m pytest tests/test_route_matrix.py
"""


def answer(status: int, location: str | None, login_url: str) -> str:
    """How an answer is written in a cell."""
    if status in (301, 302, 303, 307, 308) and location is not None and location.startswith(login_url):
        return LOGIN
    return str(status)


def cell(answers: Mapping[str, str]) -> str:
    """One persona's answers on one route (keyed NONE or by side label) as a cell."""
    parts = []
    if NONE in answers:
        parts.append(answers[NONE])
    if any(s in answers for s in SIDES):
        parts.append("/".join(answers.get(s, UNKNOWN) for s in SIDES))
    return ",".join(parts)


def answers_of(text: str) -> dict[str, str]:
    """A cell read back: {NONE or side label: answer}."""
    found: dict[str, str] = {}
    for part in text.split(","):
        if "/" in part:
            found.update(zip(SIDES, part.split("/"), strict=False))
        elif part:
            found[NONE] = part
    return found


def shape(without_objects: bool, with_sides: bool) -> str:
    """The shape a route's cells have: which calls the matrix makes on it."""
    return cell(
        {**({NONE: "x"} if without_objects else {}), **({s: "x" for s in SIDES} if with_sides else {})}
    )


def shape_of(text: str) -> str:
    found = answers_of(text)
    return shape(NONE in found, any(s in found for s in SIDES))


def read(path: Path = TABLE) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The table's persona columns and its rows {route: {persona: cell}}."""
    if not path.exists():
        return [], {}
    columns: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        method, route, *cells = line.split()
        if not columns:
            columns = cells
            continue
        rows[f"{method} {route}"] = dict(zip(columns, cells, strict=False))
    return columns, rows


def render(columns: list[str], rows: Mapping[str, Mapping[str, str]]) -> str:
    lines = [["method", "route", *columns]]
    lines += [[*key.split(" ", 1), *(cells.get(c, UNKNOWN) for c in columns)] for key, cells in rows.items()]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    body = ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    return LEGEND + "\n" + "\n".join(body) + "\n"


def write_column(persona: str, column: Mapping[str, str], routes: Iterable[str], columns: list[str]) -> None:
    """Put one persona's answers in the table; rows follow `routes` (new ones added, gone ones dropped)."""
    _, old = read()
    rows = {key: dict(old.get(key, {})) for key in routes}
    for key, value in column.items():
        rows.setdefault(key, {})[persona] = value
    TABLE.write_text(render(columns, rows), encoding="utf-8")


def differences(persona: str, column: Mapping[str, str], rows: Mapping[str, Mapping[str, str]]) -> list[str]:
    """(route, persona, side, expected, got) for every answer that the table does not say."""
    found = []
    for key, got_cell in column.items():
        if key not in rows:
            found.append(f"({key}, {persona}): no row in {TABLE.name}")
            continue
        expected, got = answers_of(rows[key].get(persona, UNKNOWN)), answers_of(got_cell)
        for side in dict.fromkeys([*got, *expected]):
            if expected.get(side) != got.get(side):
                found.append(
                    f"({key}, {persona}, {side}, expected {expected.get(side)}, got {got.get(side)}):"
                    f" not as {TABLE.name} says"
                )
    return found
