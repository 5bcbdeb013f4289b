"""Reads of the screening app: the screened-projects list and what a project's panel shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from zhaoshang.projects.models import Project
from zhaoshang.screening import rules
from zhaoshang.screening.models import CatalogueEntry, Rule, Verdict


def screened_projects(base: QuerySet[Project], outcome: str) -> QuerySet[Project]:
    """Projects of ``base`` (already restricted to the user) with their verdict, newest first;
    only those with ``outcome`` when given."""
    qs = base.filter(screening_verdict__isnull=False)
    if outcome in rules.OUTCOMES:
        qs = qs.filter(screening_verdict__outcome=outcome)
    return (
        qs.select_related("enterprise", "lead_unit", "screening_verdict")
        .only(
            "id",
            "name",
            "investor_name",
            "stage",
            "confidential",
            "enterprise__id",
            "enterprise__name",
            "lead_unit__id",
            "lead_unit__name",
            "screening_verdict__outcome",
            "screening_verdict__hits",
            "screening_verdict__computed",
        )
        .order_by("-id")
    )


@dataclass
class PanelHit:
    rule: str
    kind: str
    fact: Any
    value: str
    detail: str
    basis: str
    message: str
    url: str = ""
    # Found in the investor's name or business scope only: a warning, never a block.
    context: bool = False


@dataclass
class PanelData:
    verdict: Verdict | None
    hits: list[PanelHit] = field(default_factory=list)
    unchecked: list[tuple[Any, list[str]]] = field(default_factory=list)


def rule_links(codes: set[str]) -> dict[str, int]:
    """The pk of each named rule, for links from a verdict."""
    return dict(Rule.objects.filter(code__in=sorted(codes)).values_list("code", "pk")) if codes else {}


def entry_exists(pk: int) -> bool:
    return CatalogueEntry.objects.filter(pk=pk).exists()
