"""Writes to the organisation: units and memberships, each audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhaoshang.core.audit import record_change, snapshot
from zhaoshang.core.models import ChangeAction
from zhaoshang.org.models import Membership, Unit


def _parent_path(unit: Unit) -> str:
    # The parent's stored path, not the caller's copy, which may predate a move.
    if not unit.parent_id:
        return "/"
    return Unit.objects.values_list("path", flat=True).get(pk=unit.parent_id)


def _compute_path(unit: Unit) -> str:
    return f"{_parent_path(unit)}{unit.pk}/"


@transaction.atomic
def unit_create(*, name: str, kind: str, parent: Unit | None = None, region: str = "", sort_order: int = 0) -> Unit:
    """Create a unit under ``parent`` and give it its tree path."""
    unit = Unit(name=name, kind=kind, parent=parent, region=region, sort_order=sort_order)
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = _compute_path(unit)
    unit.save(update_fields=["path"])
    record_change(unit, action=ChangeAction.CREATE)
    return unit


@transaction.atomic
def unit_update(*, unit: Unit, **fields: Any) -> Unit:
    """Change a unit; moving it re-roots the paths of its whole subtree."""
    before = snapshot(unit)
    old_path = Unit.objects.values_list("path", flat=True).get(pk=unit.pk)
    for key, value in fields.items():
        setattr(unit, key, value)
    unit.full_clean(exclude=["path"])
    parent_path = _parent_path(unit)
    if unit.parent_id == unit.pk or parent_path.startswith(old_path):
        raise ValidationError(_("A unit cannot be placed under itself or its own sub-unit."))
    unit.path = f"{parent_path}{unit.pk}/"
    unit.save()
    if unit.path != old_path:
        subtree = list(Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).only("id", "path"))
        for child in subtree:
            child.path = unit.path + child.path[len(old_path) :]
        Unit.objects.bulk_update(subtree, ["path"], batch_size=500)
    after = snapshot(unit)
    if after != before:
        record_change(unit, action=ChangeAction.UPDATE, before=before, after=after)
    return unit


@transaction.atomic
def membership_set(*, user: Any, unit: Unit, role: str, title: str = "") -> Membership:
    """Give ``user`` a role in ``unit`` (creating or changing the membership)."""
    existing = Membership.objects.filter(user=user, unit=unit).first()
    if existing is None:
        m = Membership(user=user, unit=unit, role=role, title=title)
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
    existing.save(update_fields=["role", "title", "updated"])
    record_change(existing, action=ChangeAction.UPDATE, before=before)
    return existing


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Take a user's role in a unit away; the membership's last state stays in the log."""
    before = snapshot(membership)
    record_change(membership, action=ChangeAction.DELETE, before=before, after=None)
    membership.delete()
