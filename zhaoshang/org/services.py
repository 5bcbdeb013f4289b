"""Writes to the organisation: units and memberships, each permitted, audited and versioned."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhaoshang.core.audit import attributed, record_change, snapshot
from zhaoshang.core.editing import bump, check_revision, copy_into
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import CHANGE, CREATE, DELETE, Actor, forget_scope, require
from zhaoshang.org.models import Membership, Unit


def _parent_path(unit: Unit) -> str:
    # The parent's stored path, not the caller's copy, which may predate a move.
    if not unit.parent_id:
        return "/"
    return Unit.objects.values_list("path", flat=True).get(pk=unit.parent_id)


@attributed
@transaction.atomic
def unit_create(
    *, user: Actor, name: str, kind: str, parent: Unit | None = None, region: str = "", sort_order: int = 0
) -> Unit:
    """Create a unit under ``parent`` and give it its tree path (coordinators)."""
    require(user, CREATE, Unit)
    unit = Unit(name=name, kind=kind, parent=parent, region=region, sort_order=sort_order)
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = f"{_parent_path(unit)}{unit.pk}/"
    unit.save(update_fields=["path"])
    record_change(unit, action=ChangeAction.CREATE)
    return unit


UNIT_FIELDS = ("name", "kind", "region", "parent", "sort_order", "active")


@attributed
@transaction.atomic
def unit_update(
    *,
    user: Actor,
    unit: Unit,
    revision: int | None = None,
    name: str | None = None,
    kind: str | None = None,
    region: str | None = None,
    parent: Unit | bool | None = False,
    sort_order: int | None = None,
    active: bool | None = None,
) -> Unit:
    """Change a unit (coordinators); moving it re-roots the paths of its whole subtree.
    Arguments left out (``None``; ``parent=False``) keep their value."""
    locked: Unit = Unit.objects.select_for_update().get(pk=unit.pk)
    require(user, CHANGE, locked)
    check_revision(locked, revision)
    before = snapshot(locked)
    old_path = locked.path
    given = {"name": name, "kind": kind, "region": region, "sort_order": sort_order, "active": active}
    for key, value in given.items():
        if value is not None:
            setattr(locked, key, value)
    if parent is not False:
        locked.parent = parent if isinstance(parent, Unit) else None
    locked.full_clean(exclude=["path"])
    parent_path = _parent_path(locked)
    if locked.parent_id == locked.pk or parent_path.startswith(old_path):
        raise ValidationError(_("A unit cannot be placed under itself or its own sub-unit."))
    locked.path = f"{parent_path}{locked.pk}/"
    after = snapshot(locked)
    if after == before:
        return locked
    bump(locked)
    locked.save()
    if locked.path != old_path:
        subtree = list(Unit.objects.filter(path__startswith=old_path).exclude(pk=locked.pk).only("id", "path"))
        moved = []
        for child in subtree:
            child_before = {"path": child.path}
            child.path = locked.path + child.path[len(old_path) :]
            moved.append((child, child_before))
        Unit.objects.bulk_update(subtree, ["path"], batch_size=500)
        # Paths are derived (not in the history) but a moved subtree is worth a line each.
        for child, _before in moved:
            record_change(child, action=ChangeAction.UPDATE, message=_("moved with its parent unit"))
    record_change(locked, action=ChangeAction.UPDATE, before=before, after=after)
    copy_into(unit, locked)
    return locked


@attributed
@transaction.atomic
def membership_set(*, user: Actor, member: Any, unit: Unit, role: str, title: str = "") -> Membership:
    """Give ``member`` a role in ``unit`` (creating or changing the membership; coordinators)."""
    require(user, CREATE, Membership)
    existing: Membership | None = Membership.objects.select_for_update().filter(user=member, unit=unit).first()
    forget_scope(member)
    if existing is None:
        m = Membership(user=member, unit=unit, role=role, title=title)
        m.full_clean()
        m.save()
        record_change(m, action=ChangeAction.CREATE)
        return m
    if (existing.role, existing.title) == (role, title):
        return existing
    before = snapshot(existing)
    existing.role = role
    existing.title = title
    existing.full_clean()
    bump(existing)
    existing.save(update_fields=["role", "title", "updated", "revision"])
    record_change(existing, action=ChangeAction.UPDATE, before=before)
    return existing


@attributed
@transaction.atomic
def membership_delete(*, user: Actor, membership: Membership) -> None:
    """Take a user's role in a unit away; the membership's last state stays in the log."""
    require(user, DELETE, membership)
    before = snapshot(membership)
    record_change(membership, action=ChangeAction.DELETE, before=before, after=None)
    forget_scope(membership.user)
    membership.delete()
