"""Who answers for whom (包保 / 联络员): a person assigned to a region or to one enterprise.

Seed 002's provincial leaders 包保 cities, county leaders 包保 enterprises; seed 004's liaisons
stationed one-to-one in key enterprises. An assignment is a dated fact with the unit that made
it; ending one closes it (valid_to, who, why) and keeps the row. Several people may answer for
one enterprise; one of them is its first contact (首要联系人), which the actions keep unique
among the enterprise's current assignments.

An assignment is answerability, not access: what the person may see still comes from their
memberships. A liaison assigned to an enterprise they cannot reach is given a liaison membership
for it by the action, recorded in `membership`, and that membership ends with the assignment.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from fugong.core.access import Action, RestrictedQuerySet, Scope


class AssignmentRole(models.TextChoices):
    LEADER = "leader", "包保领导"
    LIAISON = "liaison", "驻企联络员"
    SERVICE = "service", "服务专员"


class AssignmentScope(models.TextChoices):
    REGION = "region", "包保区划"
    ENTERPRISE = "enterprise", "包保企业"


class AssignmentQuerySet(RestrictedQuerySet["Assignment"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        """Seen and changed where the user dispatches (the enterprise's or the region's path in
        their subtree); the assigned person always sees their own."""
        q = scope.region_q(action, "enterprise__region__path") | scope.region_q(action, "region__path")
        if action == Action.VIEW and scope.user_id is not None:
            q |= Q(person_id=scope.user_id)
        return q

    def on_day(self, day: datetime.date) -> AssignmentQuerySet:
        """In force on `day`: begun on or before it, its last day (valid_to) not before it."""
        return self.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class Assignment(models.Model):
    """One person answering for a region or an enterprise from valid_from to valid_to (its last
    day; open: until ended), made by a unit (assigning_region, optionally a department)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="包保人", on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField("包保角色", max_length=10, choices=AssignmentRole.choices)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="包保区划",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="包保企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    first_contact = models.BooleanField("首要联系人", default=False)
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("截止日期", null=True, blank=True)
    assigning_region = models.ForeignKey(
        "regions.Region", verbose_name="派出单位", on_delete=models.PROTECT, related_name="+"
    )
    assigning_department = models.ForeignKey(
        "accounts.Department", verbose_name="派出部门", null=True, blank=True, on_delete=models.PROTECT
    )
    membership = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("备注", max_length=200, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField("派驻时间")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    end_reason = models.CharField("结束理由", max_length=200, blank=True)
    version = models.PositiveIntegerField("版本", default=1)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["valid_from", "pk"]
        verbose_name = verbose_name_plural = "包保关系"
        indexes = [
            models.Index(fields=["enterprise", "valid_to"], name="assignment_enterprise"),
            models.Index(fields=["person", "valid_to"], name="assignment_person"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(region__isnull=True) & Q(enterprise__isnull=False))
                | (Q(region__isnull=False) & Q(enterprise__isnull=True)),
                name="assignment_region_or_enterprise",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_range",
            ),
        ]

    def __str__(self) -> str:
        target = self.enterprise_id or self.region_id
        return f"{self.person_id}→{target} {self.get_role_display()} {self.valid_from}—{self.valid_to or ''}"

    @property
    def scope_kind(self) -> str:
        return AssignmentScope.ENTERPRISE if self.enterprise_id else AssignmentScope.REGION
