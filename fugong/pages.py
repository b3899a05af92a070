"""The pages in the navigation, each with who may open it: one list, read by the page header.

Like `fugong/api.py` this module sits above the apps and gathers from them. Each predicate is
the rule the page's view enforces (or a narrower one: who the page is *for*), so the header
never offers a link that answers 403; tests/test_navigation.py crawls every persona's links
to hold that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from fugong.core.access import Action, administers_somewhere, may_anywhere, reports_for_others
from fugong.problems.scorecards import can_read_scorecards


def everyone(user: Any) -> bool:
    return True


def reads_regions(user: Any) -> bool:
    """Dispatchers, leaders and administrators: they read the figures of a region (a handler
    reaches a region only through their department, reporters and liaisons through firms)."""
    return can_read_scorecards(user)


def changes_registry(user: Any) -> bool:
    return may_anywhere(user, Action.CHANGE)


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False))


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    allowed: Callable[[Any], bool]
    url_kwargs: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str:
        return reverse(self.url_name, kwargs=dict(self.url_kwargs))


# In the order of the header; the user's own corner (消息, 接口令牌, 修改密码) is ACCOUNT_PAGES.
PAGES = (
    Page("首页", "home", everyone),
    Page("驾驶舱", "dashboard", reads_regions),
    Page("今日调度", "board", reads_regions),
    Page("调度日报", "brief", reads_regions),
    Page("诉求办理", "problem_list", everyone),
    Page("办理考核", "problem_scorecard", reads_regions),
    Page("企业库", "enterprise_list", reads_regions),
    Page("调度任务", "plan_list", reads_regions),
    Page("重点企业清单", "key_list_index", reads_regions),
    # who uploads filled sheets: anyone who reports for more than their own enterprise (the
    # import view asks for the report permission; a firm's own clerk reports on the phone form)
    Page("导入填报表", "report_import", reports_for_others),
    Page("导入企业名单", "enterprise_import", changes_registry),
    Page("账号管理", "account_list", administers_somewhere),
    Page("通知渠道", "admin:app_list", is_staff, (("app_label", "notify"),)),
    Page("管理后台", "admin:index", is_staff),
)
ACCOUNT_PAGES = (
    # API tokens serve bureaus' systems; a firm's clerk or a liaison works in the browser
    Page("接口令牌", "tokens", reads_regions),
    Page("修改密码", "password_change", everyone),
    Page("我的设备", "devices", everyone),
)


def pages_for(user: Any, pages: tuple[Page, ...] = PAGES) -> list[Page]:
    if user is None or not user.is_authenticated:
        return []
    return [page for page in pages if page.allowed(user)]


def may_open(user: Any, url_name: str) -> bool:
    """Whether the header offers the page to the user (for in-page buttons to the same pages)."""
    return any(p.url_name == url_name for p in pages_for(user, PAGES + ACCOUNT_PAGES))
