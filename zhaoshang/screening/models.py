"""The screening catalogue (rules and entries of the national catalogue), its version, and
one verdict per project."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.models import BaseModel
from zhaoshang.core.scoping import CHANGE, CREATE, EVERYTHING, EXPORT, IMPORT, NOTHING, VIEW

if TYPE_CHECKING:
    from zhaoshang.core.scoping import Action, Scope
from zhaoshang.screening import rules


class Family(models.TextChoices):
    THREE_DONTS = "three_donts", _("three don'ts")  # 三不招
    FIVE_DONTS = "five_donts", _("five don'ts")  # 五不搞


class Category(models.TextChoices):
    POLICY_CONFLICT = "policy_conflict", _("policy conflict")  # 政策不符
    OVERCAPACITY = "overcapacity", _("overcapacity")  # 产能过剩
    POLLUTION = "pollution", _("pollution")  # 污染环境
    SELF_HARM = "self_harm", _("self-harming deal")  # 自残式招商
    CROWDFUNDING = "crowdfunding", _("crowdfunding")  # 众筹
    P2P = "p2p", _("P2P lending")  # P2P
    LAND_SPECULATION = "land_speculation", _("land speculation")  # 炒地皮
    HOUSING_SPECULATION = "housing_speculation", _("housing speculation")  # 炒房


FAMILY_OF_CATEGORY: dict[str, str] = {
    Category.POLICY_CONFLICT: Family.THREE_DONTS,
    Category.OVERCAPACITY: Family.THREE_DONTS,
    Category.POLLUTION: Family.THREE_DONTS,
    Category.SELF_HARM: Family.FIVE_DONTS,
    Category.CROWDFUNDING: Family.FIVE_DONTS,
    Category.P2P: Family.FIVE_DONTS,
    Category.LAND_SPECULATION: Family.FIVE_DONTS,
    Category.HOUSING_SPECULATION: Family.FIVE_DONTS,
}


class Kind(models.TextChoices):
    BLOCK = rules.BLOCK, _("block")
    WARN = rules.WARN, _("warn")


class Outcome(models.TextChoices):
    PASS = rules.PASS, _("pass")
    WARN = rules.WARN, _("warning")
    BLOCK = rules.BLOCK, _("blocked")


class Provenance(models.TextChoices):
    # A catalogue item quoted with its number and exact wording from a source we cite.
    QUOTED = "quoted", _("quoted catalogue item")
    # Industry codes (and keywords) plus the named document, without quoting any item.
    CATEGORY = "category", _("category rule")
    # The zone's own principle or threshold (三不招、五不搞 and the zone's floors).
    ZONE = "zone", _("zone principle")


class KeywordFact(models.TextChoices):
    NAME = "name", _("project name")
    DESCRIPTION = "description", _("project description")
    ENTERPRISE_NAME = "enterprise_name", _("enterprise name")
    BUSINESS_SCOPE = "business_scope", _("business scope")


CHECK_CHOICES = [("", _("none"))] + [(name, check.label) for name, check in rules.CHECKS.items()]


class Rule(BaseModel):
    """One rule of the screening catalogue: what it matches, its kind, basis and provenance."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    family = models.CharField(_("family"), max_length=16, choices=Family.choices)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    basis = models.TextField(_("policy basis"), help_text=_("The policy document the rule rests on, by name."))
    provenance = models.CharField(_("provenance"), max_length=16, choices=Provenance.choices)
    item_number = models.CharField(
        _("catalogue item number"), max_length=40, blank=True, help_text=_("Only for a quoted catalogue item.")
    )
    item_text = models.TextField(
        _("catalogue item wording"), blank=True, help_text=_("Exact wording, only for a quoted catalogue item.")
    )
    source = models.TextField(_("source of the entry"), blank=True)
    industry_prefixes = models.JSONField(_("industry code prefixes"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    keyword_facts = models.JSONField(_("keywords are looked for in"), default=list, blank=True)
    except_terms = models.JSONField(_("exception terms"), default=list, blank=True)
    numeric_check = models.CharField(_("numeric check"), max_length=40, blank=True, choices=CHECK_CHOICES)
    params = models.JSONField(_("check parameters"), default=dict, blank=True)
    message_zh = models.TextField(_("message (Chinese)"))
    message_en = models.TextField(_("message (English)"))
    active = models.BooleanField(_("active"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("screening rule")
        verbose_name_plural = _("screening rules")
        ordering = ["family", "category", "code"]

    def __str__(self) -> str:
        return self.code

    def spec(self) -> rules.RuleSpec:
        return rules.RuleSpec(
            code=self.code,
            kind=self.kind,
            basis=self.basis,
            message_zh=self.message_zh,
            message_en=self.message_en,
            family=self.family,
            category=self.category,
            industry_prefixes=tuple(self.industry_prefixes or ()),
            keywords=tuple(self.keywords or ()),
            keyword_facts=tuple(self.keyword_facts or rules.KEYWORD_FACTS),
            except_terms=tuple(self.except_terms or ()),
            check=self.numeric_check,
            params=tuple((k, Decimal(str(v))) for k, v in (self.params or {}).items()),
        )

    @property
    def check_label(self) -> Any:
        spec = rules.CHECKS.get(self.numeric_check)
        return spec.label if spec else ""

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # The catalogue is read by every staff member; coordinators and leaders edit it.
        if action in (VIEW, EXPORT):
            return EVERYTHING
        if action in (CREATE, CHANGE, IMPORT):
            return EVERYTHING if scope.sees_all else NOTHING
        return NOTHING


class EntryClass(models.TextChoices):
    RESTRICTED = "restricted", _("restricted")  # 限制类
    ELIMINATED = "eliminated", _("eliminated")  # 淘汰类


ENTRY_KIND: dict[str, str] = {EntryClass.RESTRICTED: rules.WARN, EntryClass.ELIMINATED: rules.BLOCK}
CATALOGUE_NAME = "《产业结构调整指导目录（2024年本）》"
CATALOGUE_ORDER = "国家发展改革委令第7号"
ENTRY_CLASS_ZH: dict[str, str] = {EntryClass.RESTRICTED: "限制类", EntryClass.ELIMINATED: "淘汰类"}
ENTRY_CLASS_EN: dict[str, str] = {EntryClass.RESTRICTED: "restricted", EntryClass.ELIMINATED: "eliminated"}


class CatalogueEntry(BaseModel):
    """An item of the restricted (限制类, warn) or eliminated (淘汰类, block) class of the
    national Industrial Structure Adjustment Catalogue (2024 edition), as the zone records it."""

    entry_class = models.CharField(_("class"), max_length=16, choices=EntryClass.choices)
    section = models.CharField(
        _("section"), max_length=100, help_text=_("As the catalogue names it, e.g. 一、农林牧渔业.")
    )
    item_number = models.CharField(_("item number"), max_length=20)
    wording = models.TextField(_("wording"), help_text=_("The item's exact wording."))
    industry_prefixes = models.JSONField(_("industry code prefixes"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    provenance = models.CharField(_("provenance"), max_length=16, choices=Provenance.choices, default=Provenance.QUOTED)
    source = models.TextField(_("source of the wording"))
    active = models.BooleanField(_("active"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")
        ordering = ["entry_class", "section", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry_class", "section", "item_number"], name="screening_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{ENTRY_CLASS_ZH.get(self.entry_class, self.entry_class)} {self.section} {self.item_number}"

    @property
    def code(self) -> str:
        return f"ISAC2024-{'R' if self.entry_class == EntryClass.RESTRICTED else 'E'}{self.pk}"

    @property
    def kind(self) -> str:
        return ENTRY_KIND.get(self.entry_class, rules.WARN)

    @classmethod
    def scope_q(cls, scope: Scope, action: Action) -> Q | None:
        # The catalogue is read by every staff member; coordinators and leaders edit it.
        if action in (VIEW, EXPORT):
            return EVERYTHING
        if action in (CREATE, CHANGE, IMPORT):
            return EVERYTHING if scope.sees_all else NOTHING
        return NOTHING

    def spec(self) -> rules.RuleSpec:
        zh_class = ENTRY_CLASS_ZH.get(self.entry_class, "")
        en_class = ENTRY_CLASS_EN.get(self.entry_class, "")
        basis = f"{CATALOGUE_NAME}（{CATALOGUE_ORDER}）{zh_class} {self.section} 第{self.item_number}条"
        return rules.RuleSpec(
            code=self.code,
            kind=self.kind,
            basis=basis,
            message_zh=(
                f"可能属于{CATALOGUE_NAME}{zh_class} {self.section} 第{self.item_number}条：“{self.wording}”，"
                "请核对项目的工艺、规模和产品。"
            ),
            message_en=(
                f"May fall under item {self.item_number} of section {self.section} of the {en_class} class of the "
                f"Industrial Structure Adjustment Catalogue (2024): “{self.wording}”; check the project's process, "
                "scale and products."
            ),
            family=Family.THREE_DONTS,
            category=Category.POLICY_CONFLICT,
            industry_prefixes=tuple(self.industry_prefixes or ()),
            keywords=tuple(self.keywords or ()),
        )


class CatalogueVersion(models.Model):
    """The catalogue's version number, bumped on every change of a rule or an entry; a
    verdict keeps the version it was computed with."""

    number = models.PositiveIntegerField(_("version"), default=1)
    changed = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")

    def __str__(self) -> str:
        return str(self.number)


class Verdict(models.Model):
    """A project's screening verdict: outcome, every hit with its fact and basis, the rules
    that could not be checked, and the catalogue version used.  Derived data: it is
    recomputed whenever the facts or the catalogue change, and not written to the change log."""

    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("project"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="screening_verdict",
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, db_index=True)
    hits = models.JSONField(_("hits"), default=list, blank=True)
    unchecked = models.JSONField(_("not checked"), default=list, blank=True)
    catalogue_version = models.PositiveIntegerField(_("catalogue version"))
    computed = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("screening verdict")
        verbose_name_plural = _("screening verdicts")

    def __str__(self) -> str:
        return f"{self.project_id}: {self.outcome}"
