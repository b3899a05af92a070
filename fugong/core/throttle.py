"""Failure throttles that every worker shares: a few free failures, then growing waits.

A throttle counts failures per key of a scope (a user name, an address, a phone) in one row of
`core.Throttle`, changed only by single conditional UPDATEs, so several gunicorn workers (and
threads) share it and no two requests can both slip through the last free failure. After a
`Limit`'s free failures each further failure makes the next attempt wait longer (1 minute, 2,
4, … up to the longest wait) instead of locking the key for a fixed time; a key with no failure
for `forget_after` starts afresh, and a success clears it.

The API (all functions take the `Limit`, a policy usually built from settings on each call):

    take_attempt(limit, key) -> int    the race-free gate: raises `Throttled` while the key must
                                       wait, else counts this attempt as a failure in advance
                                       and returns the count; call `clear` when it succeeds.
                                       Use it before checking a secret (a password, an SMS code).
    count_failure(limit, key) -> int   a failure that has already happened (no gate)
    refuse_if_throttled(limit, key)    raises `Throttled` while the key must wait (read only)
    failures(limit, key) -> int        the failures on record (0 once forgotten or cleared)
    clear(limit, key)                  forget the key (after a success, or by an administrator)
    client_address(request)            the client's address, through trusted proxies only
    address_key(address)               an address as a throttle key (IPv6 by its /64 network)
    in_words(wait)                     "3分钟", "40秒", for the Chinese message

`Throttled` is a `TooManyAttempts` (429) carrying `wait`; callers re-raise it with a message that
names what is throttled and `in_words(wait)`. Call these outside a transaction that may roll
back (a refused sign-in raises, and a rolled-back count would be no count at all).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.http import HttpRequest
from django.utils import timezone

from fugong.core.errors import TooManyAttempts
from fugong.core.models import Throttle

KEY_CHARS = 200  # Throttle.key


@dataclass(frozen=True)
class Limit:
    scope: str  # e.g. "login-user"
    free: int  # failures before any wait
    first_wait: timedelta = timedelta(minutes=1)
    longest_wait: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)  # no failure for this long: start afresh

    def __post_init__(self) -> None:
        # A key still waiting must not be forgotten, or waiting would reset the count.
        if self.forget_after < self.longest_wait:
            raise ValueError(f"{self.scope}: forget_after must be at least longest_wait")

    def wait_after(self, failures: int) -> timedelta | None:
        """How long the next attempt waits once `failures` are on record (None: no wait)."""
        if failures < self.free:
            return None
        doublings = min(failures - self.free, 32)  # 2**32 minutes is past any cap
        return min(self.first_wait * 2**doublings, self.longest_wait)


class Throttled(TooManyAttempts):
    def __init__(self, wait: timedelta, message: str | None = None) -> None:
        self.wait = wait
        super().__init__(
            message or f"尝试次数过多，请{in_words(wait)}后再试",
            details={"retry_after": math.ceil(wait.total_seconds())},
        )


def in_words(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return f"{seconds}秒" if seconds < 60 else f"{math.ceil(seconds / 60)}分钟"


def take_attempt(limit: Limit, key: str) -> int:
    """Refuses while `key` must wait; otherwise counts this attempt as a failure and says how many.

    Race-free: the count and the check are one conditional UPDATE, which PostgreSQL re-checks on
    the row a concurrent request has just changed and SQLite runs one writer at a time, so of
    any number of parallel attempts at most `limit.free` get past a key with no failures.
    """
    now = timezone.now()
    key = key[:KEY_CHARS]
    forget_stale(limit, now)
    row = Throttle.objects.filter(scope=limit.scope, key=key)
    for _ in range(3):
        Throttle.objects.bulk_create(
            [Throttle(scope=limit.scope, key=key, last_failure_at=now)], ignore_conflicts=True
        )
        if row.filter(Q(wait_until__isnull=True) | Q(wait_until__lte=now)).update(
            failures=F("failures") + 1, last_failure_at=now, wait_until=wait_until_after_one_more(limit, now)
        ):
            return row.values_list("failures", flat=True).first() or 1
        wait_until = row.values_list("wait_until", flat=True).first()
        if wait_until is not None and wait_until > now:
            raise Throttled(wait_until - now)
        # the row was forgotten between the insert and the update: try again
    raise Throttled(limit.first_wait)  # not reached unless the database keeps losing the row


def count_failure(limit: Limit, key: str) -> int:
    """Counts a failure that has happened (whether or not the key was waiting); the count after it."""
    now = timezone.now()
    key = key[:KEY_CHARS]
    forget_stale(limit, now)
    row = Throttle.objects.filter(scope=limit.scope, key=key)
    Throttle.objects.bulk_create(
        [Throttle(scope=limit.scope, key=key, last_failure_at=now)], ignore_conflicts=True
    )
    row.update(
        failures=F("failures") + 1, last_failure_at=now, wait_until=wait_until_after_one_more(limit, now)
    )
    return row.values_list("failures", flat=True).first() or 1


def refuse_if_throttled(limit: Limit, key: str) -> None:
    """Raises `Throttled` while `key` must wait. A read: alone it is not a race-free gate."""
    now = timezone.now()
    wait_until = (
        Throttle.objects.filter(scope=limit.scope, key=key[:KEY_CHARS])
        .values_list("wait_until", flat=True)
        .first()
    )
    if wait_until is not None and wait_until > now:
        raise Throttled(wait_until - now)


def failures(limit: Limit, key: str) -> int:
    recent = timezone.now() - limit.forget_after
    row = Throttle.objects.filter(scope=limit.scope, key=key[:KEY_CHARS], last_failure_at__gte=recent)
    return row.values_list("failures", flat=True).first() or 0


def clear(limit: Limit, key: str) -> None:
    Throttle.objects.filter(scope=limit.scope, key=key[:KEY_CHARS]).delete()


def forget_stale(limit: Limit, now: datetime) -> None:
    """Drops the scope's keys with no failure for `forget_after` (none of them is still waiting)."""
    Throttle.objects.filter(scope=limit.scope, last_failure_at__lt=now - limit.forget_after).delete()


def wait_until_after_one_more(limit: Limit, now: datetime) -> Case:
    """The row's new `wait_until`, computed in the UPDATE from the failures before it (SQL's SET
    reads the old row), so that the count and the wait it causes are written together."""
    steps = []
    failures_after = max(limit.free, 0)
    while True:
        wait = limit.wait_after(failures_after)
        assert wait is not None
        steps.append(When(failures=failures_after - 1, then=Value(now + wait)))
        if wait >= limit.longest_wait:
            break
        failures_after += 1
    return Case(
        When(failures__lt=limit.free - 1, then=Value(None)),
        *steps,
        default=Value(now + limit.longest_wait),
        output_field=DateTimeField(),
    )


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from, as the nearest of our trusted proxies saw it.

    With `FUGONG_TRUSTED_PROXIES` = 0 (the default) that is REMOTE_ADDR and `X-Forwarded-For` is
    ignored: any client can write that header, so trusting it would let anyone pick the address
    their failures are counted against. With n trusted proxies in front of the site (nginx: 1),
    each appends the address it received the request from, so the n-th entry from the right was
    written by the outermost trusted proxy and cannot be forged; entries left of it can. This
    holds only if the site is reachable through those proxies alone (gunicorn bound to
    127.0.0.1 or a firewall), as README says.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.FUGONG_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops <= 0 or not forwarded:
        return remote
    entries = [e.strip() for e in forwarded.split(",") if e.strip()]
    if not entries:
        return remote
    # Fewer entries than proxies: the request skipped the outer ones; the leftmost entry is still
    # one a trusted proxy wrote.
    claimed = entries[-hops] if len(entries) >= hops else entries[0]
    return plain_address(claimed) or remote


def plain_address(text: str) -> str | None:
    """An IP address from a proxy's header entry ("1.2.3.4", "1.2.3.4:5678", "[::1]:80")."""
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def address_key(address: str | None) -> str:
    """An address as a throttle key: IPv6 by its /64, which one household or phone gets whole."""
    if not address:
        return "未知地址"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:KEY_CHARS]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:1.2.3.4, a dual-stack socket's IPv4 client
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
