"""Every persona reaches the pages of its role from the navigation, and no link it is shown fails.

The crawl follows same-site GET links from the page header and from the pages reached, a bounded
number of them, as each persona of tests/conftest.py; a link that answers 403, 404 or a server
error is a link the person should not have been offered.
"""

from __future__ import annotations

import datetime
from collections import deque
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from fugong.accounts.models import User
from fugong.dispatch.models import Plan, Report
from fugong.problems.actions import check_create_problem
from fugong.problems.models import Category
from tests.conftest import World

# Which README pages each persona's role uses (the README's 主要页面 table, "谁用").
ROLE_PAGES = {
    "province": ["dashboard", "brief", "board", "import", "plans", "key_lists", "problems", "scorecard", "enterprises", "notifications"],
    "changchun": ["dashboard", "brief", "board", "import", "plans", "key_lists", "problems", "scorecard", "enterprises", "notifications"],
    "jilin": ["dashboard", "brief", "board", "import", "plans", "key_lists", "problems", "scorecard", "enterprises", "notifications"],
    "leader": ["dashboard", "brief", "board", "key_lists", "problems", "scorecard", "notifications"],
    "liaison": ["enterprise_home", "import", "problems", "notifications"],
    "reporter": ["enterprise_home", "problems", "notifications"],
    "handler": ["problems", "notifications"],
    "admin": ["dashboard", "brief", "board", "import", "plans", "key_lists", "problems", "scorecard", "enterprises", "notifications", "admin_notify"],
    "outsider": ["notifications"],
}
PAGE_PATHS = {
    "dashboard": "/dispatch/dashboard/",
    "brief": "/dispatch/brief/",
    "board": "/dispatch/board/",
    "import": "/dispatch/import/",
    "plans": "/dispatch/plans/",
    "key_lists": "/lists/",
    "problems": "/problems/",
    "scorecard": "/problems/scorecard/",
    "enterprises": "/enterprises/",
    "notifications": "/notifications/",
    "admin_notify": "/admin/notify/",
    "enterprise_home": "/dispatch/e/",
}
MAX_PAGES = 60
# Not crawled: signing out would end the crawl; the admin's and the API's pages are Django's and
# Ninja's own (their first page is still opened when it is in the navigation, see crawl()).
SKIP_PREFIXES = ("/logout/", "/admin/", "/static/", "/api/")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.nav: list[str] = []
        self.all: list[str] = []
        self._in_header = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "header":
            self._in_header += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.all.append(href)
            if self._in_header:
                self.nav.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self._in_header -= 1


def links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def same_site(href: str, base: str = "/") -> str | None:
    """The link as a path on this site (relative ones like "?region=…" resolved), else None."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    return urldefrag(urljoin(base, href))[0] or None


def open_page(client: Client, url: str) -> tuple[int, str, str]:
    response = client.get(url, follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else url
    is_html = response.get("Content-Type", "").startswith("text/html")
    body = response.content.decode() if is_html else ""
    return response.status_code, final, body


@pytest.fixture
def lively(world: World, plan: Plan) -> Plan:
    """Today's plan with one report and one problem, so the pages have rows and links to follow."""
    nanguan = world.enterprise("nanguan")
    today = timezone.localdate()
    Report.objects.create(
        enterprise=nanguan,
        date=today,
        resumed=True,
        resumed_on=today - datetime.timedelta(days=3),
        baseline_headcount=480,
        reported_back=400,
        isolated=0,
        on_duty=390,
        capacity_pct=Decimal(80),
        received_at=timezone.now(),
        updated_at=timezone.now(),
        revision_count=1,
    )
    category = Category.objects.filter(active=True).first()
    assert category is not None
    check_create_problem(
        world.user("reporter"),
        nanguan,
        {"category": category.name, "title": "货车通行证办不下来", "description": "三辆货车进不了园区"},
    )
    return plan


def crawl(client: Client) -> tuple[list[str], dict[str, tuple[int, str]]]:
    """The nav links of the home page, and every page reached with its status (by first link)."""
    status, _, home = open_page(client, "/")
    assert status == 200
    nav = [u for u in (same_site(h) for h in links(home).nav) if u]
    seen: dict[str, tuple[int, str]] = {}
    queue = deque((u, "页头导航") for u in nav)
    while queue and len(seen) < MAX_PAGES:
        url, found_on = queue.popleft()
        if url in seen or url.startswith(SKIP_PREFIXES):
            continue
        status, final, body = open_page(client, url)
        seen[url] = (status, found_on)
        for href in links(body).all:
            target = same_site(href, final)
            if target and target not in seen:
                queue.append((target, url))
    return nav, seen


@pytest.mark.parametrize("persona", list(ROLE_PAGES))
def test_no_link_a_persona_is_shown_leads_to_a_refusal_or_an_error(
    world: World, lively: Plan, persona: str
) -> None:
    _, seen = crawl(world.client(persona))
    broken = {url: found for url, found in seen.items() if found[0] in (403, 404) or found[0] >= 500}
    assert broken == {}, f"{persona}: links that fail (status, found on): {broken}"
    assert len(seen) >= 5  # the crawl did open pages


@pytest.mark.parametrize("persona", list(ROLE_PAGES))
def test_every_readme_page_of_a_personas_role_is_in_its_navigation(
    world: World, lively: Plan, persona: str
) -> None:
    if persona == "admin":  # like demo-admin: the system administrator also keeps Django's admin
        User.objects.filter(username="admin").update(is_staff=True, is_superuser=True)
    client = world.client(persona)
    status, final, home = open_page(client, "/")
    assert status == 200
    nav = {urlsplit(u).path for u in (same_site(h) for h in links(home).nav) if u}
    missing = []
    for page in ROLE_PAGES[persona]:
        path = PAGE_PATHS[page]
        if page == "enterprise_home":
            # a reporter lands on their enterprise; a liaison's home lists the firms they look after
            reached = final.startswith(path) or any(
                same_site(h) and str(same_site(h)).startswith(path) for h in links(home).all
            )
        else:
            reached = any(p == path for p in nav)
        if not reached:
            missing.append(path)
    assert missing == [], f"{persona} cannot reach from the navigation: {missing}"


def test_the_navigation_offers_nothing_the_persona_may_not_open(world: World, lively: Plan) -> None:
    leader_nav = links(open_page(world.client("leader"), "/")[2]).nav
    assert "/dispatch/import/" not in leader_nav  # a leader reports for no one
    reporter_nav = links(open_page(world.client("reporter"), "/")[2]).nav
    assert not any(h.startswith("/dispatch/board/") for h in reporter_nav)
