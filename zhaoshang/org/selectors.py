"""Reads of the organisation, including the computation of a user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zhaoshang.core.scoping import Scope
from zhaoshang.org.models import Membership, Role, Unit


def _subtree_ids(paths: set[str]) -> frozenset[int]:
    if not paths:
        return frozenset()
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return frozenset(Unit.objects.filter(q).values_list("id", flat=True))


def compute_scope(user: Any) -> Scope:
    """Scope from memberships: leaders and coordinators see all; others their unit subtrees."""
    rows = list(Membership.objects.filter(user_id=user.pk, unit__active=True).values_list("unit_id", "unit__path", "role"))
    roles = {role for _, _, role in rows}
    all_paths = {path for _, path, _ in rows}
    managed_paths = {path for _, path, role in rows if role == Role.UNIT_MANAGER}
    working_paths = {path for _, path, role in rows if role in (Role.UNIT_MANAGER, Role.OFFICER)}
    visible = _subtree_ids(all_paths)
    managed = _subtree_ids(managed_paths) if managed_paths != all_paths else (visible if managed_paths else frozenset())
    working = _subtree_ids(working_paths) if working_paths != all_paths else (visible if working_paths else frozenset())
    return Scope(
        user_id=user.pk,
        authenticated=True,
        is_leader=Role.LEADER in roles,
        is_coordinator=Role.COORDINATOR in roles or bool(getattr(user, "is_superuser", False)),
        visible_unit_ids=visible,
        managed_unit_ids=managed,
        working_unit_ids=working,
        home_unit_id=rows[0][0] if rows else None,
    )


def unit_choices_for(user: Any) -> Any:
    """Units a user may attribute work to (lead unit of a project, owner of a record)."""
    from zhaoshang.core.scoping import scope_for

    scope = scope_for(user)
    qs = Unit.objects.filter(active=True)
    if scope.sees_all:
        return qs
    return qs.filter(pk__in=scope.working_unit_ids)
