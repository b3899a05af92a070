"""The fill-in template download: a plan's sheet for one day and region, roster pre-filled."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.http.response import HttpResponseBase

from fugong.core import audit
from fugong.core.access import Action, require_action
from fugong.dispatch.figures.defaults import Choice, choice_for_download
from fugong.dispatch.sheets.template import write_template


@login_required
def report_template(request: HttpRequest) -> HttpResponseBase:
    # A leader may see the plan but reports for no one: say so rather than send an empty sheet.
    require_action(request.user, Action.REPORT)
    choice = choice_for_download(request, "report_import")
    if not isinstance(choice, Choice):
        return choice
    plan, day, region = choice.plan, choice.day, choice.region
    assert plan is not None and region is not None
    stream = tempfile.TemporaryFile(suffix=".xlsx")  # a province's roster need not sit in memory
    try:
        write_template(plan, day, region, request.user, stream)
    except BaseException:
        stream.close()
        raise
    stream.seek(0)
    filename = f"调度填报模板-{region.name}-{day}.xlsx"
    audit.record_download(request, "export.template", plan, filename, region=region.code, date=day)  # the roster
    return FileResponse(stream, as_attachment=True, filename=filename)
