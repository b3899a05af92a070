"""The 诉求办理 pages as each persona sees them: list, intake with attachments, detail with its
moves and history, downloads, and the scorecards."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fugong.problems.actions import do_transition
from fugong.problems.attachments import MAX_BYTES
from fugong.problems.models import Attachment, Event, Problem, Source, Status
from tests.conftest import World
from tests.support.personas import P, row
from tests.support.problems import PDF, department, dispatched, move_ids, raised

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


#                                          province chgchun jilin leader liaison reporter handler outsider admin
PAGES = {
    "/problems/": row(200, 200, 200, 200, 200, 200, 200, 200, 200),
    "/problems/{dispatched}/": row(200, 200, 404, 200, 404, 200, 200, 404, 200),
    "/problems/{pending}/": row(200, 200, 404, 200, 404, 200, 404, 404, 200),
    "/problems/new/?enterprise={nanguan}": row(200, 200, 404, 403, 404, 200, 403, 404, 200),
    "/problems/new/?enterprise={chaoyang}": row(200, 200, 404, 403, 200, 404, 403, 404, 200),
    "/problems/scorecard/": row(200, 200, 200, 200, 403, 403, 403, 403, 200),
    "/problems/scorecard/?region=220200": row(200, 404, 200, 200, 403, 403, 403, 403, 200),
}


@pytest.mark.parametrize("persona", P)
def test_problem_pages_answer_each_persona_as_the_matrix_says(world: World, persona: str) -> None:
    ids = {"dispatched": dispatched(world).pk, "pending": raised(world, title="另一件事").pk}
    client = world.client(persona)
    got = {}
    for path in PAGES:
        url = path.format(
            nanguan=world.enterprise("nanguan").uscc, chaoyang=world.enterprise("chaoyang").uscc, **ids
        )
        got[path] = client.get(url).status_code
    assert got == {path: statuses[persona] for path, statuses in PAGES.items()}


def test_each_persona_lists_only_the_problems_in_their_reach(world: World) -> None:
    mine = dispatched(world, title="南关的货车进不来")
    raised(world, title="南关尚未派单的事")
    raised(world, persona="liaison", key="chaoyang", title="朝阳缺少口罩", category="防疫物资短缺")
    seen = {
        persona: world.client(persona).get("/problems/").content.decode()
        for persona in ("changchun", "handler", "reporter", "liaison", "jilin")
    }
    assert all(t in seen["changchun"] for t in ("南关的货车进不来", "南关尚未派单的事", "朝阳缺少口罩"))
    assert "南关的货车进不来" in seen["handler"]
    assert "南关尚未派单的事" not in seen["handler"] and "朝阳缺少口罩" not in seen["handler"]
    assert "南关尚未派单的事" in seen["reporter"] and "朝阳缺少口罩" not in seen["reporter"]
    assert "朝阳缺少口罩" in seen["liaison"] and "南关" not in seen["liaison"].split("<table")[1]
    assert "没有符合条件的诉求" in seen["jilin"]
    assert f'href="/problems/{mine.pk}/"' in seen["handler"]


def test_the_list_shows_the_clock_light_in_words_and_filters_by_it(world: World) -> None:
    late = raised(world, title="十天前受理的事", now=timezone.now() - datetime.timedelta(days=10))
    fresh = raised(world, title="刚刚受理的事")
    client = world.client("changchun")
    html = client.get("/problems/").content.decode()
    assert 'class="light light-breached"' in html and "已超时" in html
    assert 'class="light light-green"' in html and "正常" in html
    breached = client.get("/problems/?light=breached").content.decode()
    assert late.title in breached and fresh.title not in breached
    green = client.get("/problems/?light=green&status=open").content.decode()
    assert fresh.title in green and late.title not in green
    assert client.get("/problems/?light=purple").status_code == 422


def test_the_detail_shows_the_history_and_only_the_moves_each_persona_may_make(world: World) -> None:
    p = raised(world)
    html = world.client("changchun").get(f"/problems/{p.pk}/").content.decode()
    assert {"dispatch", "merge", "escalate"} <= move_ids(html) and "sign" not in move_ids(html)
    assert "长春市商务局" in html.split('id="move-dispatch"')[1]  # departments in the dispatcher's scope
    do_transition(world.user("changchun"), p.pk, "dispatch", {"department": department().pk})
    handler = world.client("handler").get(f"/problems/{p.pk}/").content.decode()
    assert move_ids(handler) == {"sign", "return"}
    history = handler.split('id="history"')[1]
    assert "提交" in history and "派单" in history and "（待受理 → 已派单（待签收））" in history
    # a leader reads: no form changes the work order (flow lets leaders only 督办 and 催办)
    leader = world.client("leader").get(f"/problems/{p.pk}/").content.decode()
    assert move_ids(leader) == {"supervise", "urge"}
    assert move_ids(world.client("reporter").get(f"/problems/{p.pk}/").content.decode()) == set()


def test_moves_posted_from_the_page_go_through_and_land_in_the_history(world: World) -> None:
    p = raised(world)
    response = world.client("changchun").post(
        f"/problems/{p.pk}/act/", {"action": "dispatch", "department": department().pk, "note": "请尽快协调"}
    )
    assert response.status_code == 302 and response["Location"] == f"/problems/{p.pk}/"
    handler = world.client("handler")
    assert handler.post(f"/problems/{p.pk}/act/", {"action": "sign"}).status_code == 302
    handler.post(f"/problems/{p.pk}/act/", {"action": "reply", "note": "已协调交警放行"})
    world.client("changchun").post(f"/problems/{p.pk}/act/", {"action": "review"})
    reporter = world.client("reporter")
    assert move_ids(reporter.get(f"/problems/{p.pk}/").content.decode()) == {"rate"}
    reporter.post(f"/problems/{p.pk}/act/", {"action": "rate", "rating": "satisfied", "resolved": "是"})
    p.refresh_from_db()
    assert (p.status, p.rating, p.resolved) == (Status.CLOSED, "satisfied", True)
    html = reporter.get(f"/problems/{p.pk}/").content.decode()
    assert "已协调交警放行" in html and "请尽快协调" in html and "满意" in html


def test_a_return_takes_the_handler_back_to_the_list(world: World) -> None:
    p = dispatched(world)
    response = world.client("handler").post(
        f"/problems/{p.pk}/act/", {"action": "return", "note": "不归我们"}
    )
    assert response.status_code == 302 and response["Location"] == "/problems/"
    assert world.client("handler").get(f"/problems/{p.pk}/").status_code == 404


def test_an_illegal_move_shows_the_409_message_on_the_page(world: World) -> None:
    p = dispatched(world)
    response = world.client("handler").post(f"/problems/{p.pk}/act/", {"action": "reply", "note": "已办"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "不能“答复”" in html and "已派单（待签收）" in html and "（409）" in html
    assert response.context["p"].status == Status.DISPATCHED
    assert world.client("changchun").post(f"/problems/{p.pk}/act/", {"action": "sign"}).status_code == 409
    missing_note = world.client("handler").post(f"/problems/{p.pk}/act/", {"action": "return"})
    assert missing_note.status_code == 422 and "需要填写说明" in missing_note.content.decode()
    assert world.client("outsider").post(f"/problems/{p.pk}/act/", {"action": "sign"}).status_code == 404
    assert Event.objects.filter(problem=p).count() == 2  # create, dispatch: nothing more written


def files(*items: tuple[str, bytes, str]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, content, content_type=kind) for name, content, kind in items]


def intake_form(**overrides: Any) -> dict[str, Any]:
    return {
        "category": "物流运输不畅",
        "urgency": "normal",
        "title": "原材料运不进来",
        "description": "高速卡口不放行货车",
        **overrides,
    }


def test_a_reporter_raises_a_problem_with_attachments_from_the_phone(world: World) -> None:
    nanguan = world.enterprise("nanguan")
    client = world.client("reporter")
    assert "反映问题" in client.get(f"/dispatch/e/{nanguan.uscc}/").content.decode()
    assert nanguan.name in client.get("/problems/new/").content.decode()  # their only enterprise
    form = intake_form(files=files(("卡口.png", PNG, "image/png"), ("通知.PDF", PDF, "application/pdf")))
    response = client.post(f"/problems/new/?enterprise={nanguan.uscc}", form)
    p = Problem.objects.get(enterprise=nanguan)
    assert response.status_code == 302 and response["Location"] == f"/problems/{p.pk}/"
    assert p.source == Source.ENTERPRISE and p.status == Status.PENDING
    stored = {a.name: (a.content_type, bytes(a.content)) for a in p.attachments.all()}
    assert stored == {"卡口.png": ("image/png", PNG), "通知.pdf": ("application/pdf", PDF)}
    assert list(p.events.values_list("action", flat=True)) == ["create", "attach"]
    a = p.attachments.get(name="通知.pdf")
    download = client.get(f"/problems/{p.pk}/files/{a.pk}/")
    assert (
        download.status_code == 200
        and download.content == PDF
        and download["Content-Type"] == "application/pdf"
    )
    assert world.client("liaison").get(f"/problems/{p.pk}/files/{a.pk}/").status_code == 404
    assert (
        world.client("handler").get(f"/problems/{p.pk}/files/{a.pk}/").status_code == 404
    )  # not yet dispatched


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("大图.jpg", b"\xff\xd8\xff" + b"0" * MAX_BYTES, "image/jpeg"), "超过每个附件5MB的上限"),
        (
            ("说明.txt", b"hello", "text/plain"),
            "类型不支持，只能上传 jpg、png、pdf、doc、docx、xls、xlsx 文件",
        ),
        (("病毒.pdf", b"MZ\x90\x00", "application/pdf"), "内容不是pdf格式"),
        (("空.png", b"", "image/png"), "是空文件"),
    ],
)
def test_a_bad_attachment_is_refused_in_chinese_and_nothing_is_stored(
    world: World, upload: tuple[str, bytes, str], message: str
) -> None:
    nanguan = world.enterprise("nanguan")
    form = intake_form(files=files(("卡口.png", PNG, "image/png"), upload))
    response = world.client("reporter").post(f"/problems/new/?enterprise={nanguan.uscc}", form)
    assert response.status_code == 422 and message in response.content.decode()
    assert not Problem.objects.filter(enterprise=nanguan).exists() and not Attachment.objects.exists()
    assert "原材料运不进来" in response.content.decode()  # what was typed is kept


def test_more_than_five_attachments_are_refused(world: World) -> None:
    p = raised(world)
    six = files(*[(f"{i}.png", PNG, "image/png") for i in range(6)])
    response = world.client("reporter").post(f"/problems/{p.pk}/attach/", {"files": six})
    assert response.status_code == 422 and "一次最多上传5个附件" in response.content.decode()
    assert not p.attachments.exists() and not p.events.filter(action="attach").exists()

    def one() -> list[SimpleUploadedFile]:
        return files(("补充.png", PNG, "image/png"))

    assert world.client("reporter").post(f"/problems/{p.pk}/attach/", {"files": one()}).status_code == 302
    assert world.client("leader").post(f"/problems/{p.pk}/attach/", {"files": one()}).status_code == 403
    assert (
        p.attachments.count() == 1
        and "上传附件" in world.client("reporter").get(f"/problems/{p.pk}/").content.decode()
    )


def test_a_likely_duplicate_asks_for_confirmation_and_then_goes_through(world: World) -> None:
    raised(world)
    nanguan = world.enterprise("nanguan")
    client = world.client("reporter")
    response = client.post(f"/problems/new/?enterprise={nanguan.uscc}", intake_form(title="货车进不来"))
    html = response.content.decode()
    assert response.status_code == 422 and "相似的未办结诉求" in html
    assert 'name="confirm" value="duplicate"' in html and "确认是新问题" in html
    assert Problem.objects.filter(enterprise=nanguan).count() == 1
    again = client.post(
        f"/problems/new/?enterprise={nanguan.uscc}", intake_form(title="货车进不来", confirm="duplicate")
    )
    assert again.status_code == 302 and Problem.objects.filter(enterprise=nanguan).count() == 2


def test_a_dispatcher_records_a_phone_call_taken_earlier(world: World) -> None:
    nanguan = world.enterprise("nanguan")
    client = world.client("changchun")
    page = client.get(f"/problems/new/?enterprise={nanguan.uscc}").content.decode()
    assert 'name="received_at"' in page and "走访受理" in page
    assert (
        'name="received_at"'
        not in world.client("reporter").get(f"/problems/new/?enterprise={nanguan.uscc}").content.decode()
    )
    taken = timezone.localtime() - datetime.timedelta(days=1)
    form = intake_form(source="visit", received_at=taken.strftime("%Y-%m-%dT%H:%M"))
    assert client.post(f"/problems/new/?enterprise={nanguan.uscc}", form).status_code == 302
    p = Problem.objects.get(enterprise=nanguan)
    assert p.source == Source.VISIT and p.received_at == taken.replace(second=0, microsecond=0)


def test_the_scorecard_page_shows_units_lists_categories_and_common_problems(world: World) -> None:
    p = dispatched(world)
    do_transition(world.user("handler"), p.pk, "sign", {})
    html = world.client("changchun").get("/problems/scorecard/").content.decode()
    assert "长春市 · 诉求办理成绩" in html
    assert "长春市商务局" in html.split('id="units"')[1] and "100.0%" in html.split('id="units"')[1]
    assert "红榜" in html and "黑榜" in html and "参与排名的单位不足" in html
    assert "物流运输不畅" in html.split('id="open-by-category"')[1]
    assert "共性问题" in html
    bad = world.client("changchun").get("/problems/scorecard/?start=2020-13-01")  # this month's, saying why
    assert bad.status_code == 200 and "日期“2020-13-01”无法识别" in bad.content.decode()


def test_a_reports_problem_becomes_a_work_order_from_its_page(world: World, plan: Any) -> None:
    from fugong.dispatch.reports.submit import check_submit_report
    from fugong.problems.models import Problem as WorkOrder
    from tests.support.reports import DAY, at, figures

    report = check_submit_report(
        world.user("reporter"),
        world.enterprise("nanguan"),
        DAY,
        figures(problems="原材料运不进来", problem_tags=["logistics"]),
        channel="web",
        now=at(DAY, 10),
    ).report
    client = world.client("reporter")
    assert "转为诉求工单" in client.get(f"/dispatch/reports/{report.pk}/").content.decode()
    form = client.get(
        f"/problems/new/?enterprise={report.enterprise.uscc}&report={report.pk}"
    ).content.decode()
    assert "物流运输不畅" in form and "原材料运不进来" in form
    response = client.post(
        f"/problems/new/?enterprise={report.enterprise.uscc}",
        {
            "report": report.pk,
            "category": "物流运输不畅",
            "urgency": "normal",
            "title": "物流运输不畅",
            "description": "原材料运不进来",
        },
    )
    assert response.status_code == 302
    made = WorkOrder.objects.get()
    assert (made.source, made.report_id) == ("report", report.pk)
