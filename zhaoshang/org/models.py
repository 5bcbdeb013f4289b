"""Units of the "1+5+N" organisation and users' memberships in them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.models import BaseModel
from zhaoshang.core.scoping import ATTRIBUTE, CHANGE, CREATE, DELETE, EVERYTHING, EXPORT, NOTHING, VIEW

if TYPE_CHECKING:
    from zhaoshang.core.scoping import Action, Scope


class UnitKind(models.TextChoices):
    ADMINISTRATION = "administration", _("administrative committee")
    PROMOTION_CENTRE = "promotion_centre", _("investment promotion centre")
    PARK_OPERATOR = "park_operator", _("park operator")
    HOLDING_GROUP = "holding_group", _("holding group")
    STATE_PLATFORM = "state_platform", _("state capital platform")
    MARKET_AGENCY = "market_agency", _("market agency")
    OUTPOST = "outpost", _("outpost")
    SUBDISTRICT = "subdistrict", _("subdistrict office")
    DEPARTMENT = "department", _("department")


class Region(models.TextChoices):
    JINGJINJI = "jingjinji", _("Beijing-Tianjin-Hebei")
    YANGTZE_DELTA = "yangtze_delta", _("Yangtze River Delta")
    GREATER_BAY = "greater_bay", _("Guangdong-Hong Kong-Macao Greater Bay Area")


class Role(models.TextChoices):
    LEADER = "leader", _("leader")
    COORDINATOR = "coordinator", _("coordinator")
    UNIT_MANAGER = "unit_manager", _("unit manager")
    OFFICER = "officer", _("officer")
    VIEWER = "viewer", _("viewer")


class Unit(BaseModel):
    """A node of the organisation tree.  ``path`` holds the ids from the root ("/1/4/9/")
    so that a subtree is one indexed prefix match."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path", "sort_order"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # The organisation chart is public to staff; only coordinators change it.  Work
        # (a project's lead, a record's unit) is attributed to units the user works in.
        if action in (VIEW, EXPORT):
            return EVERYTHING
        if action == ATTRIBUTE:
            if scope.sees_all:
                return Q(active=True)
            return Q(active=True, pk__in=scope.working_unit_ids) if scope.working_unit_ids else NOTHING
        if action in (CREATE, CHANGE):
            return EVERYTHING if scope.is_coordinator else NOTHING
        return NOTHING


class Membership(BaseModel):
    """A user's role in a unit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="org_membership_user_unit")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        if action == VIEW:
            return EVERYTHING
        if action in (CREATE, CHANGE, DELETE):
            return EVERYTHING if scope.is_coordinator else NOTHING
        return NOTHING
