"""Reads of the enterprise registry: search, filters, duplicate candidates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from zhaoshang.core.tabular.writing import fetch_where_in
from zhaoshang.core.values import credit_code_problem, normalize_credit_code
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


def similar_enterprises(*, name: str, exclude_id: int | None = None, limit: int = 5) -> list[Enterprise]:
    """Enterprises whose name is alike ``name`` (same key, or names sharing most grams whose
    likeness is high): suggestions for the merge page and after a record is saved, not the
    duplicate rule (``duplicates_by_key``)."""
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


def duplicates_by_key(keys: Iterable[str], *, exclude_ids: Iterable[int] = ()) -> dict[str, list[tuple[int, str]]]:
    """The duplicate rule over the registry (``rules.duplicate_key``): for each key, the active
    enterprises (id, name) that have it.  One query for one key or a hundred thousand."""
    wanted = sorted({k for k in keys if k})
    skip = set(exclude_ids)
    found: dict[str, list[tuple[int, str]]] = {}
    for key, pk, name, merged in fetch_where_in(
        Enterprise, "name_key", wanted, ("name_key", "id", "name", "merged_into_id")
    ):
        if merged is None and pk not in skip:
            found.setdefault(key, []).append((pk, name))
    for matches in found.values():
        matches.sort()
    return found


@dataclass(frozen=True)
class Reference:
    """What a typed reference to an enterprise resolved to: its id, or why it did not."""

    enterprise_id: int | None
    error: str | None = None


def resolve_references(texts: Iterable[str]) -> dict[str, Reference]:
    """Each text that names an enterprise, resolved the same way for the project form and the
    project import: a registry number ("1024" or "#1024"), a unified social credit code, or
    the exact name of one enterprise.  A merged record resolves to the one it was merged into;
    a name that several enterprises share is refused (the credit code tells them apart).
    Three queries whatever the number of texts."""
    wanted = {t: t.strip().lstrip("#").strip() for t in texts if t and t.strip()}
    ids = {t: int(v) for t, v in wanted.items() if v.isascii() and v.isdigit() and 0 < len(v) <= 18}
    codes = {t: normalize_credit_code(v) for t, v in wanted.items() if t not in ids}
    codes = {t: c for t, c in codes.items() if credit_code_problem(c) is None}
    names = {t: v for t, v in wanted.items() if t not in ids and t not in codes}
    by_id: dict[int, int] = {}
    for pk, merged in fetch_where_in(Enterprise, "id", sorted(set(ids.values())), ("id", "merged_into_id")):
        by_id[pk] = merged or pk
    by_code: dict[str, int] = {}
    for code, pk, merged in fetch_where_in(
        Enterprise, "credit_code", sorted(set(codes.values())), ("credit_code", "id", "merged_into_id")
    ):
        by_code[code] = merged or pk
    by_name: dict[str, list[int]] = {}
    keys = {rules.name_key(n) for n in names.values()}
    texts_by_name = set(names.values())
    for pk, name, merged in fetch_where_in(Enterprise, "name_key", sorted(keys), ("id", "name", "merged_into_id")):
        if merged is None and name in texts_by_name:
            by_name.setdefault(name, []).append(pk)
    out: dict[str, Reference] = {}
    for text, value in wanted.items():
        found: int | None = None
        if text in ids:
            found = by_id.get(ids[text])
        elif text in codes:
            found = by_code.get(codes[text])
        else:
            matches = by_name.get(names[text], [])
            if len(matches) > 1:
                out[text] = Reference(
                    None,
                    _("Several enterprises are named “%(value)s”; give the credit code instead.") % {"value": value},
                )
                continue
            found = matches[0] if matches else None
        if found is None:
            out[text] = Reference(
                None,
                _(
                    "No enterprise with the number, credit code or name “%(value)s” is in the registry. Add it to the "
                    "registry first, or leave this empty and give the investor's name."
                )
                % {"value": value},
            )
        else:
            out[text] = Reference(found)
    return out
