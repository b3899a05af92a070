"""Setting up the outbox's channels without the admin site, for scripted intranet installs
(`python manage.py channels add|list|test`, issue 14 §2).

A channel is checked by the same rules as in the admin (`Channel.clean`, `full_clean`), and the
test sends at once, not through the outbox runners, so that the operator's script learns there
and then whether the gateway took the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fugong.core import audit
from fugong.core.errors import NotFound, ValidationFailed
from fugong.notify.delivery import send_now
from fugong.notify.models import Channel, Delivery, Topic

KIND_NAMES = {"mail": Channel.Kind.EMAIL, **{k.value: k for k in Channel.Kind}}


@dataclass(frozen=True)
class NewChannel:
    kind: str
    url: str = ""
    token: str = ""
    name: str = ""
    region: str | None = None
    topics: tuple[str, ...] = ()
    sender: str = ""


def messages_of(exc: ValidationError) -> str:
    return "；".join(m for messages in exc.message_dict.values() for m in messages)


@transaction.atomic
def do_add_channel(new: NewChannel, *, actor: Any, channel: str) -> Channel:
    kind = KIND_NAMES.get(new.kind)
    if kind is None:
        raise ValidationFailed(f"渠道类型“{new.kind}”不存在，可选：sms、mail、wecom、dingtalk")
    name = new.name.strip() or Channel.Kind(kind).label
    if Channel.objects.filter(name=name).exists():
        raise ValidationFailed(f"已有名为“{name}”的渠道，请用 --name 另取一个名称")
    row = Channel(
        kind=kind,
        name=name,
        url=new.url,
        secret=new.token,
        sender=new.sender,
        region_id=new.region,
        topics=list(new.topics),
    )
    try:
        row.full_clean()
    except ValidationError as exc:
        raise ValidationFailed(messages_of(exc)) from exc
    row.save()
    audit.record(
        actor=actor,
        channel=channel,
        action="notify.channel_add",
        obj=row,
        # the token is a secret: only whether one was given
        changes={
            "kind": [None, kind],
            "name": [None, name],
            "url": [None, new.url],
            "token": [None, bool(new.token)],
        },
    )
    return row


def channel_named(name: str) -> Channel:
    rows = list(Channel.objects.filter(name=name)) or (
        list(Channel.objects.filter(pk=int(name))) if name.isdigit() else []
    )
    if not rows:
        raise NotFound(f"没有名为“{name}”的渠道，可用 channels list 查看")
    if len(rows) > 1:
        raise ValidationFailed(
            f"有{len(rows)}个名为“{name}”的渠道，请改用编号：{'、'.join(str(r.pk) for r in rows)}"
        )
    return rows[0]


def do_test_channel(row: Channel, *, to: str, actor: Any, channel: str) -> str | None:
    """Sends a test message through the channel now; None when it was taken, else the reason.
    SMS and e-mail go to `to` (a phone or an address); group robots to their group."""
    if row.personal and not to:
        what = "手机号" if row.kind == Channel.Kind.SMS else "邮箱"
        raise ValidationFailed(f"请用 --to 指定接收测试消息的{what}")
    delivery = Delivery.objects.create(
        channel=row,
        address=to if row.personal else "",
        topic=Topic.MANUAL,
        title="测试消息",
        body=f"这是复工通发出的测试消息（{row.name}），收到说明设置正确。",
        status=Delivery.Status.SENDING,
        attempts=1,
        next_attempt_at=timezone.now(),
    )
    audit.record(actor=actor, channel=channel, action="notify.test", obj=row)
    return send_now(delivery, delivery.body)
