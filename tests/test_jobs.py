"""Background jobs: a big import runs in a worker, its page shows progress and the outcome."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command

from fugong.core import jobs
from fugong.core.models import Job
from fugong.enterprises.models import Enterprise
from tests.conftest import World, uscc
from tests.support import sheets
from tests.support.sheets import ENTERPRISE_HEADER


def upload(rows: list[list[Any]]) -> io.BytesIO:
    f = io.BytesIO(sheets.xlsx(("名单", rows)))
    f.name = "大名单.xlsx"
    return f


def test_a_big_upload_is_imported_by_the_worker_and_its_page_shows_the_result(
    world: World, settings: Any
) -> None:
    settings.FUGONG_BACKGROUND_IMPORT_BYTES = 1
    rows = [ENTERPRISE_HEADER] + [
        [uscc("220102", 7000 + i), f"长春批量{i}号有限公司", "220102", "C36", "", "", "", 10 + i, "", ""]
        for i in range(30)
    ]
    client = world.client("changchun")
    response = client.post("/enterprises/import/", {"file": upload(rows)})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert "排队中" in client.get(response["Location"]).content.decode()
    assert not Enterprise.objects.filter(name__startswith="长春批量").exists()

    call_command("run_jobs", "--once", stdout=io.StringIO())

    job.refresh_from_db()
    assert (job.status, job.progress_done, job.progress_total, job.data) == ("done", 30, 30, None)
    assert Enterprise.objects.filter(name__startswith="长春批量").count() == 30
    page = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "导入完成：共30行，新增30" in page and "hx-trigger" not in page


def test_a_bad_big_file_fails_with_its_message_and_writes_nothing(world: World, settings: Any) -> None:
    settings.FUGONG_BACKGROUND_IMPORT_BYTES = 1
    rows = [
        ENTERPRISE_HEADER,
        [uscc("220102", 7100), "长春批量甲有限公司", "220102", "", "", "", "", "-3", "", ""],
    ]
    client = world.client("changchun")
    client.post("/enterprises/import/", {"file": upload(rows)})
    call_command("run_jobs", "--once", stdout=io.StringIO())
    job = Job.objects.get()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "有 1 行错误，本次未写入任何数据" in page and "不能小于0" in page
    assert not Enterprise.objects.filter(name__startswith="长春批量").exists()


def test_an_unreadable_big_file_fails_with_a_clear_message(world: World, settings: Any) -> None:
    settings.FUGONG_BACKGROUND_IMPORT_BYTES = 1
    f = io.BytesIO(sheets.docx_like())
    f.name = "名单.xlsx"
    world.client("changchun").post("/enterprises/import/", {"file": f})
    call_command("run_jobs", "--once", stdout=io.StringIO())
    job = Job.objects.get()
    assert job.status == "failed" and "Word 文档" in job.error


def test_only_the_person_who_started_a_job_sees_it(world: World) -> None:
    job = jobs.enqueue(
        "enterprise_import", user=world.user("changchun"), payload={"filename": "x.csv"}, data=b""
    )
    assert world.client("changchun").get(f"/jobs/{job.pk}/").status_code == 200
    assert world.client("jilin").get(f"/jobs/{job.pk}/").status_code == 404


def test_two_claims_never_get_the_same_job(world: World) -> None:
    first = jobs.enqueue("enterprise_import", user=world.user("changchun"), payload={}, data=b"")
    second = jobs.enqueue("enterprise_import", user=world.user("changchun"), payload={}, data=b"")
    claimed = [jobs.claim_next(), jobs.claim_next(), jobs.claim_next()]
    assert [j.pk if j else None for j in claimed] == [first.pk, second.pk, None]
    assert Job.objects.filter(status="running").count() == 2
