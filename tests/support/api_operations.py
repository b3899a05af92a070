"""Every operation of the Ninja API, read from the api object's own OpenAPI description.

Tests parametrised over these cover an endpoint added tomorrow without anyone listing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fugong.api import api

# A value of the right type for each path parameter: enough to reach the parser and the checks.
# A new parameter name fails loudly here, so its endpoint is never silently left out.
PATH_SAMPLES = {
    "code": "220100",
    "uscc": "91220102000000010C",
    "plan_id": "1",
    "report_id": "1",
    "problem_id": "1",
    "token_id": "1",
    "list_id": "1",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # with {params}
    spec: dict[str, Any]

    @property
    def url(self) -> str:
        def sample(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in PATH_SAMPLES, f"tests/support/api_operations.py: add a sample value for {{{name}}}"
            return PATH_SAMPLES[name]

        return re.sub(r"\{(\w+)\}", sample, self.path)

    @property
    def signed_in(self) -> bool:
        return bool(self.spec.get("security"))

    @property
    def has_body(self) -> bool:
        return "requestBody" in self.spec

    @property
    def query_names(self) -> set[str]:
        return {p["name"] for p in self.spec.get("parameters", []) if p.get("in") == "query"}

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def openapi() -> dict[str, Any]:
    schema: dict[str, Any] = api.get_openapi_schema()
    return schema


def operations() -> list[Operation]:
    return [
        Operation(method, path, spec)
        for path, methods in openapi()["paths"].items()
        for method, spec in methods.items()
    ]


def writes() -> list[Operation]:
    return [op for op in operations() if op.has_body]


def lists() -> list[Operation]:
    return [op for op in operations() if op.method == "get" and "page" in op.query_names]


def ids(ops: list[Operation]) -> list[str]:
    return [str(op) for op in ops]
