"""What officers found (走访 / 联系): visits, the question lists they answer, and the work orders
a visit opened.

A question list belongs to a region (set by the province or a city) and is versioned: editing it
makes a new row that supersedes the old, and each visit keeps the version it answered, so an
old visit's answers still read against the questions that were asked. A visit records who went
(several officers), how (on site, phone, video), the structured answers, findings, policies
explained and files. Nothing in a visit asks the enterprise to fill anything in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from fugong.core.access import Action, RestrictedQuerySet, Scope
from fugong.regions.models import split_path


class QuestionListQuerySet(RestrictedQuerySet["QuestionList"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        """Changed where the user dispatches; seen there and from below (a county's officers
        answer their city's and province's questions). Liaisons see the lists above their
        enterprises through the visit form, not here."""
        q = scope.region_q(action, "region__path")
        if action == Action.VIEW:
            above = {code for path in scope.grant(action).paths for code in split_path(path)}
            q |= Q(region_id__in=above)
        return q


class QuestionList(models.Model):
    """A versioned list of questions for visits: [{key, text, kind, choices}], kind one of
    yesno / choice / number / text. `supersedes` points at the version it replaced."""

    region = models.ForeignKey("regions.Region", verbose_name="所属区划", on_delete=models.PROTECT)
    title = models.CharField("名称", max_length=100)
    version = models.PositiveIntegerField("版本", default=1)
    questions = models.JSONField("问题", default=list)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    current = models.BooleanField("现行版本", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = QuestionListQuerySet.as_manager()

    class Meta:
        ordering = ["region__path", "title", "-version"]
        verbose_name = verbose_name_plural = "走访问题清单"

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"


class VisitMethod(models.TextChoices):
    SITE = "site", "实地走访"
    PHONE = "phone", "电话联系"
    VIDEO = "video", "视频连线"


class VisitQuerySet(RestrictedQuerySet["Visit"]):
    def scope_q(self, scope: Scope, action: str) -> Q:
        """Seen where the user reaches the enterprise as staff or liaison (never as the
        enterprise's own reporter: a visit record is the government's), and by its officers."""
        liaison_ids = scope.grant(action).enterprise_ids - scope.own_enterprise_ids
        q = scope.region_q(action, "enterprise__region__path") | Q(enterprise_id__in=liaison_ids)
        if scope.user_id is not None:
            # a subquery, not a join, so a visit with several officers is one row
            went = Visit.officers.through.objects.filter(user_id=scope.user_id).values("visit_id")
            q |= Q(pk__in=went) if action == Action.VIEW else Q(logged_by_id=scope.user_id)
        return q


class Visit(models.Model):
    """One contact with an enterprise: who, when, how, what was asked and found."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="visits"
    )
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="走访人员", related_name="visits")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="登记人"
    )
    visited_on = models.DateField("走访日期")
    method = models.CharField("方式", max_length=8, choices=VisitMethod.choices, default=VisitMethod.SITE)
    question_list = models.ForeignKey(
        QuestionList, verbose_name="问题清单", null=True, blank=True, on_delete=models.PROTECT
    )
    answers = models.JSONField("问题回答", default=dict, blank=True)  # {question key: answer}
    findings = models.TextField("发现情况", max_length=4000, blank=True)
    policies_explained = models.TextField("宣讲政策", max_length=2000, blank=True)
    # nothing answered, found or raised: flagged in the coverage figures (visits that recorded
    # nothing), kept so the count of contacts stays true
    recorded_nothing = models.BooleanField("未记录内容", default=False)
    client_id = models.CharField(max_length=64, blank=True)  # a retried phone submit is one visit
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = verbose_name_plural = "走访记录"
        indexes = [models.Index(fields=["enterprise", "visited_on"], name="visit_enterprise_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["logged_by", "client_id"], condition=~Q(client_id=""), name="visit_client_id_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.visited_on} {self.get_method_display()}"


class VisitProblem(models.Model):
    """A work order opened from a visit: the link that makes 'every matter answered' countable
    from the visit to the work order's closure. The problem lives in the problems app, which
    knows nothing of visits (dependencies point down)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="problem_links")
    problem = models.OneToOneField("problems.Problem", on_delete=models.PROTECT, related_name="visit_link")

    class Meta:
        verbose_name = verbose_name_plural = "走访发现问题"

    def __str__(self) -> str:
        return f"{self.visit_id}→{self.problem_id}"


class VisitAttachment(models.Model):
    """A photo or file taken on a visit, kept in the database like a work order's (one backup,
    checked by problems.attachments' rules before storing)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "走访附件"

    def __str__(self) -> str:
        return self.name
