"""Reads of the enterprise registry: search, filters, duplicate candidates."""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from zhaoshang.enterprises import rules, search_index
from zhaoshang.enterprises.models import Enterprise

# Tag filter values, shared by the list filter, the import template and the API.
TAG_FILTERS: dict[str, Q] = {
    "fortune500": Q(is_fortune500=True),
    "china500": Q(is_china500=True),
    "private500": Q(is_private500=True),
    "listed": ~Q(listing_exchange=""),
    "unicorn": Q(is_unicorn=True),
    "leader": Q(is_industry_leader=True),
    "revenue_leader": Q(revenue__gte=rules.REVENUE_LEADER_WAN),
    "sme": ~Q(sme_level=""),
    "sme_national": Q(sme_level="national"),
    "sme_provincial": Q(sme_level="provincial"),
    "sme_municipal": Q(sme_level="municipal"),
}


def active_enterprises() -> Any:
    """The registry without records merged into others."""
    return Enterprise.objects.filter(merged_into__isnull=True)


def search_enterprises(qs: QuerySet[Enterprise], term: str) -> QuerySet[Enterprise]:
    """Narrow ``qs`` to names or former names containing ``term``.

    With two or more characters the full-text index of name grams finds the candidates
    (every gram of the term must be present); the substring is then confirmed, so a hit is
    exact.  See search_index.py."""
    term = (term or "").strip()
    if not term:
        return qs
    confirm = Q(name__icontains=term) | Q(former_names__icontains=term)
    condition = search_index.holding_all(connections[qs.db], rules.query_grams(term))
    if condition is None:
        return qs.filter(confirm)
    sql, params = condition
    # The SQL is search_index's own text; the term reaches it only as a bound parameter.
    return qs.filter(RawSQL(sql, params, output_field=BooleanField())).filter(confirm)  # noqa: S611


def find_duplicates(*, name: str, exclude_id: int | None = None, limit: int = 5) -> list[Enterprise]:
    """Enterprises whose name is near-identical to ``name`` (same key, or alike)."""
    key = rules.name_key(name)
    if not key:
        return []
    qs = active_enterprises()
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    same = list(qs.filter(name_key=key)[:limit])
    if same:
        return same
    # Candidates share most grams of the key; confirm with the likeness ratio.
    grams = sorted(rules.bigrams(key))[:12]
    if not grams:
        return []
    need = max(1, int(len(grams) * 0.6))
    cand_ids = search_index.sharing_most(connections[qs.db], grams, need=need)
    if cand_ids is None:
        return []
    out = [e for e in qs.filter(pk__in=cand_ids) if rules.is_near_duplicate(e.name, name)]
    return out[:limit]
