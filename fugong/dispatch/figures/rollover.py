"""The day's roll-over: build each running plan's roll-ups for the new day as soon as it starts,
so that the first dashboard of the morning reads them instead of building them while it waits,
and the day's first submissions only add their deltas."""

from __future__ import annotations

import datetime

from django.utils import timezone

from fugong.core.jobs import periodic
from fugong.dispatch.figures import rollups
from fugong.dispatch.models import Plan, RollupDay


@periodic("rollover")
def build_todays_rollups(now: datetime.datetime) -> int:
    day = timezone.localtime(now).date()
    built = set(RollupDay.objects.filter(date=day).values_list("plan_id", flat=True))
    plans = (
        Plan.objects.filter(active=True, start_date__lte=day).exclude(end_date__lt=day).exclude(pk__in=built)
    )
    count = 0
    for plan in plans.select_related("owner_region"):
        rollups.ensure_built(plan, day)  # idempotent: a second runner waits on the plan's lock, then skips
        count += 1
    return count
