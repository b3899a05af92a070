"""Signals between apps that must not import each other (the registry does not know dispatch)."""

from django.dispatch import Signal

# Sent after enterprises or regions change in ways that alter who is in which plan's scope or
# their baselines; derived data (the dispatch roll-ups) drops what it built.
registry_changed = Signal()
