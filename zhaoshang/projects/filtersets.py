"""Filters of the project list and kanban (shared by the page and its export)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.filters import IdChoiceFilter, TextFilter
from zhaoshang.enterprises.filtersets import industry_q
from zhaoshang.enterprises.models import ChainNode
from zhaoshang.org.models import Unit
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project, PromotionMethod, Stage, StageChange

BAND_CHOICES = [(str(b), label) for b, _floor, label in reversed(rules.PRIORITY_BANDS)]


class ProjectFilter(django_filters.FilterSet):
    q = TextFilter(label=_("Name or investor contains"), method="filter_q")
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices)
    lead_unit = IdChoiceFilter(label=_("Lead unit"), queryset=Unit.objects.filter(active=True), method="filter_unit")
    band = django_filters.ChoiceFilter(label=_("Priority band"), choices=BAND_CHOICES, method="filter_band")
    industry = TextFilter(label=_("Industry code"), method="filter_industry")
    chain_node = IdChoiceFilter(label=_("Chain node"), queryset=ChainNode.objects.select_related("chain"))
    promotion_method = django_filters.ChoiceFilter(label=_("Promotion method"), choices=PromotionMethod.choices)
    mine = django_filters.BooleanFilter(
        label=_("Only my projects"), method="filter_mine", widget=django_filters.widgets.BooleanWidget()
    )

    class Meta:
        model = Project
        fields: list[str] = []

    def filter_q(self, qs: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value) | Q(investor_name__icontains=value) | Q(enterprise__name__icontains=value)
        )

    def filter_unit(self, qs: QuerySet[Project], name: str, value: Any) -> QuerySet[Project]:
        if not value:
            return qs
        subtree = Unit.objects.filter(path__startswith=value.path).values("id")
        return qs.filter(lead_unit_id__in=subtree)

    def filter_band(self, qs: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return qs.filter(priority_band__gte=int(value)) if value else qs

    def filter_industry(self, qs: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return qs.filter(industry_q(value))

    def filter_mine(self, qs: QuerySet[Project], name: str, value: bool | None) -> QuerySet[Project]:
        if not value:
            return qs
        user = getattr(self.request, "user", None)
        return qs.filter(members__user=user) if user is not None else qs


__all__ = ["ProjectFilter", "StageChange"]
