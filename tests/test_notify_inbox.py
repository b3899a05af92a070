"""The inbox changes nothing on a GET: messages are marked read by a POST from the page — the
"全部标为已读" button, a message's own "标为已读", or "去处理", which marks it read and follows
its link — and the badge counts what is still unread."""

from __future__ import annotations

from django.test import Client

from fugong.notify.actions import Notice, do_notify
from fugong.notify.models import Notification, Topic
from tests.conftest import World

REPORT_FORM = "/dispatch/e/91220102000000010X/report/?date=2020-02-17"


def two_for_the_reporter(world: World, url: str = REPORT_FORM) -> list[Notification]:
    user = world.user("reporter")
    do_notify(None, [(user.pk, Notice(Topic.REMINDER, "请报送02月17日复工情况", "南关尚未报送", url))])
    do_notify(None, [(user.pk, Notice(Topic.SLA, "【黄灯预警】工单1", ""))])
    return list(Notification.objects.filter(user=user).order_by("id"))


def badge(client: Client) -> str:
    page = client.get("/dispatch/plans/").content.decode()
    return page.split('<span class="badge">')[1].split("<")[0] if '<span class="badge">' in page else ""


def unread(world: World) -> int:
    return Notification.objects.filter(user=world.user("reporter"), read_at__isnull=True).count()


def test_opening_the_inbox_leaves_every_message_unread(world: World) -> None:
    two_for_the_reporter(world)
    client = world.client("reporter")
    inbox = client.get("/notifications/").content.decode()
    assert "请报送02月17日复工情况" in inbox and "全部标为已读" in inbox
    client.get("/notifications/")
    assert unread(world) == 2 and badge(client) == "2"


def test_the_read_all_button_marks_every_message_read_and_clears_the_badge(world: World) -> None:
    two_for_the_reporter(world)
    do_notify(None, [(world.user("liaison").pk, Notice(Topic.MISSING, "截止未报：1户", ""))])
    client = world.client("reporter")
    response = client.post("/notifications/read/", follow=True)
    assert "已将2条消息标为已读" in response.content.decode()
    assert unread(world) == 0 and badge(client) == ""
    assert Notification.objects.get(user__username="liaison").read_at is None  # only the caller's


def test_marking_one_message_read_leaves_the_other_counted(world: World) -> None:
    first, second = two_for_the_reporter(world)
    client = world.client("reporter")
    client.post("/notifications/read/", {"id": second.pk})
    assert badge(client) == "1"
    assert Notification.objects.get(pk=first.pk).read_at is None
    assert Notification.objects.get(pk=second.pk).read_at is not None


def test_going_to_a_message_marks_it_read_and_opens_its_page(world: World) -> None:
    first, _ = two_for_the_reporter(world)
    client = world.client("reporter")
    response = client.post(f"/notifications/{first.pk}/open/")
    assert response.status_code == 302 and response["Location"] == REPORT_FORM
    assert Notification.objects.get(pk=first.pk).read_at is not None and badge(client) == "1"


def test_a_message_pointing_off_the_site_is_marked_read_but_not_followed(world: World) -> None:
    first, _ = two_for_the_reporter(world, url="https://phishing.example/login")
    response = world.client("reporter").post(f"/notifications/{first.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"


def test_someone_elses_message_cannot_be_opened_or_marked(world: World) -> None:
    first, _ = two_for_the_reporter(world)
    liaison = world.client("liaison")
    assert liaison.post(f"/notifications/{first.pk}/open/").status_code == 404
    liaison.post("/notifications/read/", {"id": first.pk})
    assert unread(world) == 2


def test_marking_read_needs_a_post_with_the_csrf_token(world: World) -> None:
    first, _ = two_for_the_reporter(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("reporter"))
    assert client.get("/notifications/read/").status_code == 405
    assert client.post("/notifications/read/").status_code == 403
    assert client.post(f"/notifications/{first.pk}/open/").status_code == 403
    assert unread(world) == 2
    page = client.get("/notifications/").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert client.post("/notifications/read/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert unread(world) == 0
