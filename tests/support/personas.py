"""The columns of the persona matrices (tests/test_permissions.py, tests/test_dispatch_pages.py,
tests/test_problems_pages.py): every persona of tests/conftest.py, in the order the tables are
written, and a table row read against them."""

from __future__ import annotations

P = ["province", "changchun", "jilin", "leader", "liaison", "reporter", "handler", "outsider", "admin"]


def row(*statuses: int) -> dict[str, int]:
    """One status per persona, in P's order; a row of the wrong length fails at import."""
    return dict(zip(P, statuses, strict=True))
