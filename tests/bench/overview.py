"""The project overview's server time and SQL statements at full size (called by tests/bench):
as coordinator and as a committee member who may still vote in the open round."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_STATEMENTS = 8  # issue 14 (its target is 5)
TARGET_MS = 100


def run(
    app: Any,
    client: Any,
    report: Any,
    median_seconds: Callable[..., tuple[float, Any]],
    count_queries: Callable[..., int],
) -> dict[str, tuple[float, int]]:
    """Print the figures (and PASS/FAIL); return {who: (milliseconds, statements)}."""
    committee = app.test_client()
    login = committee.post("/login", data={"username": "committee4", "password": "demo-password"})
    assert login.status_code == 302, "bench log-in failed"
    figures = {}
    print("Project overview")
    for who, c in (("coordinator", client), ("committee member, vote open", committee)):

        def get(c: Any = c) -> Any:
            response = c.get("/projects/demo/")
            assert response.status_code == 200, response.status_code
            return response

        seconds, _response = median_seconds(get)
        statements = count_queries(app, get)
        report.target(f"{who}: server time", seconds * 1000, TARGET_MS, "ms")
        ok = statements <= MAX_STATEMENTS
        report.failures += not ok
        shown = f"{statements} (target <= {MAX_STATEMENTS})"
        print(f"  {who + ': SQL statements':<58} {shown:<34} {'PASS' if ok else 'FAIL'}")
        figures[who] = (seconds * 1000, statements)
    return figures
