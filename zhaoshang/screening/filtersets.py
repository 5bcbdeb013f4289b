"""Filters of the rule catalogue and of the screened-projects list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.filters import TextFilter
from zhaoshang.screening.models import Category, Family, Kind, Outcome, Provenance, Rule


class RuleFilter(django_filters.FilterSet):
    q = TextFilter(label=_("Code, keyword or basis contains"), method="filter_q")
    family = django_filters.ChoiceFilter(label=_("Family"), choices=Family.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices)
    provenance = django_filters.ChoiceFilter(label=_("Provenance"), choices=Provenance.choices)
    active = django_filters.ChoiceFilter(
        label=_("Active"),
        choices=[("true", _("active")), ("false", _("inactive"))],
        empty_label=_("all"),
        method="filter_active",
    )

    class Meta:
        model = Rule
        fields: list[str] = []

    def filter_active(self, qs: QuerySet[Rule], name: str, value: str) -> QuerySet[Rule]:
        return qs.filter(active=value == "true")

    def filter_q(self, qs: QuerySet[Rule], name: str, value: str) -> QuerySet[Rule]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(code__icontains=value)
            | Q(basis__icontains=value)
            | Q(keywords__icontains=value)
            | Q(message_zh__icontains=value)
            | Q(message_en__icontains=value)
        )


OUTCOME_CHOICES = Outcome.choices
