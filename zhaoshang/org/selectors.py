"""Reads of the organisation, including the computation of a user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from zhaoshang.core.scoping import ATTRIBUTE, Scope
from zhaoshang.org.models import Membership, Role, Unit


def _subtree_units(paths: set[str]) -> list[tuple[int, str]]:
    """(id, path) of every unit under any of ``paths``, in one query."""
    if not paths:
        return []
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return list(Unit.objects.filter(q).values_list("id", "path"))


def _under(units: list[tuple[int, str]], paths: set[str]) -> frozenset[int]:
    prefixes = tuple(paths)
    if not prefixes:
        return frozenset()
    return frozenset(pk for pk, path in units if path.startswith(prefixes))


def compute_scope(user: Any) -> Scope:
    """Scope from memberships: leaders and coordinators see all; others their unit subtrees.

    Two queries whatever the number of memberships: the memberships, then every unit
    under any of them; the managed and working subtrees are picked out in Python."""
    rows = list(
        Membership.objects.filter(user_id=user.pk, unit__active=True)
        .order_by("id")
        .values_list("unit_id", "unit__path", "role")
    )
    roles = {role for _, _, role in rows}
    all_paths = {path for _, path, _ in rows}
    managed_paths = {path for _, path, role in rows if role == Role.UNIT_MANAGER}
    working_paths = {path for _, path, role in rows if role in (Role.UNIT_MANAGER, Role.OFFICER)}
    units = _subtree_units(all_paths)
    return Scope(
        user_id=user.pk,
        authenticated=True,
        is_leader=Role.LEADER in roles,
        is_coordinator=Role.COORDINATOR in roles or bool(getattr(user, "is_superuser", False)),
        visible_unit_ids=_under(units, all_paths),
        managed_unit_ids=_under(units, managed_paths),
        working_unit_ids=_under(units, working_paths),
        home_unit_id=rows[0][0] if rows else None,
    )


def attributable_units(user: Any, *, keep: int | None = None) -> Any:
    """Units ``user`` may attribute work to (a project's lead unit, the unit recording an
    enterprise or a contact), for a form's choices; ``keep``: the record's current unit stays
    choosable, so that editing something else does not force a change of unit."""
    qs = Unit.objects.restrict(user, ATTRIBUTE)
    if keep is not None:
        qs = qs | Unit.objects.filter(pk=keep)
    return qs.order_by("path", "sort_order")


def attributable_unit_ids(user: Any) -> frozenset[int]:
    """The ids of the units ``user`` may attribute work to: the one rule, for one record or a
    whole sheet (one query)."""
    return frozenset(Unit.objects.restrict(user, ATTRIBUTE).values_list("id", flat=True))


def attribution_errors(user: Any, unit_id: int | None, *, current: int | None = None) -> list[str]:
    """Why ``user`` may not name ``unit_id`` as the unit doing the work (empty when allowed);
    keeping a record's ``current`` unit is always allowed."""
    if unit_id is None or unit_id == current:
        return []
    if unit_id in attributable_unit_ids(user):
        return []
    return [str(_("You do not work in this unit; choose one of your own units."))]
