"""The enterprise registry (企业库): who is covered, where they report, and their baselines."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from fugong.core.access import RestrictedQuerySet, Scope


class Industry(models.Model):
    """GB/T 4754-2017 国民经济行业分类: 门类 (letter) and 大类 (two digits)."""

    code = models.CharField("代码", max_length=5, primary_key=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=10, choices=[("section", "门类"), ("division", "大类")])
    parent = models.ForeignKey(
        "self", verbose_name="上级门类", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "国民经济行业分类"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def section_code(self) -> str:
        return self.code if self.level == "section" else (self.parent_id or "")


class SectorTag(models.Model):
    """An admin-editable sector label (外贸, 餐饮, 重点项目, …); an enterprise may have several."""

    name = models.CharField("名称", max_length=20, unique=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = verbose_name_plural = "行业标签"

    def __str__(self) -> str:
        return self.name


class Tier(models.TextChoices):
    NONE = "", "非重点"
    PROVINCE = "province", "省级重点"
    CITY = "city", "市级重点"
    COUNTY = "county", "县级重点"


class EnterpriseQuerySet(RestrictedQuerySet["Enterprise"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        return scope.region_q(action, "region__path") | Q(pk__in=scope.grant(action).enterprise_ids)

    def in_region(self, path: str) -> EnterpriseQuerySet:
        return self.filter(region__path__startswith=path)

    def active_on(self, day: datetime.date) -> EnterpriseQuerySet:
        return self.filter(Q(active_from__lte=day), Q(active_to__isnull=True) | Q(active_to__gte=day))


class Enterprise(models.Model):
    """One enterprise, keyed by its 统一社会信用代码, reporting to one region.

    active_from/active_to bound the days it counts in rates: closed enterprises leave the
    denominator, new ones enter it.
    """

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("企业名称", max_length=100, db_index=True)
    region = models.ForeignKey("regions.Region", verbose_name="所属区划", on_delete=models.PROTECT)
    address = models.CharField("地址", max_length=200, blank=True)
    industry = models.ForeignKey(
        Industry, verbose_name="国民经济行业", null=True, blank=True, on_delete=models.PROTECT
    )
    sectors = models.ManyToManyField(SectorTag, verbose_name="行业标签", blank=True)
    above_scale = models.BooleanField("规模以上", default=False)
    tier = models.CharField("重点企业层级", max_length=10, choices=Tier.choices, blank=True, default="")
    park = models.CharField("所属园区", max_length=100, blank=True)
    baseline_headcount = models.PositiveIntegerField("在册员工", default=0)
    baseline_capacity = models.DecimalField(
        "产能基数（万元/日）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    trade_value_last_year = models.DecimalField(
        "上年进出口额（万元）", max_digits=16, decimal_places=2, null=True, blank=True
    )
    contact_name = models.CharField("联系人", max_length=40, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    active_from = models.DateField("启用日期")
    active_to = models.DateField("停用日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = verbose_name_plural = "企业"
        indexes = [models.Index(fields=["region", "active_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=models.F("active_from")),
                name="enterprise_active_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    _sector_names: tuple[str, ...] | None = None  # see sector_names()

    def is_active_on(self, day: datetime.date) -> bool:
        return self.active_from <= day and (self.active_to is None or self.active_to >= day)

    def sector_names(self) -> tuple[str, ...]:
        """The sector tags' names, sorted; read once per instance (or for many at once by
        `load_sector_names`, which a 100,000-row import needs: prefetching builds an object per tag)."""
        names = self._sector_names
        if names is None:
            names = self._sector_names = tuple(sorted(s.name for s in self.sectors.all()))
        return names


def load_sector_names(enterprises: list[Enterprise]) -> None:
    from fugong.core.bulk import AnyOf  # a thousand ids at a time, as one array parameter

    by_id: dict[int, list[str]] = {e.pk: [] for e in enterprises}
    through = Enterprise.sectors.through.objects.filter(AnyOf(models.F("enterprise_id"), by_id))
    for enterprise_id, name in through.values_list("enterprise_id", "sectortag__name"):
        by_id[enterprise_id].append(name)
    for e in enterprises:
        e._sector_names = tuple(sorted(by_id[e.pk]))
