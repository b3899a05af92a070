"""The fill-in template download: a plan's sheet for one day and region, roster pre-filled."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest

from fugong.core.access import Action, require_action
from fugong.dispatch.report_template import write_template
from fugong.dispatch.report_views import selection


@login_required
def report_template(request: HttpRequest) -> FileResponse:
    plan, day, region = selection(request)
    # A leader may see the plan but reports for no one: say so rather than send an empty sheet.
    require_action(request.user, Action.REPORT)
    stream = tempfile.TemporaryFile(suffix=".xlsx")  # a province's roster need not sit in memory
    try:
        write_template(plan, day, region, request.user, stream)
    except BaseException:
        stream.close()
        raise
    stream.seek(0)
    return FileResponse(stream, as_attachment=True, filename=f"调度填报模板-{region.name}-{day}.xlsx")
