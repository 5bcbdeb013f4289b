"""Who sees and changes what: the one scoping mechanism, with the zone's personas.

Out-of-scope objects are absent from ``restrict``, so a detail lookup answers 404 for them
exactly as for missing ones."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from zhaoshang.core.audit import audit_context
from zhaoshang.core.scoping import SYSTEM, Action, get_restricted_or_404, scope_for
from zhaoshang.enterprises.models import Enterprise, EnterpriseContact
from zhaoshang.enterprises.services import contact_create, enterprise_create
from zhaoshang.org.models import Membership, Role, Unit, UnitKind
from zhaoshang.org.selectors import compute_scope
from zhaoshang.org.services import membership_set, unit_create
from zhaoshang.projects.models import CreditRole, Project
from zhaoshang.projects.services import credits_set, member_add, project_create


@dataclass
class Board:
    p_a: Project  # park A, owned by officer_a
    p_a_other: Project  # park A, owned by manager_a
    p_team: Project  # park A's team, owned by officer_a2
    p_b: Project  # park B, owned by officer_b
    p_centre: Project  # promotion centre, owned by the coordinator
    p_conf: Project  # park A, confidential, only officer_a2 is a member
    p_shared: Project  # park B leads, park A shares the credit

    def all(self) -> list[Project]:
        return [self.p_a, self.p_a_other, self.p_team, self.p_b, self.p_centre, self.p_conf, self.p_shared]


def _make(name: str, unit: Unit, owner: Any, **extra: Any) -> Project:
    # Set up by the system (a sub-unit's officer may not name the parent unit as lead), with
    # ``owner`` as the officer in charge, hence a member.
    with audit_context(user=owner):
        return project_create(
            data={"name": name, "investor_name": name + "投资方", "lead_unit": unit, "owner": owner, **extra},
            user=SYSTEM,
        )


@pytest.fixture
def board(org: Any) -> Board:
    b = Board(
        p_a=_make("A园区项目", org.park_a, org.officer_a),
        p_a_other=_make("A园区另一项目", org.park_a, org.manager_a),
        p_team=_make("A招商一部项目", org.park_a_team, org.officer_a2),
        p_b=_make("B园区项目", org.park_b, org.officer_b),
        p_centre=_make("中心项目", org.centre, org.coordinator),
        p_conf=_make("保密项目", org.park_a, org.officer_a2, confidential=True),
        p_shared=_make("B牵头A分成项目", org.park_b, org.officer_b),
    )
    credits_set(
        user=SYSTEM,
        project=b.p_shared,
        shares=[
            (org.park_b, CreditRole.FIRST_CONTACT, Decimal(60)),
            (org.park_a, CreditRole.LANDING_SERVICE, Decimal(40)),
        ],
    )
    return b


def fresh(user: Any) -> Any:
    """The user as a new request would load it (the scope is cached per user object)."""
    return get_user_model().objects.get(pk=user.pk)


def names(qs: Any) -> set[str]:
    return set(qs.values_list("name", flat=True))


def visible(user: Any, action: Action = "view") -> set[str]:
    return names(Project.objects.restrict(fresh(user), action))


def test_leader_sees_every_project_including_confidential(org: Any, board: Board) -> None:
    assert visible(org.leader) == {p.name for p in board.all()}
    assert visible(org.leader, "change") == {p.name for p in board.all()}


def test_coordinator_sees_all_units_projects_but_not_confidential_ones(org: Any, board: Board) -> None:
    expected = {p.name for p in board.all()} - {"保密项目"}
    assert visible(org.coordinator) == expected
    assert visible(org.coordinator, "change") == expected


def test_officer_a_sees_park_a_subtree_and_shared_projects_only(org: Any, board: Board) -> None:
    assert visible(org.officer_a) == {"A园区项目", "A园区另一项目", "A招商一部项目", "B牵头A分成项目"}


def test_officer_b_sees_nothing_of_park_a(org: Any, board: Board) -> None:
    seen = visible(org.officer_b)
    assert seen == {"B园区项目", "B牵头A分成项目"}
    for p in (board.p_a, board.p_a_other, board.p_team, board.p_conf, board.p_centre):
        with pytest.raises(Http404):
            get_restricted_or_404(Project.objects.all(), fresh(org.officer_b), pk=p.pk)


def test_officer_of_a_sub_unit_sees_only_its_own_subtree(org: Any, board: Board) -> None:
    # officer_a2 works in park A's team: the team's projects, and its own confidential one.
    assert visible(org.officer_a2) == {"A招商一部项目", "保密项目"}


def test_viewer_sees_park_a_but_can_change_nothing(org: Any, board: Board) -> None:
    assert visible(org.viewer_a) == visible(org.officer_a)
    assert visible(org.viewer_a, "change") == set()
    assert visible(org.viewer_a, "delete") == set()
    # Not even a project the viewer was added to.
    member_add(user=SYSTEM, project=board.p_a, member=org.viewer_a)
    assert visible(org.viewer_a, "change") == set()


def test_unit_manager_changes_its_subtree_projects(org: Any, board: Board) -> None:
    assert visible(org.manager_a, "change") == {"A园区项目", "A园区另一项目", "A招商一部项目"}
    # Sharing credit lets park A see park B's project, not change it.
    assert "B牵头A分成项目" in visible(org.manager_a)


def test_officer_changes_only_projects_it_owns_or_is_a_member_of(org: Any, board: Board) -> None:
    assert visible(org.officer_a, "change") == {"A园区项目"}
    member_add(user=SYSTEM, project=board.p_team, member=org.officer_a)
    assert visible(org.officer_a, "change") == {"A园区项目", "A招商一部项目"}
    with pytest.raises(Http404):
        get_restricted_or_404(Project.objects.all(), fresh(org.officer_a), "change", pk=board.p_a_other.pk)


def test_confidential_project_is_seen_only_by_members_and_leaders(org: Any, board: Board) -> None:
    can_see = {
        u.username
        for u in (
            org.leader,
            org.coordinator,
            org.manager_a,
            org.officer_a,
            org.officer_a2,
            org.viewer_a,
            org.officer_b,
        )
        if "保密项目" in visible(u)
    }
    assert can_see == {"leader", "officer_a2"}
    assert "保密项目" not in visible(org.manager_a, "change")
    member_add(user=SYSTEM, project=board.p_conf, member=org.coordinator)
    assert "保密项目" in visible(org.coordinator)
    assert "保密项目" in visible(org.coordinator, "change")


def test_a_member_outside_the_unit_sees_the_project(org: Any, board: Board) -> None:
    member_add(user=SYSTEM, project=board.p_a, member=org.officer_b)
    assert "A园区项目" in visible(org.officer_b)
    assert "A园区项目" in visible(org.officer_b, "change")


def test_anonymous_sees_nothing(org: Any, board: Board) -> None:
    assert not Project.objects.restrict(AnonymousUser()).exists()
    assert not Project.objects.restrict(None).exists()
    assert not Enterprise.objects.restrict(AnonymousUser()).exists()
    assert not Unit.objects.restrict(AnonymousUser()).exists()
    with pytest.raises(Http404):
        get_restricted_or_404(Project.objects.all(), AnonymousUser(), pk=board.p_a.pk)


def test_missing_and_out_of_scope_answer_the_same_404(org: Any, board: Board) -> None:
    officer_b = fresh(org.officer_b)
    with pytest.raises(Http404):
        get_restricted_or_404(Project.objects.all(), officer_b, pk=999_999)
    with pytest.raises(Http404):
        get_restricted_or_404(Project.objects.all(), officer_b, pk=board.p_a.pk)
    with pytest.raises(Http404):
        get_restricted_or_404(Project.objects.all(), officer_b, pk="not-a-number")
    assert get_restricted_or_404(Project.objects.all(), officer_b, pk=board.p_b.pk) == board.p_b


def test_enterprises_are_visible_to_all_staff_and_changed_by_coordinators_and_recording_unit(org: Any) -> None:
    with audit_context(user=org.officer_a):
        recorded_by_a = enterprise_create(
            user=SYSTEM, data={"name": "郑州奥利弗电子科技有限公司", "owner_unit": org.park_a}
        )
        unowned = enterprise_create(user=SYSTEM, data={"name": "三六零集团"})
    for user in (
        org.leader,
        org.coordinator,
        org.manager_a,
        org.officer_a,
        org.officer_a2,
        org.viewer_a,
        org.officer_b,
    ):
        assert names(Enterprise.objects.restrict(fresh(user))) == {"郑州奥利弗电子科技有限公司", "三六零集团"}
    can_change = {
        u.username
        for u in (
            org.leader,
            org.coordinator,
            org.manager_a,
            org.officer_a,
            org.officer_a2,
            org.viewer_a,
            org.officer_b,
        )
        if Enterprise.objects.restrict(fresh(u), "change").filter(pk=recorded_by_a.pk).exists()
    }
    assert can_change == {"leader", "coordinator", "manager_a", "officer_a"}
    assert names(Enterprise.objects.restrict(fresh(org.officer_a), "change")) == {"郑州奥利弗电子科技有限公司"}
    assert not Enterprise.objects.restrict(fresh(org.manager_a), "change").filter(pk=unowned.pk).exists()
    assert Enterprise.objects.restrict(fresh(org.coordinator), "change").filter(pk=unowned.pk).exists()


def test_enterprise_contacts_are_scoped_to_the_recording_unit(org: Any) -> None:
    with audit_context(user=org.officer_a):
        ent = enterprise_create(user=SYSTEM, data={"name": "郑州市通达氧应用开发有限公司"})
        contact_create(user=SYSTEM, enterprise=ent, unit=org.park_a, data={"name": "王经理", "phone": "13800000000"})
        contact_create(user=SYSTEM, enterprise=ent, unit=org.park_b, data={"name": "李总"})

    def seen(user: Any, action: Action = "view") -> set[str]:
        return names(EnterpriseContact.objects.restrict(fresh(user), action))

    assert seen(org.officer_a) == {"王经理"}
    assert seen(org.viewer_a) == {"王经理"}
    assert seen(org.officer_b) == {"李总"}
    assert seen(org.coordinator) == {"王经理", "李总"}
    assert seen(org.leader) == {"王经理", "李总"}
    assert seen(org.officer_a, "change") == {"王经理"}
    assert seen(org.viewer_a, "change") == set()
    # park A's team is below park A and does not see the parent's contacts.
    assert seen(org.officer_a2) == set()


def test_the_organisation_is_public_to_staff_and_changed_by_coordinators(org: Any) -> None:
    all_units = set(Unit.objects.values_list("name", flat=True))
    assert names(Unit.objects.restrict(fresh(org.officer_b))) == all_units
    assert names(Unit.objects.restrict(fresh(org.coordinator), "change")) == all_units
    assert names(Unit.objects.restrict(fresh(org.manager_a), "change")) == set()
    assert not Membership.objects.restrict(fresh(org.officer_a), "change").exists()


def test_scope_of_each_persona(org: Any) -> None:
    a_subtree = {org.park_a.pk, org.park_a_team.pk}
    officer_a = scope_for(fresh(org.officer_a))
    assert officer_a.visible_unit_ids == a_subtree
    assert officer_a.working_unit_ids == a_subtree
    assert officer_a.managed_unit_ids == frozenset()
    assert not officer_a.sees_all
    manager_a = scope_for(fresh(org.manager_a))
    assert manager_a.managed_unit_ids == a_subtree
    viewer = scope_for(fresh(org.viewer_a))
    assert viewer.visible_unit_ids == a_subtree
    assert not viewer.can_write
    assert scope_for(fresh(org.coordinator)).is_coordinator
    assert scope_for(fresh(org.leader)).is_leader
    assert not scope_for(AnonymousUser()).authenticated


def test_a_superuser_counts_as_coordinator(db: Any) -> None:
    admin = get_user_model().objects.create_superuser(username="root", password="pw")
    assert scope_for(admin).is_coordinator


def test_memberships_of_inactive_units_grant_nothing(org: Any) -> None:
    Unit.objects.filter(pk=org.park_b.pk).update(active=False)
    assert scope_for(fresh(org.officer_b)).visible_unit_ids == frozenset()


def test_scope_with_several_memberships_combines_roles(org: Any) -> None:
    user = get_user_model().objects.create_user(username="two_hats", password="pw")
    membership_set(user=SYSTEM, member=user, unit=org.park_a_team, role=Role.UNIT_MANAGER)
    membership_set(user=SYSTEM, member=user, unit=org.park_b, role=Role.VIEWER)
    scope = compute_scope(user)
    assert scope.visible_unit_ids == {org.park_a_team.pk, org.park_b.pk}
    assert scope.managed_unit_ids == {org.park_a_team.pk}
    assert scope.working_unit_ids == {org.park_a_team.pk}


def test_compute_scope_issues_a_constant_number_of_queries(org: Any) -> None:
    def queries_for(n_units: int) -> int:
        user = get_user_model().objects.create_user(username=f"many{n_units}", password="pw")
        for i in range(n_units):
            with audit_context(source="command"):
                unit = unit_create(user=SYSTEM, name=f"分局{n_units}-{i}", kind=UnitKind.OUTPOST, parent=org.centre)
                unit_create(user=SYSTEM, name=f"分局{n_units}-{i}-组", kind=UnitKind.OUTPOST, parent=unit)
            role = (Role.OFFICER, Role.UNIT_MANAGER, Role.VIEWER)[i % 3]
            membership_set(user=SYSTEM, member=user, unit=unit, role=role)
        with CaptureQueriesContext(connection) as ctx:
            scope = compute_scope(user)
        assert len(scope.visible_unit_ids) == 2 * n_units
        return len(ctx.captured_queries)

    counts = {queries_for(n) for n in (1, 4, 12)}
    assert counts == {2}
