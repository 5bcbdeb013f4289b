"""Filters of the ranking: the project list's filters plus grade and industry chain."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.filters import IdChoiceFilter
from zhaoshang.enterprises.models import IndustryChain
from zhaoshang.evaluation.models import Grade
from zhaoshang.evaluation.services import OUTCOME_LABELS, screening_projects_with
from zhaoshang.projects.filtersets import ProjectFilter
from zhaoshang.projects.models import Project


class RankingFilter(ProjectFilter):
    grade = django_filters.ChoiceFilter(label=_("Grade"), choices=Grade.choices, method="filter_grade")
    chain = IdChoiceFilter(label=_("Industry chain"), queryset=IndustryChain.objects.all(), method="filter_chain")
    outcome = django_filters.ChoiceFilter(
        label=_("Screening"), choices=list(OUTCOME_LABELS.items()), method="filter_outcome"
    )

    def filter_grade(self, qs: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return qs.filter(evaluation_score__grade=value) if value else qs

    def filter_chain(self, qs: QuerySet[Project], name: str, value: Any) -> QuerySet[Project]:
        return qs.filter(chain_node__chain=value) if value else qs

    def filter_outcome(self, qs: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return qs.filter(pk__in=screening_projects_with(value)) if value else qs
