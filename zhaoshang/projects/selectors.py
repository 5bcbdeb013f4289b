"""Reads of the project pipeline: the list, the kanban board and a project's page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from zhaoshang.projects import rules
from zhaoshang.projects.models import Project

LIST_COLUMNS = (
    "id",
    "name",
    "investor_name",
    "stage",
    "priority_band",
    "planned_investment",
    "confidential",
    "stage_changed_at",
    "enterprise__id",
    "enterprise__name",
    "lead_unit__id",
    "lead_unit__name",
)
CARDS_PER_COLUMN = 30


def project_rows(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Only the columns a list or a card shows, with their joins."""
    return qs.select_related("enterprise", "lead_unit").only(*LIST_COLUMNS)


def kanban_board(qs: QuerySet[Project], cards: int = CARDS_PER_COLUMN) -> list[dict[str, Any]]:
    """Columns of the board: every stage with its total and its top cards (largest band,
    then newest).  Two queries whatever the number of projects: the counts per stage, and
    the cards, cut per stage by a window function in the database."""
    counts = dict(qs.order_by().values_list("stage").annotate(n=Count("id")))
    ranked = (
        project_rows(qs)
        .annotate(
            rn=Window(RowNumber(), partition_by=[F("stage")], order_by=[F("priority_band").desc(), F("id").desc()])
        )
        .filter(rn__lte=cards)
        .order_by("stage", "rn")
    )
    by_stage: dict[str, list[Project]] = {s: [] for s in rules.ALL_STAGES}
    for p in ranked:
        by_stage[p.stage].append(p)
    return [
        {
            "stage": s,
            "label": rules.STAGE_LABELS[s],
            "count": counts.get(s, 0),
            "cards": by_stage[s],
            "side": s in rules.SIDE_STATES,
        }
        for s in rules.ALL_STAGES
    ]


def next_stage_needs(project: Project) -> tuple[str | None, list[Any]]:
    """The next pipeline stage and the facts still missing for it, to guide the officer."""
    if project.stage not in rules.OPEN_STAGES:
        return None, []
    nxt = rules.PIPELINE[rules.PIPELINE.index(project.stage) + 1]
    return nxt, rules.missing_facts(project.facts(), nxt)
