"""Reads of the project pipeline: the list, the kanban board and a project's page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import Count, QuerySet
from django.urls import reverse

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
CARDS_PER_COLUMN = 20


def project_rows(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Only the columns a list or a card shows, with their joins."""
    return qs.select_related("enterprise", "lead_unit").only(*LIST_COLUMNS)


@dataclass(frozen=True)
class Named:
    pk: int
    name: str


@dataclass(frozen=True)
class Card:
    """What a kanban card shows, read in one flat row (no model instance needed)."""

    pk: int
    name: str
    stage: str
    investor_name: str
    planned_investment: Decimal | None
    priority_band: int
    confidential: bool
    enterprise: Named | None
    lead_unit: Named
    url: str = ""
    move_url: str = ""
    amount: str = ""

    @property
    def priority_label(self) -> Any:
        return rules.BAND_LABELS.get(self.priority_band, "")


CARD_VALUES = (
    "id",
    "name",
    "stage",
    "investor_name",
    "planned_investment",
    "priority_band",
    "confidential",
    "enterprise_id",
    "enterprise__name",
    "lead_unit_id",
    "lead_unit__name",
)


def _top_ids_per_stage(qs: QuerySet[Project], stages: list[str], cards: int) -> list[int]:
    """Ids of the first ``cards`` projects of each stage, in one statement.  The ORM cannot
    put LIMIT inside a UNION on SQLite, so each part is wrapped as a sub-select by hand; the
    parts themselves are the ORM's own SQL, with its parameters and the user's scope."""
    if not stages:
        return []
    sqls: list[str] = []
    params: list[Any] = []
    for i, stage in enumerate(stages):
        part = qs.filter(stage=stage).order_by("-priority_band", "-id").values_list("id")[:cards]
        sql, part_params = part.query.sql_with_params()
        sqls.append(f"SELECT * FROM ({sql}) AS part{i}")  # noqa: S608 - ORM-generated SQL, parameters bound
        params.extend(part_params)
    with connections[qs.db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sqls), params)
        return [row[0] for row in cursor.fetchall()]


def kanban_board(qs: QuerySet[Project], cards: int = CARDS_PER_COLUMN) -> list[dict[str, Any]]:
    """Columns of the board: every stage with its total and its top cards (largest band,
    then newest).  Three queries whatever the number of projects: the counts per stage, one
    UNION ALL of a short, index-ordered query per stage (an index range scan each, where a
    window function over all projects would sort every one of them), and the cards' columns."""
    counts = dict(qs.order_by().values_list("stage").annotate(n=Count("id")))
    by_stage: dict[str, list[Card]] = {s: [] for s in rules.ALL_STAGES}
    ids = _top_ids_per_stage(qs, [s for s in rules.ALL_STAGES if counts.get(s)], cards) if cards > 0 else []
    if ids:
        # Read through the same (restricted, filtered) queryset: a card is only ever shown
        # for a project the board's own query may show.
        rows = qs.filter(pk__in=ids).order_by().values_list(*CARD_VALUES)
        # Links built from one reverse() each, not two per card: hundreds of cards render.
        detail = reverse("projects:detail", args=[0])
        move = reverse("projects:move", args=[0])
        for pk, name, stage, investor, planned, band, secret, e_id, e_name, u_id, u_name in rows:
            by_stage[stage].append(
                Card(
                    pk=pk,
                    name=name,
                    stage=stage,
                    investor_name=investor,
                    planned_investment=planned,
                    priority_band=band,
                    confidential=secret,
                    enterprise=Named(e_id, e_name) if e_id else None,
                    lead_unit=Named(u_id, u_name),
                    url=detail.replace("/0/", f"/{pk}/"),
                    move_url=move.replace("/0/", f"/{pk}/"),
                    amount=f"{planned:,.0f}" if planned is not None else "",
                )
            )
    for column in by_stage.values():
        column.sort(key=lambda c: (-c.priority_band, -c.pk))
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
