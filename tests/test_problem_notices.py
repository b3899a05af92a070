"""Whoever must act next on a work order hears of it in the inbox; the one who moved does not."""

from __future__ import annotations

from fugong.notify.models import Notification, Topic
from tests.conftest import World
from tests.support.problems import H, at, dispatched, handling, move


def news(name: str) -> list[str]:
    rows = Notification.objects.filter(user__username=name, topic=Topic.PROBLEM).order_by("id")
    return [title.split("：")[0] for title in rows.values_list("title", flat=True)]


def test_a_dispatch_tells_the_departments_handlers_with_the_sign_limit(world: World) -> None:
    p = dispatched(world, at(2020, 2, 17, 10), at(2020, 2, 17, 10))
    [n] = Notification.objects.filter(user__username="handler", topic=Topic.PROBLEM)
    assert n.title == f"新工单待签收（02月18日10:00前）：工单{p.pk}"
    assert n.body == "长春南关汽车零部件有限公司：原材料运不进来" and n.url == f"/problems/{p.pk}/"
    assert news("changchun") == []  # the dispatcher made the move


def test_a_return_tells_the_dispatchers_with_the_reason(world: World) -> None:
    p = dispatched(world, at(2020, 2, 17, 10), at(2020, 2, 17, 10))
    move(world, "handler", p, "return", at(2020, 2, 17, 11), note="不属于本单位职责")
    assert news("changchun") == ["工单被退回"]
    assert Notification.objects.get(user__username="changchun").body.endswith("说明：不属于本单位职责")


def test_reply_review_and_rating_go_back_and_forth(world: World) -> None:
    start = at(2020, 2, 17, 10)
    p = handling(world, start)
    move(world, "handler", p, "reply", start + 3 * H, note="已协调交警放行")
    assert news("changchun") == ["已答复，待回访审核"]
    move(world, "changchun", p, "review", start + 4 * H)
    assert news("reporter") == ["诉求已答复，请评价"]
    move(world, "reporter", p, "rate", start + 5 * H, rating="unsatisfied", note="还是不放行")
    assert news("handler")[-1] == "企业不满意，请重办"


def test_a_leaders_supervision_reaches_the_handlers(world: World) -> None:
    p = handling(world, at(2020, 2, 17, 10))
    move(world, "leader", p, "supervise", at(2020, 2, 17, 15), note="请今天办结")
    assert news("handler")[-1] == "督办"
