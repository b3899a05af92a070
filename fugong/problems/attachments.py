"""Attachments of a work order: photos, scans and office files, checked before anything is stored.

Only jpg/png/pdf/doc/docx/xls/xlsx, at most 5 MB each and 5 per upload. The file's first bytes
must match its extension (a renamed .exe is not a .pdf), and the stored content type comes from
the extension, never from what the browser claimed.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone

from fugong.core.access import access_object
from fugong.core.errors import Conflict, ErrorItem, Forbidden, ValidationFailed
from fugong.enterprises.models import Enterprise
from fugong.problems import flow
from fugong.problems.actions import check_create_problem, record
from fugong.problems.models import OPEN_STATUSES, Attachment, Problem

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old Office formats (.doc, .xls)
ZIP = b"PK\x03\x04"  # the new ones (.docx, .xlsx)
KINDS: dict[str, tuple[str, bytes]] = {
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".pdf": ("application/pdf", b"%PDF-"),
    ".doc": ("application/msword", OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xls": ("application/vnd.ms-excel", OLE),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
}
ALLOWED_NAMES = "jpg、png、pdf、doc、docx、xls、xlsx"
# Who may add files: anyone working on the problem, not those who only read it.
R = flow.WorkOrderRole
ATTACHERS = {R.DISPATCHER, R.HANDLER, R.ASSIST, R.ENTERPRISE}


class UploadLike(Protocol):
    name: str | None
    size: int | None

    def read(self, size: int = ...) -> bytes: ...


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    content: bytes


def clean_name(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "附件"
    stem, ext = os.path.splitext(base)
    return stem[: 200 - len(ext)] + ext.lower()


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}MB"


def file_error(message: str) -> ErrorItem:
    return ErrorItem(message, "bad_file", "files", "附件")


def check_files(files: Sequence[UploadLike]) -> list[Upload]:
    """The files, read and checked; any bad one refuses the whole upload (ValidationFailed)."""
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"一次最多上传{MAX_FILES}个附件，您选择了{len(files)}个，请分次上传")
    errors: list[ErrorItem] = []
    uploads = []
    for f in files:
        name = clean_name(f.name)
        ext = os.path.splitext(name)[1]
        size = f.size or 0
        if ext not in KINDS:
            errors.append(file_error(f"“{name}”的类型不支持，只能上传 {ALLOWED_NAMES} 文件"))
        elif size > MAX_BYTES:
            errors.append(file_error(f"“{name}”有{megabytes(size)}，超过每个附件5MB的上限，请压缩或拆分后重新上传"))
        elif size == 0:
            errors.append(file_error(f"“{name}”是空文件，请重新选择"))
        else:
            content_type, magic = KINDS[ext]
            content = f.read()
            if content.startswith(magic):
                uploads.append(Upload(name, content_type, content))
            else:
                errors.append(file_error(f"“{name}”的内容不是{ext[1:]}格式（可能是改了扩展名），请另存为正确格式后上传"))
    if errors:
        raise ValidationFailed.of(errors)
    return uploads


def do_attach(
    user: Any, problem: Problem, files: Sequence[UploadLike], *, now: datetime.datetime | None = None
) -> list[Attachment]:
    """Stores the files on an open problem the user works on, with an "attach" event."""
    uploads = check_files(files)
    with transaction.atomic():
        return store(user, problem, uploads, now or timezone.now())


def store(user: Any, problem: Problem, uploads: list[Upload], now: datetime.datetime) -> list[Attachment]:
    problem = access_object(
        Problem.objects.select_for_update().select_related("level_region", "enterprise__region"),
        user,
        pk=problem.pk,
    )
    if not flow.roles_of(user, problem) & ATTACHERS:
        raise Forbidden("您只能查看此诉求，不能上传附件")
    if problem.status not in OPEN_STATUSES:
        raise Conflict(f"诉求“{problem.get_status_display()}”，不能再上传附件")
    if not uploads:
        raise ValidationFailed("请选择要上传的附件")
    stored = [
        Attachment.objects.create(
            problem=problem,
            name=u.name,
            content_type=u.content_type,
            size=len(u.content),
            content=u.content,
            uploaded_by=user if getattr(user, "pk", None) else None,
        )
        for u in uploads
    ]
    note = "、".join(a.name for a in stored)
    record(
        problem,
        user,
        "attach",
        problem.status,
        problem.status,
        now,
        note,
        {"attachments": [a.pk for a in stored]},
    )
    return stored


def check_create_problem_with_files(
    user: Any,
    enterprise: Enterprise,
    raw: dict[str, Any],
    files: Sequence[UploadLike],
    *,
    now: datetime.datetime | None = None,
) -> Problem:
    """Intake with attachments: the files are checked first, and a problem is only kept together
    with its files (a bad file leaves neither)."""
    now = now or timezone.now()
    uploads = check_files(files)
    with transaction.atomic():
        problem = check_create_problem(user, enterprise, raw, now=now)
        if uploads:
            store(user, problem, uploads, now)
    return problem
