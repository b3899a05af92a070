"""The notification app's scheduled work, run by `run_jobs` (registered when the app is ready)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from fugong.core.jobs import drain, periodic
from fugong.notify import delivery, reminders, sla
from fugong.notify.actions import do_purge_notices

periodic("reminders")(reminders.run_reminders)
periodic("sla_warnings")(sla.run_sla_warnings)
drain("outbox")(delivery.deliver_one)


@periodic("purge_notices")
def purge_notices(now: datetime.datetime) -> int:
    """Once a day: delivered outbox rows after 90 days, read inbox messages after 180 days."""
    return do_purge_notices(timezone.localtime(now).date())
