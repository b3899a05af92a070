"""A county dispatcher uploads a filled sheet in the browser and reads the outcome on the job page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from fugong.dispatch.models import Report
from tests.support import sheets
from tests.support.browser import sign_in
from tests.support.sheets import REPORT_HEADER


def upload(page: Any, data: bytes) -> None:
    page.set_input_files(
        "input[name=file]",
        {"name": "长春市调度表.xlsx", "mimeType": "application/octet-stream", "buffer": data},
    )
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")


def test_a_sheet_uploaded_in_the_browser_is_imported_and_a_bad_row_is_shown(
    live_server: Any,
    browser: Any,
    scene: dict[str, Any],
) -> None:
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(page, live_server.url, "cc-dispatcher")
    page.goto(f"{live_server.url}/dispatch/import/?plan={scene['plan'].pk}")
    assert page.locator("a", has_text="填报模板").count() == 1
    e = scene["enterprise"]

    upload(page, sheets.xlsx(("调度表", [REPORT_HEADER, [e.uscc, e.name, "是", 480, 300, 10, 250, "60%"]])))
    assert "导入完成" in page.locator("#job-summary").inner_text()
    assert page.locator("#result-file").count() == 1  # the sheet back, with a result column
    assert Report.objects.get(enterprise=e).on_duty == 250
    page.screenshot(path=str(Path(settings.VAR_DIR) / "import-done.png"), full_page=True)

    page.goto(f"{live_server.url}/dispatch/import/?plan={scene['plan'].pk}")
    upload(page, sheets.xlsx(("调度表", [REPORT_HEADER, [e.uscc, e.name, "是", 480, 300, 10, 400, "60%"]])))
    assert "未写入任何数据" in page.locator("#job-status").inner_text()
    assert "实际到岗人数(400)大于报到人数(300)" in page.locator("#job-rows").inner_text()
    assert Report.objects.get(enterprise=e).on_duty == 250  # nothing written
    page.screenshot(path=str(Path(settings.VAR_DIR) / "import-rejected.png"), full_page=True)
