"""The accounts app's scheduled work, run by `run_jobs` (registered when the app is ready)."""

from __future__ import annotations

import datetime

from fugong.accounts.sms_sign_in import do_purge_sign_in
from fugong.core.jobs import periodic


@periodic("purge_sign_in")
def purge_sign_in(now: datetime.datetime) -> int:
    return do_purge_sign_in(now)
