"""One web client posting reports back-to-back through gunicorn while something else runs.

A phone at the 16:00 rush does not wait for a county's import to finish: each of its posts is
timed from sending to the answer, so the longest of them is what the unluckiest user saw. One
client in a closed loop (not wrk's 64) keeps at most one request in flight, so a slow answer is
the server's waiting, not a queue the benchmark built itself.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 900  # longer than any import: a post stuck behind one is measured, not cut short


@dataclass(frozen=True)
class Figures:
    """An enterprise's latest stored report, which the posts repeat with on_duty moved by one."""

    uscc: str
    resumed: bool
    reported_back: int
    isolated: int
    on_duty: int
    capacity_pct: float | None

    def body(self, day: str, client_id: str, nudge: int) -> dict[str, Any]:
        # on_duty one lower every other round (the caller passes resumed ones with on_duty > 0):
        # each post is a real revision of the day's report, and a change of one trips no warning
        on_duty = self.on_duty - nudge
        return {
            "enterprise": self.uscc, "date": day, "client_id": client_id, "resumed": self.resumed,
            "reported_back": self.reported_back, "isolated": self.isolated, "on_duty": on_duty,
            "capacity_pct": self.capacity_pct,
        }  # fmt: skip


@dataclass
class StreamResult:
    waits_ms: list[float] = field(default_factory=list)  # every HTTP request, in order
    accepted: int = 0
    confirmed: int = 0  # accepted only once resent with the warnings confirmed
    statuses: dict[int, int] = field(default_factory=dict)  # the unexpected ones (0: no answer)
    error_bodies: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if not self.waits_ms:
            return "no request was sent"
        p50 = statistics.median(self.waits_ms)
        text = (
            f"{len(self.waits_ms)} requests ({self.accepted} reports accepted, {self.confirmed} after "
            f"confirming warnings), longest wait {max(self.waits_ms):.0f} ms, p50 {p50:.0f} ms"
        )
        if self.statuses:
            text += f"; unexpected statuses {dict(sorted(self.statuses.items()))}"
        return text


def post(url: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.load(error)
        except ValueError:
            return error.code, None
    except OSError as error:  # a worker killed mid-request, a refused connection
        return 0, str(error)


def token(base_url: str, username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password, "name": "bench"}).encode()
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["token"])


class WebStream:
    """Posts for `figures` in turn until stopped; the request in flight when stopped finishes
    and counts (it was sent while the measured work ran)."""

    def __init__(self, base_url: str, token: str, day: str, figures: list[Figures], prefix: str) -> None:
        self.url, self.token, self.day = f"{base_url}/api/v1/reports", token, day
        self.figures, self.prefix = figures, prefix
        self.result = StreamResult()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"web-{prefix}", daemon=True)
        self._sent = 0

    def __enter__(self) -> WebStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def run_for(self, count: int) -> StreamResult:
        """`count` submissions in this thread (a warm-up: every worker's imports and connection)."""
        for _ in range(count):
            self._submit()
        return self.result

    def _run(self) -> None:
        while not self._stop.is_set():
            self._submit()

    def _timed(self, body: dict[str, Any]) -> tuple[int, Any]:
        started = time.perf_counter()
        status, answer = post(self.url, self.token, body)
        self.result.waits_ms.append((time.perf_counter() - started) * 1000)
        return status, answer

    def _submit(self) -> None:
        n = self._sent
        self._sent += 1
        figures = self.figures[n % len(self.figures)]
        nudge = 1 - (n // len(self.figures)) % 2  # rounds alternate, so a round never repeats the last
        body = figures.body(self.day, f"{self.prefix}-{n}", nudge)
        status, answer = self._timed(body)
        if status == 422 and isinstance(answer, dict) and answer.get("code") == "confirmation_required":
            body["confirm"] = [w["code"] for w in answer["details"]["warnings"]]
            status, answer = self._timed(body)
            self.result.confirmed += status in (200, 201)
        if status in (200, 201):
            self.result.accepted += 1
            return
        result = self.result
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if len(result.error_bodies) < 3:
            result.error_bodies.append(f"{figures.uscc}: {status} {str(answer)[:300]}")
        time.sleep(0.05)  # a server answering nothing but errors is not hammered in a tight loop
