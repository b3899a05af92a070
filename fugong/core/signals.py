"""Signals between apps that must not import each other (the registry does not know dispatch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

# Sent after enterprises or regions change in ways that may alter who is in which plan's scope or
# their baselines; derived data (the dispatch roll-ups) drops what it built. With `edits` (a list
# of RegistryEdit) it names what changed, so the receiver drops only what those fields decide;
# without it (regions reloaded, an admin edit) everything built is dropped.
registry_changed = Signal()


@dataclass(frozen=True)
class RegistryEdit:
    """One enterprise changed: `before` is a copy of it as it was (None when it was created),
    `after` the saved instance, `fields` the names of the fields whose values changed."""

    before: Any
    after: Any
    fields: frozenset[str]
