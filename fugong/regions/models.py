"""The region tree: GB/T 2260 divisions plus functional zones, arranged for dispatch.

Two parents are kept. `admin_parent` is the administrative one (GB/T 2260). `parent` is the
dispatch one: whom the region reports to. They differ for province-managed county-level
cities (公主岭市 reports to 吉林省, not 长春市) and for functional zones (长春新区). The
materialized `path` follows the dispatch tree, so "everything under 长春市" is one indexed
prefix query.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr

from fugong.core.access import Action, RestrictedQuerySet, Scope
from fugong.core.signals import registry_changed


class Level(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "地级"
    COUNTY = "county", "县级"
    TOWN = "town", "乡级"


class Kind(models.TextChoices):
    ADMINISTRATIVE = "admin", "行政区"
    ZONE = "zone", "功能区"


class RegionQuerySet(RestrictedQuerySet["Region"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        q = scope.region_q(action, "path")
        if action == Action.VIEW:
            # Ancestors of what one may see are visible too (breadcrumbs, the parent's name),
            # and so are the regions of single enterprises one is assigned to.
            from fugong.enterprises.models import Enterprise

            ancestor_codes = {code for p in scope.grant(action).paths for code in split_path(p)}
            ids = scope.grant(action).enterprise_ids
            if ids:
                for path in Enterprise.objects.filter(pk__in=ids).values_list("region__path", flat=True):
                    ancestor_codes.update(split_path(path))
            q |= Q(code__in=ancestor_codes)
        return q

    def subtree(self, region: Region) -> RegionQuerySet:
        return self.filter(path__startswith=region.path)


def split_path(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


class Region(models.Model):
    """One reporting unit: a province, city, county, town or functional zone."""

    code = models.CharField("代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.ADMINISTRATIVE)
    parent = models.ForeignKey(
        "self",
        verbose_name="调度上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    admin_parent = models.ForeignKey(
        "self", verbose_name="行政上级", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField("调度路径", max_length=200, db_index=True)
    depth = models.PositiveSmallIntegerField("调度层次", default=0)
    note = models.CharField("说明", max_length=200, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区划"
        constraints = [
            models.CheckConstraint(
                condition=Q(path__startswith="/") & Q(path__endswith="/") & ~Q(path="/"),
                name="region_path_shape",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keeps the materialized path right when a region is added or re-parented (e.g. in the admin)."""
        with transaction.atomic():
            old_path = Region.objects.filter(code=self.code).values_list("path", flat=True).first()
            parent_path = Region.objects.get(code=self.parent_id).path if self.parent_id else "/"
            if f"/{self.code}/" in parent_path:
                raise ValidationError(f"不能把{self.name}放到它自己的下级之下")
            self.path = f"{parent_path}{self.code}/"
            self.depth = self.path.count("/") - 2
            super().save(*args, **kwargs)
            registry_changed.send(sender=Region)
            if old_path and old_path != self.path:
                descendants = Region.objects.filter(path__startswith=old_path).exclude(code=self.code)
                descendants.update(
                    path=Concat(Value(self.path), Substr("path", len(old_path) + 1)),
                    depth=F("depth") + (self.depth - (old_path.count("/") - 2)),
                )

    def ancestor_codes(self) -> list[str]:
        return split_path(self.path)[:-1]

    def ancestors(self) -> list[Region]:
        """Dispatch ancestors from the root down (one query)."""
        codes = self.ancestor_codes()
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def full_name(self) -> str:
        """Names from the province down, e.g. 吉林省长春市朝阳区 (administrative view)."""
        names = [r.name for r in self.ancestors()] + [self.name]
        return "".join(names)

    @property
    def is_zone(self) -> bool:
        return self.kind == Kind.ZONE


def access_node(user: Any, code: str | None, action: str = Action.VIEW) -> Region:
    """A region whose whole subtree is within the user's scope, for figures and boards.

    Ancestors are visible for breadcrumbs, but a city dispatcher asking for the province's
    figures would get the city's numbers under the province's name: that is a 404 too.
    """
    from fugong.core.access import access_object

    region = access_object(Region.objects.all(), user, action, code=(code or "").strip())
    return whole_in_scope(user, region, action)


def whole_in_scope(user: Any, region: Region, action: str = Action.VIEW) -> Region:
    """The region, if its whole subtree is within the user's scope; else a 404 saying so. No user
    is the server itself (a command an operator runs), which may read everything."""
    from fugong.core.access import may_at
    from fugong.core.errors import NotFound

    if user is not None and not may_at(user, action, region.path):
        raise NotFound(f"“{region.name}”不完全在您的管辖范围内，请选择您负责的区划或其下级")
    return region
