"""Scoring schemes and their immutable versions, each project's current score, and the
simplified rating procedure: fast-track confirmations, review meetings (联审会) with the
members' opinions and a decision, and the conditions a decision carries over."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.models import BaseModel
from zhaoshang.core.scoping import (
    CHANGE,
    CREATE,
    EVERYTHING,
    EXPORT,
    NOTHING,
    OPINE,
    RATE,
    VIEW,
    RestrictedQuerySet,
)
from zhaoshang.evaluation import rules

if TYPE_CHECKING:
    from zhaoshang.core.scoping import Action, Scope


def _via_project(scope: Scope, action: Action, path: str = "project") -> Q | None:
    """Rows about a project follow the project's rule for the same action."""
    from zhaoshang.projects.models import Project

    q = Project.scope_q(scope, action)
    if q is None or q is NOTHING:
        return q
    return Q(**{f"{path}__in": Project.objects.filter(q).values("pk")})


def _scheme_rule(scope: Scope, action: Action) -> Q | None:
    # The scheme is read by every staff member; coordinators and leaders write new versions.
    if action in (VIEW, EXPORT):
        return EVERYTHING
    if action in (CREATE, CHANGE):
        return EVERYTHING if scope.sees_all else NOTHING
    return NOTHING


class Grade(models.TextChoices):
    A = "A", _("A")
    B = "B", _("B")
    C = "C", _("C")
    D = "D", _("D")


class Scheme(BaseModel):
    """A scoring scheme (the zone has one: 综合评价方案); its content lives in its versions."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        return _scheme_rule(scope, action)


class SchemeVersion(BaseModel):
    """One numbered, immutable version of a scheme.  Editing the scheme creates a new version
    (and re-scores every project); a score keeps the version it was computed with."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    indicators = models.JSONField(_("indicators"))
    vetoes = models.JSONField(_("vetoes"), default=list, blank=True)
    hard_thresholds = models.JSONField(_("hard thresholds"), default=list, blank=True)
    intensity_floor = models.DecimalField(
        _("investment intensity floor (10k CNY per mu)"), max_digits=12, decimal_places=2, default=Decimal("300")
    )
    tax_floor = models.DecimalField(
        _("expected tax per mu floor (10k CNY per mu)"), max_digits=12, decimal_places=2, default=Decimal("25")
    )
    grade_a = models.DecimalField(_("lower bound of grade A"), max_digits=5, decimal_places=2, default=Decimal("80"))
    grade_b = models.DecimalField(_("lower bound of grade B"), max_digits=5, decimal_places=2, default=Decimal("65"))
    grade_c = models.DecimalField(_("lower bound of grade C"), max_digits=5, decimal_places=2, default=Decimal("50"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="evaluation_version_unique"),
            models.UniqueConstraint(fields=["scheme"], condition=Q(active=True), name="evaluation_one_active_version"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.name} v{self.number}" if self.scheme_id else f"v{self.number}"

    @property
    def floors(self) -> dict[str, Decimal]:
        return {"investment_intensity": self.intensity_floor, "tax_per_mu": self.tax_floor}

    def spec(self) -> rules.SchemeSpec:
        """The version as the pure rules read it (parsed once per object)."""
        cached = getattr(self, "_spec", None)
        if cached is None:
            cached = rules.spec_from_data(
                indicators=self.indicators,
                vetoes=self.vetoes,
                thresholds=self.hard_thresholds,
                floors=self.floors,
                grade_bounds=(self.grade_a, self.grade_b, self.grade_c),
            )
            self._spec = cached
        return cached

    def names(self) -> dict[str, str]:
        """Indicator, veto and threshold names in the current language, by key."""
        english = (get_language() or "").startswith("en")
        spec = self.spec()
        items: list[Any] = [*spec.indicators, *spec.vetoes, *spec.thresholds]
        return {i.key: (i.name_en if english else i.name_zh) for i in items}

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        return _scheme_rule(scope, action)


class Score(models.Model):
    """A project's current score, with the version it used.  Derived data, recomputed
    whenever the project's facts or the scheme change, so it is not in the change log."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="evaluation_score", primary_key=True
    )
    version = models.ForeignKey(
        SchemeVersion, verbose_name=_("scheme version"), on_delete=models.PROTECT, related_name="+"
    )
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    contributions = models.JSONField(_("contributions"), default=dict)
    vetoes = models.JSONField(_("vetoes fired"), default=list)
    caps = models.JSONField(_("hard thresholds hit"), default=list)
    missing = models.JSONField(_("missing facts"), default=list)
    computed_at = models.DateTimeField(_("computed"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        indexes = [
            models.Index(fields=["-total"], name="eval_score_total"),
            models.Index(fields=["grade", "-total"], name="eval_score_grade"),
        ]

    def __str__(self) -> str:
        return f"{self.total} ({self.grade})"

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # Derived data: seen with the project, written only by the scoring itself.
        return _via_project(scope, action) if action in (VIEW, EXPORT) else NOTHING


class FastTrack(BaseModel):
    """A coordinator's one-click confirmation that a grade-A project without screening
    warnings skips the review meeting."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="fast_tracks")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"))
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    version = models.ForeignKey(
        SchemeVersion, verbose_name=_("scheme version"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("fast-track confirmation")
        verbose_name_plural = _("fast-track confirmations")
        ordering = ["-confirmed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project} ⚡ {self.confirmed_at:%Y-%m-%d}"

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        if action == VIEW:
            return _via_project(scope, VIEW)
        if action == CREATE:  # confirmed by whoever may run the rating procedure
            return _via_project(scope, RATE)
        return NOTHING


class Opinion(models.TextChoices):
    APPROVE = "approve", _("approve")
    APPROVE_WITH_CONDITIONS = "conditions", _("approve with conditions")
    REJECT = "reject", _("reject")


class Decision(models.TextChoices):
    APPROVED = "approved", _("approved")
    APPROVED_WITH_CONDITIONS = "conditions", _("approved with conditions")
    REJECTED = "rejected", _("rejected")


POSITIVE_DECISIONS = (Decision.APPROVED, Decision.APPROVED_WITH_CONDITIONS)


class ReviewMeeting(BaseModel):
    """A review meeting (联审会) on one project: its members, their opinions and the decision."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="review_meetings")
    date = models.DateField(_("meeting date"))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("convened by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True, help_text=_("One condition per line."))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.project} · {self.date:%Y-%m-%d}"

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)

    @property
    def is_positive(self) -> bool:
        return self.decision in POSITIVE_DECISIONS

    def condition_lines(self) -> list[str]:
        return [line.strip() for line in self.conditions.splitlines() if line.strip()]

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        if action == VIEW:
            return _via_project(scope, VIEW)
        if action in (CREATE, RATE):  # convene, decide: the rating procedure
            return _via_project(scope, RATE)
        if action == OPINE:
            # A member records their own opinion on a meeting of a project they may see; the
            # coordinator may record one on a member's behalf.
            seen = _via_project(scope, VIEW)
            # By subquery: a join on the members would repeat the meeting once per member.
            own = Q(pk__in=cls.members.through.objects.filter(user_id=scope.user_id or 0).values("reviewmeeting_id"))
            rate = _via_project(scope, RATE)
            mine = own if seen is None else own & seen  # type: ignore[operator]
            if rate is NOTHING:
                return mine
            return EVERYTHING if rate is None else mine | rate  # type: ignore[operator]
        return NOTHING


class ReviewOpinion(BaseModel):
    """One member's opinion at a review meeting."""

    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="opinions")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT, related_name="+"
    )
    opinion = models.CharField(_("opinion"), max_length=16, choices=Opinion.choices)
    conditions = models.TextField(_("conditions"), blank=True)

    class Meta:
        verbose_name = _("review opinion")
        verbose_name_plural = _("review opinions")
        ordering = ["meeting", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="evaluation_opinion_unique")]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_opinion_display()}"

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        return _via_project(scope, VIEW, "meeting__project") if action == VIEW else NOTHING


class ProjectCondition(BaseModel):
    """A follow-up item on a project, carried over from a review decision's conditions."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="conditions")
    text = models.TextField(_("condition"))
    meeting = models.ForeignKey(
        ReviewMeeting,
        verbose_name=_("review meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done = models.BooleanField(_("done"), default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["done", "id"]

    def __str__(self) -> str:
        return self.text[:80]

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        if action == VIEW:
            return _via_project(scope, VIEW)
        if action == CHANGE:
            # Ticked off by whoever may change the project, or run its rating procedure.
            change, rate = _via_project(scope, CHANGE), _via_project(scope, RATE)
            if change is None or rate is None:
                return EVERYTHING
            if change is NOTHING:
                return rate
            return change if rate is NOTHING else change | rate  # type: ignore[operator]
        return NOTHING
