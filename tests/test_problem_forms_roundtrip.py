"""Nothing typed is lost when a work-order form is refused: the intake form and each move's form
come back with every field as it was sent (read back as a browser would submit it), and the
message says chosen attachments must be chosen again (a browser never refills a file input)."""

from __future__ import annotations

import datetime
import re
from html import unescape
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fugong.accounts.models import Department
from fugong.problems.models import Problem, Status
from tests.conftest import World
from tests.support.forms import as_lists, submitted
from tests.support.problems import PDF, department, dispatched, raised


def shown(page: bytes, form_id: str) -> dict[str, list[str]]:
    """What the browser would send from the form with this id (the move forms all post to the same
    address, so they are told apart by id)."""
    html = page.decode()
    start = html.rindex("<form", 0, html.index(f'id="{form_id}"'))
    form = html[start : html.index("</form>", start) + len("</form>")]
    action = re.search(r'action="([^"]*)"', form.split(">", 1)[0])
    back = as_lists(submitted(form, action=unescape(action.group(1)) if action else None))
    back.pop("csrfmiddlewaretoken", None)
    return back


def assert_kept(page: bytes, form_id: str, typed: dict[str, Any]) -> None:
    back = shown(page, form_id)
    assert {k: back.get(k, []) for k in typed} == as_lists(typed)


def intake_url(world: World) -> str:
    return f"/problems/new/?enterprise={world.enterprise('nanguan').uscc}"


def test_the_intake_form_keeps_every_field_when_the_time_is_refused_and_asks_for_the_files_again(
    world: World,
) -> None:
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    typed = {
        "category": "物流运输不畅",
        "urgency": "urgent",
        "title": "原材料运不进来",
        "description": "高速卡口不放行货车\n已三天",
        "source": "visit",
        "received_at": future,  # later than now: refused
    }
    files = {"files": [SimpleUploadedFile("通行证.pdf", PDF, content_type="application/pdf")]}
    response = world.client("changchun").post(intake_url(world), {**typed, **files})
    assert response.status_code == 422
    page = response.content.decode()
    assert "受理时间应在最近30天内" in page and "附件需重新选择" in page
    assert_kept(response.content, "intake", typed)
    assert Problem.objects.count() == 0


def test_a_ticked_duplicate_confirmation_stays_ticked_when_another_field_is_refused(world: World) -> None:
    raised(world)
    typed = {
        "category": "物流运输不畅",
        "urgency": "normal",
        "title": "原材料运不进来",
        "description": "高速卡口不放行货车",
        "confirm": "duplicate",
        "received_at": "2020-02-30 09:00",  # no such day
    }
    response = world.client("changchun").post(intake_url(world), typed)
    assert response.status_code == 422 and "无法识别" in response.content.decode()
    assert "附件需重新选择" not in response.content.decode()  # none was chosen
    assert_kept(response.content, "intake", typed)


def act(world: World, persona: str, p: Problem, typed: dict[str, Any]) -> Any:
    return world.client(persona).post(f"/problems/{p.pk}/act/", typed)


def test_the_dispatch_form_keeps_the_units_the_days_and_the_note_when_the_days_are_refused(
    world: World,
) -> None:
    helper = Department.objects.create(name="长春市交通运输局", region_id="220100")
    other = Department.objects.create(name="长春市工信局", region_id="220100")
    p = raised(world)
    typed = {
        "action": "dispatch",
        "department": str(department().pk),
        "assists": [str(helper.pk), str(other.pk)],
        "assist_days": "三天",  # not a number: refused
        "note": "请当天联系企业",
    }
    response = act(world, "changchun", p, typed)
    assert response.status_code == 422 and "协办时限请填工作日天数" in response.content.decode()
    assert_kept(response.content, "move-dispatch", typed)
    assert shown(response.content, "move-escalate")["note"] == [""]  # only the refused form is refilled


def test_the_extension_form_keeps_the_days_and_the_reason(world: World) -> None:
    p = dispatched(world)
    p = Problem.objects.get(pk=p.pk)
    world.client("handler").post(f"/problems/{p.pk}/act/", {"action": "sign"})
    typed = {"action": "request_extension", "days": "45", "note": "需协调省交通厅"}  # over 20: refused
    response = act(world, "handler", p, typed)
    assert response.status_code == 422 and "延期天数应在0到20个工作日之间" in response.content.decode()
    assert_kept(response.content, "move-request_extension", typed)


def test_the_merge_form_keeps_the_master_and_the_note(world: World) -> None:
    p = raised(world)
    typed = {"action": "merge", "master": "999999", "note": "与另一件同属卡口问题"}
    response = act(world, "changchun", p, typed)
    assert response.status_code == 422 and "请填写要并入的主单编号" in response.content.decode()
    assert_kept(response.content, "move-merge", typed)


def test_the_rating_form_keeps_the_choice_whether_solved_and_the_comment(world: World) -> None:
    p = dispatched(world)
    handler, dispatcher = world.client("handler"), world.client("changchun")
    handler.post(f"/problems/{p.pk}/act/", {"action": "sign"})
    handler.post(f"/problems/{p.pk}/act/", {"action": "reply", "note": "已协调交警放行"})
    dispatcher.post(f"/problems/{p.pk}/act/", {"action": "review"})
    assert Problem.objects.get(pk=p.pk).status == Status.RATING
    typed = {"action": "rate", "rating": "excellent", "resolved": "否", "note": "放行了但仍排队"}
    response = act(world, "reporter", p, typed)
    assert response.status_code == 422 and "请选择评价" in response.content.decode()
    assert_kept(response.content, "move-rate", {k: v for k, v in typed.items() if k != "rating"})

    typed = {"action": "rate", "rating": "basic", "resolved": "伪", "note": "放行了但仍排队"}
    response = act(world, "reporter", p, typed)
    assert response.status_code == 422
    assert_kept(response.content, "move-rate", {k: v for k, v in typed.items() if k != "resolved"})


def test_a_note_that_is_too_long_comes_back_as_typed(world: World) -> None:
    p = raised(world)
    typed = {"action": "supervise", "note": "请尽快办理。" * 700}  # 4,200 characters: refused
    response = act(world, "changchun", p, typed)
    assert response.status_code == 422 and "说明最多4000字" in response.content.decode()
    assert_kept(response.content, "move-supervise", typed)
