"""The Content-Security-Policy in a real browser: the main pages load and work with no violation.

The policy (config/settings.py, django-csp) allows this site's own files and nothing inline. A
violation shows in two ways, both listened for: a `securitypolicyviolation` event in the page
(collected by a script Playwright injects, which the policy does not govern) and the console
message chromium prints. Each page is then checked for what shows it works: the map's canvas is
drawn, htmx is loaded and polls, Swagger UI lists the operations.
"""

from __future__ import annotations

from typing import Any

from fugong.accounts.models import User
from tests.support.browser import sign_in

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A page whose CSP violations (events and console messages) are collected."""

    def __init__(self, context: Any) -> None:
        context.add_init_script(COLLECT)
        self.page = context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.console.append(f"页面脚本错误：{e}"))

    def visit(self, url: str) -> Any:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        assert "default-src 'self'" in response.headers.get("content-security-policy", ""), url
        self.page.wait_for_load_state("networkidle")
        return self.page

    def violations(self) -> list[str]:
        found = list(self.page.evaluate("window.__csp || []"))
        found += [m for m in self.console if "Content Security Policy" in m or "页面脚本错误" in m]
        return found


def test_the_main_pages_pass_the_content_security_policy_and_still_work(
    live_server: Any,
    browser: Any,
    scene: dict[str, Any],
) -> None:
    base, plan = live_server.url, scene["plan"].pk
    desk = Watched(browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN"))
    sign_in(desk.page, base, "cc-dispatcher")
    pages = {
        f"/dispatch/dashboard/?plan={plan}": "#chart-map canvas",
        f"/dispatch/board/?plan={plan}": ".tile",
        f"/dispatch/brief/?plan={plan}": "main h1",
        "/dispatch/plans/": "main h1",
        "/problems/": "main h1",
        "/enterprises/": "main h1",
        f"/dispatch/import/?plan={plan}": "input[name=file]",
        "/enterprises/import/": "input[name=file]",
        "/notifications/": "main h1",
        "/password/": "input[name=new_password1]",
    }
    for path, proof in pages.items():
        page = desk.visit(base + path)
        assert page.locator(proof).count() >= 1, f"{path}: {proof} missing"
        assert page.evaluate("typeof htmx") == "object", f"{path}: htmx not loaded"
        assert desk.violations() == [], f"{path}: {desk.violations()}"
    # the map and the charts are drawn (ECharts sets its styles through the CSSOM, which CSP allows)
    desk.visit(f"{base}/dispatch/dashboard/?plan={plan}")
    assert desk.page.locator("#chart-map canvas").first.bounding_box()["width"] > 100
    assert desk.page.locator("#chart-trend canvas").count() == 1

    docs = desk.visit(f"{base}/api/v1/docs")
    docs.wait_for_selector(".opblock", timeout=15000)  # Swagger UI started from its static init script
    assert docs.locator(".opblock").count() > 10
    assert desk.violations() == [], f"/api/v1/docs: {desk.violations()}"

    User.objects.filter(username="cc-dispatcher").update(is_staff=True, is_superuser=True)
    for path in ("/admin/", "/admin/core/auditevent/", "/admin/accounts/user/add/"):
        desk.visit(base + path)
        assert desk.violations() == [], f"{path}: {desk.violations()}"

    phone = Watched(
        browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN"
        )
    )
    sign_in(phone.page, base, "cc-reporter")
    form = phone.visit(f"{base}/dispatch/e/{scene['enterprise'].uscc}/report/")
    assert form.locator("input[name=reported_back]").count() == 1
    assert phone.violations() == [], phone.violations()


def test_an_inline_script_would_be_caught(
    live_server: Any,
    browser: Any,
    scene: dict[str, Any],
) -> None:
    """The listener itself works: a page that runs an inline script is reported (else the test above proves nothing)."""
    watched = Watched(browser.new_context())
    page = watched.visit(f"{live_server.url}/login/")
    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.x = 1"; document.body.append(s); }"""
    )
    page.wait_for_function("window.__csp.length > 0")
    assert any("script-src" in v or "Content Security Policy" in v for v in watched.violations())
    assert page.evaluate("window.x") is None
