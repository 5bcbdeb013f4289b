"""Writes to the organisation: the unit tree keeps its paths right, memberships are set,
and every change is in the history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import translation

from zhaoshang.core.audit import audit_context, history_for
from zhaoshang.core.models import ChangeAction, ChangeSource
from zhaoshang.core.scoping import SYSTEM, scope_for
from zhaoshang.org.models import Membership, Role, Unit, UnitKind
from zhaoshang.org.services import membership_delete, membership_set, unit_create, unit_update
from zhaoshang.projects.models import Project
from zhaoshang.projects.services import project_create


def diff(row: Any) -> dict[str, tuple[Any, Any]]:
    """The stored before/after values that differ, by field name."""
    before, after = row.before or {}, row.after or {}
    return {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared in English, whatever catalogue the default language has."""
    with translation.override("en"):
        yield


def reload(unit: Unit) -> Unit:
    return Unit.objects.get(pk=unit.pk)


def test_unit_paths_follow_the_tree(org: Any) -> None:
    assert org.admin.path == f"/{org.admin.pk}/"
    assert org.park_a.path == f"/{org.admin.pk}/{org.park_a.pk}/"
    assert org.park_a_team.path == f"{org.park_a.path}{org.park_a_team.pk}/"
    assert org.outpost.path.startswith(org.centre.path)
    assert (org.admin.depth, org.park_a.depth, org.park_a_team.depth) == (0, 1, 2)
    assert reload(org.park_a_team).path == org.park_a_team.path


def test_unit_create_validates(org: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        unit_create(user=SYSTEM, name="园区运营中心A", kind=UnitKind.PARK_OPERATOR, parent=org.admin)
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        unit_create(user=SYSTEM, name="未知单位", kind="nonsense", parent=org.admin)
    assert "kind" in exc.value.message_dict
    assert not Unit.objects.filter(name="未知单位").exists()


def test_moving_a_unit_re_roots_its_whole_subtree(org: Any) -> None:
    with audit_context(source=ChangeSource.COMMAND):
        squad = unit_create(user=SYSTEM, name="一部一组", kind=UnitKind.PARK_OPERATOR, parent=org.park_a_team)
        unit_update(user=SYSTEM, unit=org.park_a_team, parent=org.park_b)
    team = reload(org.park_a_team)
    assert team.path == f"{org.park_b.path}{team.pk}/"
    assert reload(squad).path == f"{team.path}{squad.pk}/"
    assert not Unit.objects.filter(path__startswith=org.park_a.path).exclude(pk=org.park_a.pk).exists()


def test_moving_a_unit_moves_who_sees_its_projects(org: Any) -> None:
    with audit_context(user=org.officer_a2):
        project_create(
            data={"name": "一部项目", "investor_name": "某公司", "lead_unit": org.park_a_team}, user=org.officer_a2
        )
    unit_update(user=SYSTEM, unit=org.park_a_team, parent=org.park_b)

    def sees(user: Any) -> bool:
        fresh = get_user_model().objects.get(pk=user.pk)
        return Project.objects.restrict(fresh).filter(name="一部项目").exists()

    assert not sees(org.officer_a)
    assert sees(org.officer_b)
    assert sees(org.officer_a2)


def test_a_stale_parent_copy_does_not_corrupt_paths(org: Any) -> None:
    stale_team = Unit.objects.get(pk=org.park_a_team.pk)
    unit_update(user=SYSTEM, unit=org.park_a_team, parent=org.park_b)
    # The caller still holds the team with its old path; the new unit goes under its real one.
    child = unit_create(user=SYSTEM, name="新小组", kind=UnitKind.PARK_OPERATOR, parent=stale_team)
    assert child.path == f"{reload(org.park_a_team).path}{child.pk}/"


def test_a_unit_cannot_be_moved_under_itself_or_its_sub_unit(org: Any) -> None:
    with pytest.raises(ValidationError, match="under itself"):
        unit_update(user=SYSTEM, unit=reload(org.park_a), parent=org.park_a)
    with pytest.raises(ValidationError, match="under itself"):
        unit_update(user=SYSTEM, unit=reload(org.park_a), parent=org.park_a_team)
    assert reload(org.park_a).parent_id == org.admin.pk
    assert reload(org.park_a).path == org.park_a.path
    assert reload(org.park_a_team).path == org.park_a_team.path


def test_moving_to_the_root(org: Any) -> None:
    unit_update(user=SYSTEM, unit=org.park_b, parent=None)
    assert reload(org.park_b).path == f"/{org.park_b.pk}/"


def test_unit_changes_are_audited(org: Any) -> None:
    old_path = org.park_b.path
    with audit_context(user=org.coordinator, source=ChangeSource.WEB, request_id="r-unit"):
        unit_update(user=SYSTEM, unit=org.park_b, name="园区运营中心乙", parent=org.centre)
    row = history_for(org.park_b)[0]
    assert row.action == ChangeAction.UPDATE
    assert (row.user_name, row.request_id) == ("coordinator", "r-unit")
    changed = diff(row)
    assert changed["name"] == ("园区运营中心B", "园区运营中心乙")
    assert changed["parent"] == (org.admin.pk, org.centre.pk)
    assert changed["path"] == (old_path, f"{org.centre.path}{org.park_b.pk}/")


def test_an_update_that_changes_nothing_writes_no_history(org: Any) -> None:
    count = len(history_for(org.park_b))
    unit_update(user=SYSTEM, unit=org.park_b, name="园区运营中心B")
    assert len(history_for(org.park_b)) == count


def test_every_unit_creation_is_in_the_history(org: Any) -> None:
    for unit in (org.admin, org.centre, org.park_a, org.park_a_team, org.park_b, org.outpost):
        rows = list(history_for(unit))
        assert [r.action for r in rows] == [ChangeAction.CREATE]
        assert rows[0].source == ChangeSource.COMMAND
        assert rows[0].after["name"] == unit.name


def test_membership_set_creates_then_updates(org: Any) -> None:
    user = get_user_model().objects.create_user(username="wang", password="pw")
    with audit_context(user=org.coordinator, source=ChangeSource.WEB):
        m = membership_set(user=SYSTEM, member=user, unit=org.park_b, role=Role.VIEWER)
        again = membership_set(user=SYSTEM, member=user, unit=org.park_b, role=Role.UNIT_MANAGER, title="主任")
    assert again.pk == m.pk
    assert Membership.objects.filter(user=user).count() == 1
    stored = Membership.objects.get(pk=m.pk)
    assert (stored.role, stored.title) == (Role.UNIT_MANAGER, "主任")
    rows = list(history_for(m))
    assert [r.action for r in rows] == [ChangeAction.UPDATE, ChangeAction.CREATE]
    assert rows[0].before["role"] == Role.VIEWER
    assert rows[0].after["role"] == Role.UNIT_MANAGER
    assert rows[0].user_name == "coordinator"
    assert scope_for(get_user_model().objects.get(pk=user.pk)).managed_unit_ids == {org.park_b.pk}


def test_membership_set_with_the_same_values_logs_nothing(org: Any) -> None:
    m = Membership.objects.get(user=org.officer_a, unit=org.park_a)
    count = len(history_for(m))
    membership_set(user=SYSTEM, member=org.officer_a, unit=org.park_a, role=Role.OFFICER)
    assert len(history_for(m)) == count


def test_membership_set_rejects_an_unknown_role(org: Any) -> None:
    user = get_user_model().objects.create_user(username="zhao", password="pw")
    with pytest.raises(ValidationError):
        membership_set(user=SYSTEM, member=user, unit=org.park_b, role="boss")
    assert not Membership.objects.filter(user=user).exists()


def test_a_user_may_belong_to_several_units(org: Any) -> None:
    membership_set(user=SYSTEM, member=org.officer_b, unit=org.outpost, role=Role.OFFICER)
    assert set(Membership.objects.filter(user=org.officer_b).values_list("unit__name", flat=True)) == {
        "园区运营中心B",
        "长三角招商分局",
    }


def test_membership_delete_is_audited(org: Any) -> None:
    m = Membership.objects.get(user=org.viewer_a)
    pk = m.pk
    with audit_context(user=org.coordinator):
        membership_delete(user=SYSTEM, membership=m)
    assert not Membership.objects.filter(pk=pk).exists()
    m.pk = pk
    row = history_for(m)[0]
    assert row.action == ChangeAction.DELETE
    assert row.before["role"] == Role.VIEWER
    assert row.after is None
    assert scope_for(get_user_model().objects.get(pk=org.viewer_a.pk)).visible_unit_ids == frozenset()
