"""Reporter accounts from the enterprise registry (their invitations: accounts.invitations).

The registry's 联系人 and 联系电话 are who reports for an enterprise. One account per mobile phone
(a group's clerk reports for several enterprises with one phone; an enterprise whose cell lists
two phones has two reporters), each tied to its enterprises by a reporter Membership. The
enterprise's registry reporters are the accounts of the phones its 联系电话 cell holds: when the
cell changes, the memberships of the phones no longer in it are deactivated (kept, with their
audit rows, as history) and the new phones' added. Nothing else is ever granted here: an
account made from a sheet can report for its enterprises and no more.

Batch-first, as the import it runs beside: a chunk of rows costs a handful of queries whatever
its size (the enterprises in scope, the accounts by phone, their memberships, then plain
inserts and two updates), and the invitations are only queued in the outbox (`do_notify`), whose
runner sends them later under its rate limits and quiet hours.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fugong.accounts.invitations import queue_invitations
from fugong.accounts.models import Membership, User
from fugong.core import audit, bulk
from fugong.core.access import Action, Role
from fugong.core.cells import CellError
from fugong.core.phones import masked, normalize_mobile
from fugong.enterprises.models import Enterprise

CHUNK = 1000
# how the registry's 联系电话 lists several numbers (its own parser allows these separators)
PHONE_LIST = re.compile(r"[、,，/;；]")


@dataclass(frozen=True)
class ContactRow:
    """One enterprise's contact as the sheet gives it; `previous_phone` is the 联系电话 the
    registry held before this import (whose accounts are the ones a change moves away from)."""

    row: int
    uscc: str
    contact_name: str
    contact_phone: str
    previous_phone: str = ""


@dataclass
class EnrolResult:
    created: int = 0  # new accounts
    linked: int = 0  # reporter memberships given to accounts that existed already
    moved: int = 0  # enterprises whose registry reporter went to another phone
    invited: int = 0  # invitations queued
    rejected: dict[int, str] = field(default_factory=dict)  # row → reason

    def summary(self) -> str:
        return (
            f"填报账号：新建{self.created}，关联已有账号{self.linked}，更换手机号{self.moved}，"
            f"因联系电话拒绝{len(self.rejected)}"
        )


def parse_phones(value: Any) -> list[str]:
    """The mobile numbers of a 联系电话 cell, in order, without repeats; CellError for the first
    one that is not a mobile (an account signs in by SMS code, so a landline cannot be one)."""
    if isinstance(value, int | float):
        return [normalize_mobile(value)]
    phones: list[str] = []
    for part in PHONE_LIST.split(str(value or "")):
        if part.strip():
            phone = normalize_mobile(part.strip())
            if phone not in phones:
                phones.append(phone)
    if not phones:
        raise CellError("缺少手机号码，请填写11位手机号")
    return phones


def phones_or_none(value: Any) -> list[str]:
    """The mobiles of a stored 联系电话, or none when it held something else (an old landline)."""
    try:
        return parse_phones(value) if str(value or "").strip() else []
    except CellError:
        return []


def wants_account(contact_name: Any, contact_phone: Any) -> bool:
    """A row names a reporter when it has both a 联系人 and a 联系电话."""
    return bool(str(contact_name or "").strip() and str(contact_phone or "").strip())


def contacts_of(enterprises: Iterable[Enterprise]) -> list[ContactRow]:
    """The rows for enterprises already in the registry (a script, the benchmark)."""
    return [
        ContactRow(n, e.uscc, e.contact_name, e.contact_phone) for n, e in enumerate(enterprises, start=1)
    ]


def do_enrol_reporters(
    user: Any,
    enterprises_with_contacts: Sequence[ContactRow],
    *,
    channel: str,
    now: datetime.datetime | None = None,
) -> EnrolResult:
    """Creates or links the reporter accounts of the rows' enterprises, moves them when a phone
    changed, queues one invitation per new account; rows with a bad phone, or whose enterprise
    the user may not change, are rejected and nothing is written for them."""
    now = now or timezone.now()
    result = EnrolResult()
    invitations: dict[int, list[tuple[str, str]]] = {}  # new account → its enterprises (uscc, name)
    done: set[tuple[int, int]] = set()  # (user, enterprise) already settled by an earlier row
    with transaction.atomic():
        for start in range(0, len(enterprises_with_contacts), CHUNK):
            chunk = enterprises_with_contacts[start : start + CHUNK]
            enrol_chunk(user, chunk, channel, now, result, invitations, done)
        result.invited = queue_invitations(user, invitations, now)
    return result


@dataclass
class Wanted:
    row: ContactRow
    enterprise_id: int
    enterprise_name: str
    contact: str
    phones: list[str]
    previous: list[str]


def enrol_chunk(
    user: Any,
    chunk: Sequence[ContactRow],
    channel: str,
    now: datetime.datetime,
    result: EnrolResult,
    invitations: dict[int, list[tuple[str, str]]],
    done: set[tuple[int, int]],
) -> None:
    wanted = read_rows(user, chunk, result)
    if not wanted:
        return
    accounts = ensure_accounts(user, wanted, channel, now, result, invitations)
    settle_memberships(user, wanted, accounts, channel, now, result, invitations, done)


def read_rows(user: Any, chunk: Sequence[ContactRow], result: EnrolResult) -> list[Wanted]:
    """The rows that name a reporter, with their phones parsed and their enterprise in the
    user's scope (one query: the enterprises the user may change among the chunk's)."""
    parsed: list[tuple[ContactRow, list[str]]] = []
    for row in chunk:
        if not wants_account(row.contact_name, row.contact_phone):
            continue
        try:
            parsed.append((row, parse_phones(row.contact_phone)))
        except CellError as exc:
            result.rejected[row.row] = f"联系电话“{row.contact_phone}”：{exc}"
    if not parsed:
        return []
    changeable = {
        uscc: (pk, name)
        for uscc, pk, name in Enterprise.objects.visible_to(user, Action.CHANGE)
        .filter(bulk.AnyOf(F("uscc"), {r.uscc for r, _ in parsed}))
        .values_list("uscc", "pk", "name")
    }
    wanted = []
    for row, phones in parsed:
        if row.uscc not in changeable:
            result.rejected[row.row] = "该企业不存在或不在您的管辖范围内，不能为其开通填报账号"
            continue
        pk, name = changeable[row.uscc]
        previous = [p for p in phones_or_none(row.previous_phone) if p not in phones]
        wanted.append(Wanted(row, pk, name, str(row.contact_name).strip()[:40], phones, previous))
    return wanted


def ensure_accounts(
    user: Any,
    wanted: list[Wanted],
    channel: str,
    now: datetime.datetime,
    result: EnrolResult,
    invitations: dict[int, list[tuple[str, str]]],
) -> dict[str, int]:
    """Phone → account id for every phone the rows name (new or previous), making the accounts
    of the new phones that have none."""
    phones = {p for w in wanted for p in (*w.phones, *w.previous)}
    accounts = dict(User.objects.filter(bulk.AnyOf(F("phone"), phones)).values_list("phone", "pk"))
    missing: dict[str, Wanted] = {}
    for w in wanted:  # the first row naming a phone names its account
        for p in w.phones:
            if p not in accounts:
                missing.setdefault(p, w)
    if missing:
        # a user name that is a phone but whose account has another phone (made by hand) must
        # not be taken over, nor block the whole import with a unique-key failure
        taken = set(
            User.objects.filter(bulk.AnyOf(F("username"), missing)).values_list("username", flat=True)
        )
        for phone in taken:
            for w in wanted:
                if phone in w.phones:
                    result.rejected[w.row.row] = (
                        f"手机号{masked(phone)}已是另一账号的用户名，但该账号登记的手机号不同，请管理员核对后再导入"
                    )
        wanted[:] = [w for w in wanted if w.row.row not in result.rejected]
        missing = {p: w for p, w in missing.items() if p not in taken and w.row.row not in result.rejected}
    if not missing:
        return accounts
    bulk.insert_rows(
        User,
        [
            {
                "username": phone,
                "phone": phone,
                "display_name": w.contact,
                # never a password: a reporter signs in by SMS code
                "password": UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
                "first_name": "",
                "last_name": "",
                "email": "",
                "is_staff": False,
                "is_superuser": False,
                "is_active": True,
                "date_joined": now,
            }
            for phone, w in missing.items()
        ],
    )
    made = dict(User.objects.filter(bulk.AnyOf(F("phone"), missing)).values_list("phone", "pk"))
    accounts.update(made)
    audit.record_many(
        audit.event_fields(
            user,
            channel,
            "user.create",
            object_type="user",
            object_key=str(pk),
            changes={
                "username": [None, phone],
                "phone": [None, phone],
                "display_name": [None, missing[phone].contact],
            },
            note=f"企业名单导入：填报员 {missing[phone].contact} {masked(phone)}",
        )
        for phone, pk in made.items()
    )
    result.created += len(made)
    for pk in made.values():
        invitations[pk] = []
    return accounts


def settle_memberships(
    user: Any,
    wanted: list[Wanted],
    accounts: dict[str, int],
    channel: str,
    now: datetime.datetime,
    result: EnrolResult,
    invitations: dict[int, list[tuple[str, str]]],
    done: set[tuple[int, int]],
) -> None:
    """Adds (or reactivates) the reporter membership of each phone for its enterprise, and
    deactivates those of the phones the enterprise's 联系电话 no longer holds."""
    stored: dict[tuple[int, int], tuple[int, bool]] = {}
    for pk, user_id, enterprise_id, active in Membership.objects.filter(
        bulk.AnyOf(F("enterprise_id"), {w.enterprise_id for w in wanted}),
        bulk.AnyOf(F("user_id"), set(accounts.values())),
        role=Role.REPORTER,
    ).values_list("pk", "user_id", "enterprise_id", "active"):
        key = (user_id, enterprise_id)
        if key not in stored or active:  # an active one wins over an old deactivated one
            stored[key] = (pk, active)
    adding: list[tuple[int, Wanted, str]] = []
    reviving: list[tuple[int, Wanted, str]] = []
    dropping: list[tuple[int, Wanted, str]] = []
    for w in wanted:
        for phone in w.phones:
            key = (accounts[phone], w.enterprise_id)
            if key in done:
                continue
            done.add(key)
            membership, active = stored.get(key, (0, False))
            if membership and not active:
                reviving.append((membership, w, phone))
            elif not membership:
                adding.append((accounts[phone], w, phone))
        dropped = False
        for phone in w.previous:
            membership, active = stored.get((accounts.get(phone, 0), w.enterprise_id), (0, False))
            if active:
                dropping.append((membership, w, phone))
                dropped = True
        if dropped:  # the registry's reporter went to the cell's other phone(s)
            result.moved += 1
    # accounts made by this run were counted as created; the others were linked
    result.linked += sum(1 for uid, _, _ in adding if uid not in invitations)
    result.linked += len(reviving)
    write_memberships(user, adding, reviving, dropping, channel, now)
    for uid, w, _ in adding:
        if uid in invitations:
            invitations[uid].append((w.row.uscc, w.enterprise_name))


def write_memberships(
    user: Any,
    adding: list[tuple[int, Wanted, str]],
    reviving: list[tuple[int, Wanted, str]],
    dropping: list[tuple[int, Wanted, str]],
    channel: str,
    now: datetime.datetime,
) -> None:
    bulk.insert_rows(
        Membership,
        [
            {
                "user": uid,  # bulk rows name foreign keys by field and give their ids
                "role": Role.REPORTER,
                "region": None,
                "department": None,
                "enterprise": w.enterprise_id,
                "active": True,
                "created_at": now,
            }
            for uid, w, _ in adding
        ],
    )
    added_ids: dict[tuple[int, int], int] = {}
    if adding:
        added_ids = {
            (uid, eid): pk
            for pk, uid, eid in Membership.objects.filter(
                bulk.AnyOf(F("enterprise_id"), {w.enterprise_id for _, w, _ in adding}),
                role=Role.REPORTER,
                active=True,
                created_at=now,
            ).values_list("pk", "user_id", "enterprise_id")
        }
    if reviving:
        Membership.objects.filter(bulk.AnyOf(F("pk"), [pk for pk, _, _ in reviving])).update(active=True)
    if dropping:
        Membership.objects.filter(bulk.AnyOf(F("pk"), [pk for pk, _, _ in dropping])).update(active=False)
    events = []
    for uid, w, phone in adding:
        events.append(
            membership_event(
                user,
                channel,
                "membership.add",
                added_ids.get((uid, w.enterprise_id), 0),
                {
                    "role": [None, Role.REPORTER],
                    "enterprise_id": [None, w.enterprise_id],
                    "active": [None, True],
                },
                f"企业名单导入：{w.enterprise_name} 填报员 {w.contact} {masked(phone)}",
            )
        )
    for pk, w, phone in reviving:
        events.append(
            membership_event(
                user,
                channel,
                "membership.change",
                pk,
                {"active": [False, True]},
                f"企业名单导入：{w.enterprise_name} 恢复填报员 {masked(phone)}",
            )
        )
    for pk, w, phone in dropping:
        events.append(
            membership_event(
                user,
                channel,
                "membership.disable",
                pk,
                {"active": [True, False]},
                f"企业名单导入：{w.enterprise_name} 联系电话已改为 {'、'.join(map(masked, w.phones))}，"
                f"停用原填报员 {masked(phone)}",
            )
        )
    audit.record_many(events)


def membership_event(
    user: Any, channel: str, action: str, pk: int, changes: dict[str, Any], note: str
) -> dict[str, Any]:
    return audit.event_fields(
        user, channel, action, object_type="membership", object_key=str(pk), changes=changes, note=note
    )
