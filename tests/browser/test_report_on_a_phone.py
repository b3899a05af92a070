"""In a real browser (Debian's chromium): a reporter fills the mobile form, the board changes.

Runs last (pytest-django orders transactional tests after the others) against a live server,
and sets up its own data, since a transactional test empties the database when it ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from tests.support.browser import sign_in


def tile(page: Any, label: str) -> int:
    return int(page.locator(".tile", has_text=label).locator("b").inner_text())


def test_a_reporter_submits_on_a_phone_and_the_dispatchers_board_changes(
    live_server: Any, browser: Any, scene: dict[str, Any]
) -> None:
    shots = Path(settings.VAR_DIR)
    desk = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(desk, live_server.url, "cc-dispatcher")
    desk.goto(f"{live_server.url}/dispatch/board/?plan={scene['plan'].pk}")
    assert (tile(desk, "应报"), tile(desk, "已报"), tile(desk, "未报")) == (2, 0, 2)
    assert desk.locator("#missing").get_by_text("长春南关汽车零部件有限公司").count() == 1

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
    ).new_page()
    sign_in(phone, live_server.url, "cc-reporter")
    assert phone.get_by_text("今日尚未报送").is_visible()  # a reporter lands on their enterprise's page
    phone.get_by_text("填报今日情况").click()
    phone.get_by_label("已复工").check()
    phone.get_by_label("报到人数").fill("300")
    phone.get_by_label("报到后隔离").fill("20")
    phone.get_by_label("实际到岗").fill("260")
    phone.get_by_label("产能恢复比例（%）").fill("55")
    phone.get_by_label("测温").check()
    phone.screenshot(path=str(shots / "mobile-report-form.png"), full_page=True)
    phone.get_by_role("button", name="报送").click()
    assert phone.get_by_text("今日已报送").is_visible()
    phone.screenshot(path=str(shots / "mobile-after-report.png"))

    desk.reload()
    assert (tile(desk, "应报"), tile(desk, "已报"), tile(desk, "未报")) == (2, 1, 1)
    assert desk.locator("#missing").get_by_text("长春南关汽车零部件有限公司").count() == 0
    desk.screenshot(path=str(shots / "board-after-report.png"), full_page=True)


def test_the_dashboard_draws_its_charts_and_drills_down(
    live_server: Any, browser: Any, scene: dict[str, Any]
) -> None:
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(page, live_server.url, "province-viewer")
    page.goto(f"{live_server.url}/dispatch/dashboard/?plan={scene['plan'].pk}")
    assert page.locator("h1").inner_text().startswith("吉林省")
    page.wait_for_function("() => echarts.getInstanceByDom(document.getElementById('chart-regions'))")
    names = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-regions')).getOption().xAxis[0].data"
    )
    assert "长春市" in names
    assert page.locator("#chart-trend canvas").count() == 1
    provinces_map = (
        "() => echarts.getInstanceByDom(document.getElementById('chart-map')).getOption().series[0].map"
    )
    assert page.evaluate(provinces_map) == "吉林"  # the vendored map is registered and drawn
    page.screenshot(path=str(Path(settings.VAR_DIR) / "dashboard.png"), full_page=True)
    with page.expect_navigation():
        page.evaluate("() => window.fugongDrill('220100')")
    assert "region=220100" in page.url and page.locator("h1").inner_text().startswith("长春市")
    # The city's own map, its counties coloured by their figures, then on down to a county.
    page.wait_for_function("() => echarts.getInstanceByDom(document.getElementById('chart-map'))")
    assert page.evaluate(provinces_map) == "长春"
    shown = page.evaluate(
        """() => {
            const features = echarts.getMap('长春').geoJSON.features.map(f => f.properties.name);
            const option = echarts.getInstanceByDom(document.getElementById('chart-map')).getOption();
            return option.series[0].data.filter(d => features.includes(d.name) && d.value != null)
                .map(d => d.name);
        }"""
    )
    assert "南关区" in shown  # the county with a report is drawn in colour, matched by name
    page.screenshot(path=str(Path(settings.VAR_DIR) / "dashboard-changchun.png"), full_page=True)
    with page.expect_navigation():
        page.evaluate("() => window.fugongDrill('220102')")
    assert page.locator("h1").inner_text().startswith("南关区")
    assert page.locator("#chart-map").count() == 0  # no shapes below a county: bars only
