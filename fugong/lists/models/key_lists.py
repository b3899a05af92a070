"""Key-enterprise lists (重点企业清单 / 白名单): who is on them, since when, on whose word.

A list belongs to a region (its tier follows the region's level) and optionally a department.
Enterprises enter through a nomination that climbs the list's approval levels (county nominates
→ city reviews → province approves, or a single level); the last approval opens an entry.
Entries are effective-dated and never overwritten: a removal closes the entry (valid_to, who,
why) and keeps the row, so "who was on the list on day D" is always a query (`on_day`).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from fugong.core.access import Action, RestrictedQuerySet, Scope
from fugong.regions.models import Level, split_path


class Kind(models.TextChoices):
    FOREIGN_TRADE = "foreign_trade", "重点外贸"
    INDUSTRIAL = "industrial", "重点工业"
    CLOSED_LOOP = "closed_loop", "闭环生产白名单"
    PROJECT = "project", "重点项目"
    OTHER = "other", "其他"


class Tier(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    COUNTY = "county", "县级"


# The region levels a list may belong to, and the tier each gives (a town keeps no list).
TIER_OF_LEVEL: dict[str, str] = {
    Level.PROVINCE: Tier.PROVINCE,
    Level.CITY: Tier.CITY,
    Level.COUNTY: Tier.COUNTY,
}
LEVEL_LABELS: dict[str, str] = dict(Tier.choices)  # 省级, 市级, 县级
# Who approves, in order, when a list does not say: a province list is reviewed by the city and
# approved by the province; a city or county list is approved by its own level.
DEFAULT_APPROVAL_LEVELS: dict[str, list[str]] = {
    Tier.PROVINCE: [Level.CITY, Level.PROVINCE],
    Tier.CITY: [Level.CITY],
    Tier.COUNTY: [Level.COUNTY],
}


class KeyListQuerySet(RestrictedQuerySet["KeyList"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        """Changed where the user dispatches (the list's region in their subtree); seen there and
        from below, since a county nominates into its city's and province's lists. Through single
        enterprises (a reporter, a liaison) no list is seen."""
        q = scope.region_q(action, "region__path")
        if action == Action.VIEW:
            above = {code for path in scope.grant(action).paths for code in split_path(path)}
            q |= Q(region_id__in=above)
            # shared read-only with a region that recognises it: seen there and from below
            shared = KeyListShare.objects.filter(region_id__in=above, revoked_at__isnull=True)
            q |= Q(pk__in=shared.values("key_list_id"))
        return q


class KeyList(models.Model):
    """One list of key enterprises, with its stated criteria and approval levels."""

    title = models.CharField("名称", max_length=100)
    kind = models.CharField("类别", max_length=20, choices=Kind.choices, default=Kind.OTHER)
    region = models.ForeignKey("regions.Region", verbose_name="所属区划", on_delete=models.PROTECT)
    department = models.ForeignKey(
        "accounts.Department", verbose_name="牵头部门", null=True, blank=True, on_delete=models.PROTECT
    )
    tier = models.CharField("层级", max_length=10, choices=Tier.choices)
    # [{field, weight}]: stated now, computed by the ranking (issue 15 §1, a later slice)
    criteria = models.JSONField("评定标准", default=list, blank=True)
    # how often listed enterprises must be contacted: {visits, calls, days} (e.g. at least one
    # visit and one call every 30 days); empty: no rule
    contact_rule = models.JSONField("联系频次要求", default=dict, blank=True)
    # the region levels that approve a nomination, in order; the last one's approval publishes
    approval_levels = models.JSONField("审批层级", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = KeyListQuerySet.as_manager()

    class Meta:
        ordering = ["region__path", "title", "pk"]
        verbose_name = verbose_name_plural = "重点企业清单"

    def __str__(self) -> str:
        return self.title

    @property
    def final_level(self) -> str:
        return str(self.approval_levels[-1])


class EntryQuerySet(models.QuerySet["ListEntry"]):
    def on_day(self, day: datetime.date) -> EntryQuerySet:
        """The entries in force on `day`: opened on or before it, not closed by it."""
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gt=day))

    def current(self) -> EntryQuerySet:
        return self.filter(valid_to__isnull=True)


class ListEntry(models.Model):
    """An enterprise on a list from valid_from until valid_to (open: still on it), with the basis
    it was admitted on. Seen through its list and its enterprise (`lists.access`)."""

    key_list = models.ForeignKey(
        KeyList, verbose_name="清单", on_delete=models.CASCADE, related_name="entries"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="list_entries"
    )
    valid_from = models.DateField("列入日期")
    valid_to = models.DateField("移出日期", null=True, blank=True)
    basis = models.JSONField("列入依据", default=dict, blank=True)  # {values: {field: v}, score}
    nomination = models.ForeignKey(
        "Nomination", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nominated_at = models.DateTimeField("提名时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField("移出时间", null=True, blank=True)
    removal_reason = models.CharField("移出理由", max_length=500, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["key_list", "valid_from", "pk"]
        verbose_name = verbose_name_plural = "清单条目"
        constraints = [
            models.UniqueConstraint(
                fields=["key_list", "enterprise"],
                condition=Q(valid_to__isnull=True),
                name="list_entry_one_open_per_enterprise",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="list_entry_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_list_id}:{self.enterprise_id} {self.valid_from}—{self.valid_to or ''}"


class NominationStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已批准"


class Nomination(models.Model):
    """A request to put an enterprise on a list, climbing the list's approval levels.

    `step` indexes the list's approval_levels: the level whose decision is awaited. Every
    decision is appended to `decisions` ({level, by, at, decision, reason}) and audited; a returned
    nomination stays as it was returned, and a new nomination starts over.
    """

    key_list = models.ForeignKey(
        KeyList, verbose_name="清单", on_delete=models.CASCADE, related_name="nominations"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="+"
    )
    nominating_region = models.ForeignKey(
        "regions.Region",
        verbose_name="提名单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField("提名说明", max_length=500, blank=True)
    basis = models.JSONField("列入依据", default=dict, blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nominated_at = models.DateTimeField("提名时间")
    status = models.CharField(
        "状态", max_length=10, choices=NominationStatus.choices, default=NominationStatus.PENDING
    )
    step = models.PositiveSmallIntegerField("审批到第几级", default=0)
    decisions = models.JSONField("审批记录", default=list, blank=True)

    class Meta:
        ordering = ["nominated_at", "pk"]
        verbose_name = verbose_name_plural = "清单提名"
        constraints = [
            models.UniqueConstraint(
                fields=["key_list", "enterprise"],
                condition=Q(status="pending"),
                name="nomination_one_pending_per_enterprise",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_list_id}:{self.enterprise_id} {self.get_status_display()}"

    @property
    def awaited_level(self) -> str | None:
        levels = self.key_list.approval_levels
        return (
            str(levels[self.step])
            if self.status == NominationStatus.PENDING and self.step < len(levels)
            else None
        )


class KeyListShare(models.Model):
    """A list shared read-only with another region that recognises it (a whitelist firm whose
    supplier is elsewhere): the addressed region sees the list and its entries, and nothing else
    of the owner's. A grant on the object, not a widening of anyone's scope; revoking keeps the
    row."""

    key_list = models.ForeignKey(KeyList, verbose_name="清单", on_delete=models.CASCADE, related_name="shares")
    region = models.ForeignKey("regions.Region", verbose_name="共享给", on_delete=models.PROTECT, related_name="+")
    note = models.CharField("说明", max_length=200, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_at = models.DateTimeField("共享时间")
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "清单共享"
        constraints = [
            models.UniqueConstraint(
                fields=["key_list", "region"], condition=Q(revoked_at__isnull=True), name="list_share_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_list_id}→{self.region_id}"


class Urgency(models.IntegerChoices):
    NONE = 0, "无紧急订单"
    NORMAL = 1, "一般"
    URGENT = 2, "较急"
    CRITICAL = 3, "紧急"


class RiskLevel(models.IntegerChoices):
    LOW = 0, "低风险"
    MEDIUM = 1, "中风险"
    HIGH = 2, "高风险"


class CandidateFacts(models.Model):
    """The ranking's inputs the registry and reports do not hold, filled by the enterprise or a
    dispatcher: order urgency (订单紧急程度), local labour (本地用工占比) and, until risk zoning
    exists, the area's risk level (地区防疫情况). Versioned: a stale write is refused."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="candidate_facts"
    )
    order_urgency = models.PositiveSmallIntegerField("订单紧急程度", choices=Urgency.choices, default=Urgency.NONE)
    local_labour_percent = models.DecimalField(
        "本地用工占比（%）", max_digits=5, decimal_places=1, null=True, blank=True
    )
    area_risk = models.PositiveSmallIntegerField("地区风险等级", choices=RiskLevel.choices, default=RiskLevel.LOW)
    version = models.PositiveIntegerField("版本", default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "清单评定信息"

    def __str__(self) -> str:
        return f"{self.enterprise_id}"
