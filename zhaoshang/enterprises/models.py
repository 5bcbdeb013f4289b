"""The registry of target enterprises, industry codes and the zone's industry chains."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.models import BaseModel
from zhaoshang.core.scoping import (
    BOARD,
    CHANGE,
    CREATE,
    DELETE,
    EVERYTHING,
    EXPORT,
    IMPORT,
    MERGE,
    NOTHING,
    VIEW,
)
from zhaoshang.enterprises import rules

if TYPE_CHECKING:
    from zhaoshang.core.scoping import Action, Scope
    from zhaoshang.org.models import Unit


class IndustryCode(models.Model):
    """GB/T 4754-2017: section (letter), division (2 digits), group (3), class (4)."""

    code = models.CharField(_("code"), max_length=4, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"))
    section = models.CharField(_("section"), max_length=1, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    remark = models.TextField(_("remark"), blank=True)

    class Meta:
        verbose_name = _("industry code")
        verbose_name_plural = _("industry codes")
        ordering = ["section", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ChainKind(models.TextChoices):
    LEADING = "leading", _("leading industry")
    FUTURE = "future", _("future industry")


class Segment(models.TextChoices):
    UPSTREAM = "upstream", _("upstream")
    MIDSTREAM = "midstream", _("midstream")
    DOWNSTREAM = "downstream", _("downstream")


class IndustryChain(BaseModel):
    """One of the zone's chosen industries, drawn as a chain of nodes."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ChainKind.choices)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("industry chain")
        verbose_name_plural = _("industry chains")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # The zone's chains are shared by everyone; coordinators and leaders draw them.
        if action in (VIEW, EXPORT):
            return EVERYTHING
        if action in (CREATE, CHANGE, DELETE):
            return EVERYTHING if scope.sees_all else NOTHING
        return NOTHING


class ChainNode(BaseModel):
    """A link of an industry chain (upstream, midstream or downstream)."""

    chain = models.ForeignKey(
        IndustryChain, verbose_name=_("industry chain"), on_delete=models.CASCADE, related_name="nodes"
    )
    name = models.CharField(_("name"), max_length=100)
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices)
    industry_prefixes = models.CharField(_("industry code prefixes"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("chain node")
        verbose_name_plural = _("chain nodes")
        ordering = ["chain__sort_order", "segment", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["chain", "name"], name="enterprises_chainnode_chain_name")]

    def __str__(self) -> str:
        return f"{self.chain.name} · {self.name}"

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # The zone's chains are shared by everyone; coordinators and leaders draw them.
        if action in (VIEW, EXPORT):
            return EVERYTHING
        if action in (CREATE, CHANGE, DELETE):
            return EVERYTHING if scope.sees_all else NOTHING
        return NOTHING


class Exchange(models.TextChoices):
    SSE = "SSE", _("Shanghai Stock Exchange")
    SZSE = "SZSE", _("Shenzhen Stock Exchange")
    BSE = "BSE", _("Beijing Stock Exchange")
    HKEX = "HKEX", _("Hong Kong Stock Exchange")
    NASDAQ = "NASDAQ", _("NASDAQ")
    NYSE = "NYSE", _("New York Stock Exchange")
    OTHER = "OTHER", _("other exchange")


class SmeLevel(models.TextChoices):
    NATIONAL = "national", _("national little giant")
    PROVINCIAL = "provincial", _("provincial specialised SME")
    MUNICIPAL = "municipal", _("municipal specialised SME")


class EnterpriseFields(TypedDict, total=False):
    """The facts of an enterprise that people give (the form, the import, a command): declared
    once, here, for the services, forms, imports, exports and history."""

    name: str
    former_names: str
    credit_code: str | None
    registered_capital: Decimal | None
    hq_province: str
    hq_city: str
    industry: IndustryCode | None
    listing_exchange: str
    ticker: str
    is_unicorn: bool
    is_industry_leader: bool
    sme_level: str
    revenue: Decimal | None
    employees: int | None
    business_scope: str
    notes: str
    owner_unit: Unit | None


class Enterprise(BaseModel):
    """An enterprise known to the zone.  The registry is the shared board: every staff
    member sees every enterprise; changing one is for coordinators and the unit that
    recorded it."""

    EDITABLE_FIELDS: tuple[str, ...] = tuple(EnterpriseFields.__annotations__)

    # The comparison key and the index text are derived from the names, which the history
    # already shows.
    audit_exclude = (*BaseModel.audit_exclude, "name_key", "search_grams")

    # No index of its own: a name is looked up through its key (``name_key=key, name=…``),
    # and every import would pay for a second index over the same names.
    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    former_names = models.TextField(_("former names"), blank=True, help_text=_("One per line."))
    # The names' two-character grams, space-separated (rules.index_text); a full-text index
    # over this column answers Chinese substring search (see enterprises/search_index.py).
    search_grams = models.TextField(editable=False, blank=True, default="")
    credit_code = models.CharField(_("unified social credit code"), max_length=18, null=True, blank=True, unique=True)
    registered_capital = models.DecimalField(
        _("registered capital (10k CNY)"), null=True, blank=True, max_digits=16, decimal_places=2
    )
    hq_province = models.CharField(_("headquarters province"), max_length=20, blank=True)
    hq_city = models.CharField(_("headquarters city"), max_length=40, blank=True)
    industry = models.ForeignKey(
        IndustryCode, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    listing_exchange = models.CharField(_("exchange"), max_length=8, choices=Exchange.choices, blank=True)
    ticker = models.CharField(_("ticker"), max_length=16, blank=True)
    is_unicorn = models.BooleanField(_("unicorn"), default=False)
    is_industry_leader = models.BooleanField(_("industry leader"), default=False)
    sme_level = models.CharField(_("specialised SME level"), max_length=16, choices=SmeLevel.choices, blank=True)
    revenue = models.DecimalField(_("annual revenue (10k CNY)"), null=True, blank=True, max_digits=16, decimal_places=2)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    chain_nodes = models.ManyToManyField(
        ChainNode, verbose_name=_("chain nodes"), blank=True, related_name="enterprises"
    )
    owner_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("recorded by unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # only used to narrow a few rows already found by id,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="absorbed",
        db_index=False,  # ent_active_recent (merged_into, -id) serves these lookups
    )
    # Denormalised flags for fast filtering by tag.
    is_fortune500 = models.BooleanField(default=False, editable=False)
    is_china500 = models.BooleanField(default=False, editable=False)
    is_private500 = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["-id"]
        indexes = [models.Index(fields=["merged_into", "-id"], name="ent_active_recent")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_listed(self) -> bool:
        return bool(self.listing_exchange)

    @property
    def is_revenue_leader(self) -> bool:
        return rules.is_revenue_leader(self.revenue)

    def former_name_list(self) -> list[str]:
        return rules.split_former_names(self.former_names)

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # The registry is the shared board: every staff member sees every enterprise.  What
        # a unit recorded stays that unit's to correct; merging rewrites other units'
        # references, so it is for coordinators and leaders.
        if action in (VIEW, EXPORT, BOARD):
            return EVERYTHING
        if action in (CREATE, IMPORT):
            return EVERYTHING if scope.can_write else NOTHING
        if action == MERGE:
            return Q(merged_into__isnull=True) if scope.sees_all else NOTHING
        if action == CHANGE:
            if scope.sees_all:
                return EVERYTHING
            return Q(owner_unit_id__in=scope.working_unit_ids) if scope.working_unit_ids else NOTHING
        return NOTHING


class RankingList(models.TextChoices):
    FORTUNE500 = "fortune500", _("Fortune Global 500")
    CHINA500 = "china500", _("China 500")
    PRIVATE500 = "private500", _("China private 500")


class EnterpriseRanking(models.Model):
    """A place on a ranking list in a given year."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="rankings")
    list = models.CharField(_("list"), max_length=16, choices=RankingList.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    rank = models.PositiveIntegerField(_("rank"))

    class Meta:
        verbose_name = _("ranking")
        verbose_name_plural = _("rankings")
        ordering = ["-year", "list"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "list", "year"], name="enterprises_ranking_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_list_display()} {self.year} #{self.rank}"


class EnterpriseContact(BaseModel):
    """A person at the enterprise, as recorded by one unit (notes are that unit's work)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("full name"), max_length=50)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # A unit's notes on its contacts are its work: seen by the unit's subtree.
        if action in (VIEW, EXPORT):
            return EVERYTHING if scope.sees_all else Q(unit_id__in=scope.visible_unit_ids)
        if action == CREATE:
            return EVERYTHING if scope.can_write else NOTHING
        if action in (CHANGE, DELETE):
            if scope.sees_all:
                return EVERYTHING
            return Q(unit_id__in=scope.working_unit_ids) if scope.working_unit_ids else NOTHING
        return NOTHING
