"""Projects of the pipeline, their members, credit shares, contacts and stage history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.models import BaseModel
from zhaoshang.core.scoping import (
    BOARD,
    CHANGE,
    CREATE,
    EVERYTHING,
    EXPORT,
    IMPORT,
    MOVE,
    NOTHING,
    OVERRIDE,
    RATE,
    VIEW,
)
from zhaoshang.core.values import intensity, usd_to_wan_cny
from zhaoshang.projects import rules

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from zhaoshang.core.scoping import Action, Scope
    from zhaoshang.enterprises.models import ChainNode, Enterprise, IndustryCode
    from zhaoshang.org.models import Unit


class Stage(models.TextChoices):
    LEAD = rules.LEAD, rules.STAGE_LABELS[rules.LEAD]
    CONTACTED = rules.CONTACTED, rules.STAGE_LABELS[rules.CONTACTED]
    NEGOTIATING = rules.NEGOTIATING, rules.STAGE_LABELS[rules.NEGOTIATING]
    REVIEW = rules.REVIEW, rules.STAGE_LABELS[rules.REVIEW]
    SIGNED = rules.SIGNED, rules.STAGE_LABELS[rules.SIGNED]
    REGISTERED = rules.REGISTERED, rules.STAGE_LABELS[rules.REGISTERED]
    LAND_ACQUIRED = rules.LAND_ACQUIRED, rules.STAGE_LABELS[rules.LAND_ACQUIRED]
    CONSTRUCTION = rules.CONSTRUCTION, rules.STAGE_LABELS[rules.CONSTRUCTION]
    IN_PRODUCTION = rules.IN_PRODUCTION, rules.STAGE_LABELS[rules.IN_PRODUCTION]
    FULL_CAPACITY = rules.FULL_CAPACITY, rules.STAGE_LABELS[rules.FULL_CAPACITY]
    ON_HOLD = rules.ON_HOLD, rules.STAGE_LABELS[rules.ON_HOLD]
    DROPPED = rules.DROPPED, rules.STAGE_LABELS[rules.DROPPED]


class PromotionMethod(models.TextChoices):
    BY_BUSINESS = "by_business", _("business referral")  # 以商招商
    CHAIN = "chain", _("industry chain promotion")  # 产业链招商
    FUND = "fund", _("fund-led promotion")  # 基金招商
    OUTPOST = "outpost", _("outpost promotion")  # 驻点招商
    PLATFORM = "platform", _("platform promotion")  # 平台招商
    LEADER = "leader", _("leader-led promotion")  # 领导招商
    EXPO = "expo", _("fair and expo")  # 会展招商
    OTHER = "other", _("other")


class CreditRole(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("first contact")
    REFERRAL = "referral", _("referral")
    LANDING_SERVICE = "landing_service", _("landing service")


class FundingStatus(models.TextChoices):
    SECURED = "secured", _("funds in place")  # 资金已到位
    COMMITTED = "committed", _("financing committed")  # 融资已落实
    PARTIAL = "partial", _("partly arranged")  # 部分落实
    UNSECURED = "unsecured", _("not yet arranged")  # 尚未落实


class MemberRole(models.TextChoices):
    OWNER = "owner", _("owner")
    MEMBER = "member", _("member")


class ProjectFields(TypedDict, total=False):
    """The facts of a project that people give (the form, the import, a command): declared
    once, here, for the services, forms, imports, exports and history.  The stage is not
    among them: it changes only by a move (``services.project_move``)."""

    name: str
    enterprise: Enterprise | None
    investor_name: str
    lead_unit: Unit
    confidential: bool
    source: str
    promotion_method: str
    industry: IndustryCode | None
    chain_node: ChainNode | None
    description: str
    planned_investment: Decimal | None
    fixed_asset_investment: Decimal | None
    contracted_investment: Decimal | None
    foreign_capital_usd: Decimal | None
    fx_rate: Decimal | None
    fx_date: dt.date | None
    land_mu: Decimal | None
    expected_output: Decimal | None
    expected_tax: Decimal | None
    expected_jobs: int | None
    incentives_offered: Decimal | None
    incentives_tied_to_tax: bool
    commitment_years: int | None
    land_needed_mu: Decimal | None
    floor_area_m2: Decimal | None
    residential_area_m2: Decimal | None
    commercial_area_m2: Decimal | None
    rd_share: Decimal | None
    patents: int | None
    high_tech: bool
    funding_status: str
    dishonest_party: bool
    unresolved_penalties: bool
    illegal_land_use: bool
    first_contact_on: dt.date | None
    signed_on: dt.date | None
    registered_on: dt.date | None
    land_acquired_on: dt.date | None
    construction_started_on: dt.date | None
    production_started_on: dt.date | None
    full_capacity_on: dt.date | None
    owner: AbstractBaseUser | None


class Project(BaseModel):
    """One investment an enterprise may make in the zone."""

    EDITABLE_FIELDS: tuple[str, ...] = tuple(ProjectFields.__annotations__)

    name = models.CharField(_("project name"), max_length=200)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    investor_name = models.CharField(
        _("investor name"), max_length=200, blank=True, help_text=_("When the investor is not yet in the registry.")
    )
    lead_unit = models.ForeignKey("org.Unit", verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+")
    confidential = models.BooleanField(
        _("confidential"), default=False, help_text=_("Seen only by its members and leaders.")
    )
    stage = models.CharField(_("stage"), max_length=32, choices=Stage.choices, default=Stage.LEAD)
    stage_changed_at = models.DateTimeField(_("stage changed"), null=True, blank=True)
    held_at_stage = models.CharField(_("held at stage"), max_length=32, choices=Stage.choices, blank=True)
    side_reason = models.TextField(_("reason for hold or drop"), blank=True)
    source = models.CharField(_("lead source"), max_length=200, blank=True)
    promotion_method = models.CharField(
        _("promotion method"), max_length=32, choices=PromotionMethod.choices, blank=True
    )
    industry = models.ForeignKey(
        "enterprises.IndustryCode",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chain_node = models.ForeignKey(
        "enterprises.ChainNode",
        verbose_name=_("chain node"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    description = models.TextField(_("description"), blank=True)
    planned_investment = models.DecimalField(
        _("planned total investment (10k CNY)"), null=True, blank=True, max_digits=16, decimal_places=2
    )
    fixed_asset_investment = models.DecimalField(
        _("fixed-asset investment (10k CNY)"), null=True, blank=True, max_digits=16, decimal_places=2
    )
    contracted_investment = models.DecimalField(
        _("contracted investment (10k CNY)"), null=True, blank=True, max_digits=16, decimal_places=2
    )
    foreign_capital_usd = models.DecimalField(
        _("foreign capital (10k USD)"), null=True, blank=True, max_digits=16, decimal_places=2
    )
    fx_rate = models.DecimalField(
        _("exchange rate (CNY per USD)"), max_digits=10, decimal_places=4, null=True, blank=True
    )
    fx_date = models.DateField(_("exchange rate date"), null=True, blank=True)
    land_mu = models.DecimalField(_("land (mu)"), max_digits=12, decimal_places=2, null=True, blank=True)
    expected_output = models.DecimalField(
        _("expected yearly output (10k CNY)"), null=True, blank=True, max_digits=16, decimal_places=2
    )
    expected_tax = models.DecimalField(
        _("expected yearly tax (10k CNY)"), null=True, blank=True, max_digits=16, decimal_places=2
    )
    expected_jobs = models.PositiveIntegerField(_("expected jobs"), null=True, blank=True)
    # Facts the screening rules and the scoring scheme read (all optional; unknown is blank).
    incentives_offered = models.DecimalField(
        _("incentives offered (10k CNY)"),
        null=True,
        blank=True,
        max_digits=16,
        decimal_places=2,
        help_text=_("Subsidies, rebates and other support the zone would give, in total."),
    )
    incentives_tied_to_tax = models.BooleanField(
        _("incentives tied to tax paid"),
        default=False,
        help_text=_(
            "Support calculated from the tax the project pays (forbidden by the Fair Competition Review Regulation)."
        ),
    )
    commitment_years = models.PositiveSmallIntegerField(
        _("committed period (years)"), null=True, blank=True, help_text=_("Years the investor commits to operate here.")
    )
    land_needed_mu = models.DecimalField(
        _("land needed (mu)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("What the plant really needs, as assessed from its plan."),
    )
    floor_area_m2 = models.DecimalField(
        _("total floor area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    residential_area_m2 = models.DecimalField(
        _("residential floor area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    commercial_area_m2 = models.DecimalField(
        _("commercial floor area (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rd_share = models.DecimalField(_("R&D spending share (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    patents = models.PositiveIntegerField(_("patents held"), null=True, blank=True)
    high_tech = models.BooleanField(_("high-tech enterprise"), default=False)
    funding_status = models.CharField(_("funding readiness"), max_length=16, choices=FundingStatus.choices, blank=True)
    dishonest_party = models.BooleanField(
        _("on the dishonest-party list"), default=False, help_text=_("失信被执行人 or a serious dishonesty list.")
    )
    unresolved_penalties = models.BooleanField(_("unresolved environmental or safety penalties"), default=False)
    illegal_land_use = models.BooleanField(_("illegal land use on record"), default=False)
    first_contact_on = models.DateField(_("first contact date"), null=True, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    registered_on = models.DateField(_("registration date"), null=True, blank=True)
    land_acquired_on = models.DateField(_("land acquisition date"), null=True, blank=True)
    construction_started_on = models.DateField(_("construction start date"), null=True, blank=True)
    production_started_on = models.DateField(_("production start date"), null=True, blank=True)
    full_capacity_on = models.DateField(_("full capacity date"), null=True, blank=True)
    priority_band = models.PositiveSmallIntegerField(_("priority band"), default=0, editable=False, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer in charge"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["stage", "-priority_band", "-id"], name="proj_stage_band"),
            models.Index(fields=["lead_unit", "-id"], name="proj_unit_recent"),
            # Counting the board per stage for a coordinator reads only this index.
            models.Index(fields=["stage", "confidential"], name="proj_stage_secret"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def investor_display(self) -> str:
        if self.enterprise_id and self.enterprise:
            return self.enterprise.name
        return self.investor_name

    @property
    def foreign_capital_cny(self) -> Decimal | None:
        return usd_to_wan_cny(self.foreign_capital_usd, self.fx_rate)

    @property
    def investment_intensity(self) -> Decimal | None:
        return intensity(self.fixed_asset_investment, self.land_mu)

    @property
    def priority_label(self) -> Any:
        return rules.BAND_LABELS.get(self.priority_band, "")

    def facts(self) -> dict[str, Any]:
        """The plain mapping the pipeline rules read."""
        data = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}
        data["investor"] = self.enterprise_id or self.investor_name
        return data

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        """Leaders: everything.  Coordinators: every non-confidential project and those they
        are members of.  Others see the non-confidential projects led by, or sharing credit
        with, a unit of their subtrees, and those they are members of; they change those led
        within a subtree they manage, and those they own or are members of.  The officer in
        charge counts as a member: whoever may change a project may see it."""
        if action in (CREATE, IMPORT):
            return EVERYTHING if scope.can_write else NOTHING
        if action == OVERRIDE:
            return EVERYTHING if scope.is_leader else NOTHING
        if action not in (VIEW, EXPORT, BOARD, CHANGE, MOVE, RATE):
            return NOTHING
        if scope.is_leader:
            return EVERYTHING
        member_of = Q(pk__in=ProjectMember.objects.filter(user_id=scope.user_id or 0).values("project_id")) | Q(
            owner_id=scope.user_id or 0
        )
        open_q = Q(confidential=False)
        if action == BOARD:
            # The shared board shows which units work an enterprise: never a confidential
            # project to those who may not see it.
            return open_q | member_of
        if scope.is_coordinator:
            return open_q | member_of
        if action in (VIEW, EXPORT):
            shares_in = Q(pk__in=ProjectCredit.objects.filter(unit_id__in=scope.visible_unit_ids).values("project_id"))
            return (open_q & (Q(lead_unit_id__in=scope.visible_unit_ids) | shares_in)) | member_of
        if action == RATE or not scope.working_unit_ids:
            return NOTHING
        managed = Q(lead_unit_id__in=scope.managed_unit_ids) if scope.managed_unit_ids else NOTHING
        return (open_q & managed) | member_of


class ProjectMember(models.Model):
    """A staff member working a project (members also see it when it is confidential)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        verbose_name = _("project member")
        verbose_name_plural = _("project members")
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="projects_member_unique")]
        indexes = [models.Index(fields=["user", "project"], name="proj_member_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ProjectCredit(models.Model):
    """A unit's share of the credit for a project, by the role it played."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="credits")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=32, choices=CreditRole.choices)
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("credit share")
        verbose_name_plural = _("credit shares")
        constraints = [models.UniqueConstraint(fields=["project", "unit", "role"], name="projects_credit_unique")]
        indexes = [models.Index(fields=["unit", "project"], name="proj_credit_unit")]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_role_display()} {self.share}%"


class ProjectContact(models.Model):
    """A person on the investor's side for this project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("full name"), max_length=50)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("project contact")
        verbose_name_plural = _("project contacts")

    def __str__(self) -> str:
        return self.name


class StageChange(models.Model):
    """One move of a project: who, when, from, to and why."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_changes")
    time = models.DateTimeField(_("time"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(_("by"), max_length=150)
    from_stage = models.CharField(_("from"), max_length=32, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=32, choices=Stage.choices)
    reason = models.TextField(_("reason"), blank=True)
    # A leader's override of refused gates: which ones, kept apart from the reason so that
    # the project page and audits can list overrides without parsing text.
    overridden_gates = models.JSONField(_("overridden gates"), default=list, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["time", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"

    @property
    def is_override(self) -> bool:
        return bool(self.overridden_gates)
