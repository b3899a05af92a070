"""The notification app's scheduled work, run by `run_jobs` (registered when the app is ready).

The reminder rounds are dispatch's (dispatch.plans.reminders), the SLA warnings problems'
(problems.sla): each registers its own task, and notify imports neither."""

from __future__ import annotations

import datetime

from django.utils import timezone

from fugong.core.jobs import drain, periodic
from fugong.notify import delivery
from fugong.notify.actions import do_purge_notices

drain("outbox")(delivery.deliver_one)


@periodic("purge_notices")
def purge_notices(now: datetime.datetime) -> int:
    """Once a day: delivered outbox rows after 90 days, read inbox messages after 180 days."""
    return do_purge_notices(timezone.localtime(now).date())
