"""Reads of the enterprise registry: search, filters, duplicate candidates."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from zhaoshang.enterprises import rules
from zhaoshang.enterprises.models import Enterprise, EnterpriseGram

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

    With two or more characters the gram index finds the candidates (every gram of the
    term must be present); the substring is then confirmed, so a hit is exact."""
    term = (term or "").strip()
    if not term:
        return qs
    grams = rules.query_grams(term)
    confirm = Q(name__icontains=term) | Q(former_names__icontains=term)
    if not grams:
        return qs.filter(confirm)
    if len(grams) == 1:
        ids: Any = EnterpriseGram.objects.filter(gram=grams[0]).values("enterprise_id")
    else:
        ids = (
            EnterpriseGram.objects.filter(gram__in=grams)
            .values("enterprise_id")
            .annotate(n=Count("gram"))
            .filter(n=len(grams))
            .values("enterprise_id")
        )
    # A rare term is best found from the index (a few hundred ids, then rowid lookups); a
    # common one by walking the newest enterprises until a page is full.  Left to itself the
    # planner always walks, which for a rare term with a filter means the whole registry.
    rarest = (
        EnterpriseGram.objects.filter(gram__in=grams).values("gram").annotate(n=Count("gram")).order_by("n").first()
    )
    if rarest is None:
        return qs.none()
    if rarest["n"] <= RARE_TERM_HITS:
        return qs.filter(pk__in=list(ids.values_list("enterprise_id", flat=True))).filter(confirm)
    # Common term: walk the newest enterprises and probe the (gram, enterprise) index for
    # each, rather than first collecting the tens of thousands of ids that have the gram.
    for gram in grams:
        qs = qs.filter(Exists(EnterpriseGram.objects.filter(gram=gram, enterprise_id=OuterRef("pk"))))
    return qs.filter(confirm)


RARE_TERM_HITS = 1000


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
    cand_ids = (
        EnterpriseGram.objects.filter(gram__in=grams)
        .values("enterprise_id")
        .annotate(n=Count("gram"))
        .filter(n__gte=need)
        .values_list("enterprise_id", flat=True)[:200]
    )
    out = [e for e in qs.filter(pk__in=list(cand_ids)) if rules.is_near_duplicate(e.name, name)]
    return out[:limit]
