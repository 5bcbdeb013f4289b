"""Writes to the pipeline: creating projects, moving them through one service that records
who, when, from, to and why, overrides by leaders, facts, credit shares and foreign capital."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from zhaoshang.core.audit import audit_context, history_for
from zhaoshang.core.models import ChangeAction, ChangeLog, ChangeSource
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.models import IndustryCode
from zhaoshang.enterprises.services import enterprise_create
from zhaoshang.projects import rules, services
from zhaoshang.projects.models import CreditRole, MemberRole, Project, ProjectCredit, ProjectMember, StageChange
from zhaoshang.projects.services import (
    MoveRefused,
    credits_set,
    member_add,
    move_errors,
    project_create,
    project_move,
    project_update,
)

DAY = dt.date(2023, 3, 8)


def diff(row: Any) -> dict[str, tuple[Any, Any]]:
    """The stored before/after values that differ, by field name."""
    before, after = row.before or {}, row.after or {}
    return {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared in English, whatever catalogue the default language has."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_gates(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each test starts without gates registered by other mechanisms."""
    gates: list[Any] = []
    monkeypatch.setattr(services, "_GATES", gates)
    return gates


def fresh(user: Any) -> Any:
    return get_user_model().objects.get(pk=user.pk)


def new_project(org: Any, user: Any = None, **data: Any) -> Project:
    user = user or org.officer_a
    values = {"name": "网络安全基地", "investor_name": "三六零集团", "lead_unit": org.park_a, **data}
    with audit_context(user=user, source=ChangeSource.WEB):
        return project_create(data=values, user=user)


def signing_facts() -> dict[str, Any]:
    return {
        "source": "以商招商推荐",
        "planned_investment": Decimal("500000"),
        "industry": IndustryCode.objects.get(code="3971"),
        "promotion_method": "leader",
        "contracted_investment": Decimal("450000"),
        "signed_on": DAY,
    }


def moves(project: Project) -> list[tuple[str, str]]:
    return list(StageChange.objects.filter(project=project).values_list("from_stage", "to_stage"))


def move_logs(project: Project) -> list[Any]:
    return [r for r in history_for(project) if r.action == ChangeAction.MOVE]


# --- create -------------------------------------------------------------------------------


def test_create_puts_the_project_at_lead_with_an_owner_member(org: Any) -> None:
    project = new_project(org, planned_investment=Decimal("120000"))
    project.refresh_from_db()
    assert project.stage == rules.LEAD
    assert project.owner == org.officer_a
    assert project.priority_band == 2
    assert list(ProjectMember.objects.filter(project=project).values_list("user_id", "role")) == [
        (org.officer_a.pk, MemberRole.OWNER)
    ]
    change = StageChange.objects.get(project=project)
    assert (change.from_stage, change.to_stage, change.user, change.user_name) == (
        "",
        "lead",
        org.officer_a,
        "officer_a",
    )
    row = history_for(project)[0]
    assert (row.action, row.user_name, row.source) == (ChangeAction.CREATE, "officer_a", ChangeSource.WEB)
    assert row.after["stage"] == "lead"
    assert row.after["members"] == [org.officer_a.pk]


def test_create_for_a_registered_enterprise(org: Any) -> None:
    ent = enterprise_create(user=SYSTEM, data={"name": "三六零集团"})
    project = new_project(org, investor_name="", enterprise=ent)
    assert project.investor_display == "三六零集团"


def test_create_needs_an_investor(org: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        new_project(org, investor_name="  ")
    assert "investor_name" in exc.value.message_dict
    assert not Project.objects.exists()
    assert not StageChange.objects.exists()


def test_create_ignores_a_stage_given_in_the_data(org: Any) -> None:
    project = new_project(org, stage=rules.SIGNED, **signing_facts())
    assert Project.objects.get(pk=project.pk).stage == rules.LEAD


def test_the_creating_user_is_recorded_even_outside_a_request(org: Any) -> None:
    with audit_context(source=ChangeSource.COMMAND):
        project = project_create(
            data={"name": "研究院", "investor_name": "三六零集团", "lead_unit": org.park_a}, user=org.manager_a
        )
    change = StageChange.objects.get(project=project)
    assert (change.user_id, change.user_name) == (org.manager_a.pk, "manager_a")
    row = history_for(project)[0]
    assert (row.user_name, row.source) == ("manager_a", ChangeSource.COMMAND)


# --- move ---------------------------------------------------------------------------------


def test_move_records_who_when_from_to_and_why(org: Any) -> None:
    project = new_project(org, source="市领导推荐")
    started = timezone.now()
    with audit_context(user=org.officer_a, source=ChangeSource.WEB, request_id="move-1"):
        change = project_move(project=project, target=rules.CONTACTED, user=org.officer_a, reason="首次拜访")
    assert (change.user, change.user_name) == (org.officer_a, "officer_a")
    assert (change.from_stage, change.to_stage, change.reason) == ("lead", "contacted", "首次拜访")
    assert started <= change.time <= timezone.now()
    stored = Project.objects.get(pk=project.pk)
    assert stored.stage == rules.CONTACTED
    assert stored.stage_changed_at is not None and stored.stage_changed_at >= started
    assert project.stage == rules.CONTACTED  # the caller's copy follows
    [row] = move_logs(project)
    assert (row.user_name, row.request_id, row.source) == ("officer_a", "move-1", ChangeSource.WEB)
    assert (row.before["stage"], row.after["stage"]) == ("lead", "contacted")
    assert row.message == "lead → contacted. 首次拜访"
    assert moves(project) == [("", "lead"), ("lead", "contacted")]


def test_the_moving_user_is_recorded_even_outside_a_request(org: Any) -> None:
    project = new_project(org, source="展会")
    project_move(project=project, target=rules.CONTACTED, user=org.coordinator)
    change = StageChange.objects.filter(project=project).last()
    assert change is not None
    assert (change.user_id, change.user_name) == (org.coordinator.pk, "coordinator")
    assert move_logs(project)[0].user_name == "coordinator"


def test_a_refused_move_lists_every_reason_and_changes_nothing(org: Any) -> None:
    project = new_project(org)
    count = ChangeLog.objects.count()
    with pytest.raises(MoveRefused) as exc:
        project_move(project=project, target=rules.SIGNED, user=org.officer_a)
    assert exc.value.reasons == [
        "Missing: lead source",
        "Missing: planned total investment",
        "Missing: industry",
        "Missing: promotion method",
        "Missing: contracted investment",
        "Missing: signing date",
    ]
    assert Project.objects.get(pk=project.pk).stage == rules.LEAD
    assert moves(project) == [("", "lead")]
    assert ChangeLog.objects.count() == count


def test_a_jump_with_every_fact_is_allowed(org: Any) -> None:
    project = new_project(org, **signing_facts())
    project_move(project=project, target=rules.SIGNED, user=org.officer_a)
    assert moves(project) == [("", "lead"), ("lead", "signed")]


def test_move_errors_previews_the_same_reasons(org: Any) -> None:
    project = new_project(org)
    assert move_errors(project, rules.CONTACTED) == ["Missing: lead source"]
    assert move_errors(project, rules.ON_HOLD) == ["A reason is required to put a project on hold or drop it."]
    assert move_errors(project, rules.ON_HOLD, "等待企业决策") == []


def test_moving_back_needs_a_reason(org: Any) -> None:
    project = new_project(org, **signing_facts())
    project_move(project=project, target=rules.SIGNED, user=org.officer_a)
    with pytest.raises(MoveRefused) as exc:
        project_move(project=project, target=rules.NEGOTIATING, user=org.officer_a)
    assert exc.value.reasons == ["Moving a project back needs a reason."]
    change = project_move(project=project, target=rules.NEGOTIATING, user=org.officer_a, reason="合同条款需重谈")
    assert (change.from_stage, change.to_stage, change.reason) == ("signed", "negotiating", "合同条款需重谈")


def test_hold_and_resume(org: Any) -> None:
    project = new_project(org, **signing_facts())
    project_move(project=project, target=rules.REVIEW, user=org.officer_a)
    with pytest.raises(MoveRefused):
        project_move(project=project, target=rules.ON_HOLD, user=org.officer_a)
    project_move(project=project, target=rules.ON_HOLD, user=org.officer_a, reason="企业融资未到位")
    held = Project.objects.get(pk=project.pk)
    assert (held.stage, held.held_at_stage, held.side_reason) == ("on_hold", "review", "企业融资未到位")
    with pytest.raises(MoveRefused) as exc:
        project_move(project=project, target=rules.SIGNED, user=org.officer_a)
    assert exc.value.reasons == ["A project on hold resumes at the stage it was held at or an earlier one."]
    project_move(project=project, target=rules.REVIEW, user=org.officer_a)
    resumed = Project.objects.get(pk=project.pk)
    assert (resumed.stage, resumed.held_at_stage, resumed.side_reason) == ("review", "", "")


def test_dropped_is_final_even_for_a_leader_override(org: Any) -> None:
    project = new_project(org, source="网络")
    project_move(project=project, target=rules.DROPPED, user=org.officer_a, reason="企业选址他处")
    assert Project.objects.get(pk=project.pk).side_reason == "企业选址他处"
    with pytest.raises(MoveRefused) as exc:
        project_move(project=project, target=rules.LEAD, user=org.officer_a, reason="重新接触")
    assert exc.value.reasons == ["A dropped project cannot be moved; create a new project instead."]
    with pytest.raises(MoveRefused) as exc:
        project_move(
            project=project, target=rules.CONTACTED, user=fresh(org.leader), reason="领导决定重启", override=True
        )
    assert exc.value.reasons == ["A dropped project cannot be moved; create a new project instead."]
    assert Project.objects.get(pk=project.pk).stage == rules.DROPPED


def test_registered_gates_are_consulted(org: Any, no_gates: list[Any]) -> None:
    seen: list[tuple[int, str]] = []

    def screening(project: Project, target: str) -> list[str]:
        seen.append((project.pk, target))
        if rules.PIPELINE.index(target) >= rules.PIPELINE.index(rules.NEGOTIATING):
            return ["No screening verdict yet."]
        return []

    services.register_gate(screening)
    services.register_gate(screening)  # registering twice adds it once
    assert no_gates == [screening]
    project = new_project(org, **signing_facts())
    project_move(project=project, target=rules.CONTACTED, user=org.officer_a)
    with pytest.raises(MoveRefused) as exc:
        project_move(project=project, target=rules.NEGOTIATING, user=org.officer_a)
    assert exc.value.reasons == ["No screening verdict yet."]
    assert seen == [(project.pk, "contacted"), (project.pk, "negotiating")]
    # Side states are not gated: a project can always be put on hold.
    project_move(project=project, target=rules.ON_HOLD, user=org.officer_a, reason="等待甄别")
    assert seen[-1] == (project.pk, "negotiating")


def test_gate_reasons_are_listed_with_missing_facts(org: Any, no_gates: list[Any]) -> None:
    services.register_gate(lambda project, target: ["Evaluation grade below B."])
    project = new_project(org)
    with pytest.raises(MoveRefused) as exc:
        project_move(project=project, target=rules.CONTACTED, user=org.officer_a)
    assert exc.value.reasons == ["Missing: lead source", "Evaluation grade below B."]


def test_a_leader_override_with_a_reason_passes_missing_facts_and_gates(org: Any, no_gates: list[Any]) -> None:
    services.register_gate(lambda project, target: ["No screening verdict yet."])
    project = new_project(org)
    leader = fresh(org.leader)
    with audit_context(user=leader, source=ChangeSource.WEB, request_id="ovr-1"):
        change = project_move(
            project=project, target=rules.NEGOTIATING, user=leader, reason="管委会专题会议决定", override=True
        )
    assert Project.objects.get(pk=project.pk).stage == rules.NEGOTIATING
    assert change.user_name == "leader"
    assert change.reason.startswith("OVERRIDE by leader: 管委会专题会议决定")
    assert "Missing: lead source" in change.reason
    assert "No screening verdict yet." in change.reason
    [row] = move_logs(project)
    assert "OVERRIDE" in row.message
    assert (row.user_name, row.request_id) == ("leader", "ovr-1")


def test_a_leader_override_needs_a_reason(org: Any) -> None:
    project = new_project(org)
    with pytest.raises(MoveRefused) as exc:
        project_move(project=project, target=rules.NEGOTIATING, user=fresh(org.leader), reason=" ", override=True)
    assert exc.value.reasons == ["An override needs a written reason."]
    assert Project.objects.get(pk=project.pk).stage == rules.LEAD


@pytest.mark.parametrize("persona", ["coordinator", "manager_a", "officer_a"])
def test_a_non_leader_override_is_denied(org: Any, persona: str) -> None:
    project = new_project(org)
    with pytest.raises(PermissionDenied):
        project_move(
            project=project,
            target=rules.NEGOTIATING,
            user=fresh(getattr(org, persona)),
            reason="我说了算",
            override=True,
        )
    assert Project.objects.get(pk=project.pk).stage == rules.LEAD
    assert moves(project) == [("", "lead")]


def test_an_override_is_not_needed_when_nothing_blocks(org: Any) -> None:
    project = new_project(org, source="网络")
    change = project_move(project=project, target=rules.CONTACTED, user=org.officer_a, reason="拜访", override=True)
    assert change.reason == "拜访"


# --- update -------------------------------------------------------------------------------


def test_update_refuses_to_remove_a_fact_the_stage_needs(org: Any) -> None:
    project = new_project(org, **signing_facts())
    project_move(project=project, target=rules.SIGNED, user=org.officer_a)
    project = Project.objects.get(pk=project.pk)
    count = ChangeLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        project_update(
            user=SYSTEM, project=project, data={"signed_on": None, "planned_investment": None, "name": "改名"}
        )
    message = exc.value.messages[0]
    assert "signed" in message
    assert "signing date" in message
    assert "planned total investment" in message
    stored = Project.objects.get(pk=project.pk)
    assert (stored.signed_on, stored.planned_investment, stored.name) == (DAY, Decimal("500000.00"), "网络安全基地")
    # The caller's copy is left as it was, too.
    assert (project.signed_on, project.planned_investment, project.name) == (DAY, Decimal("500000.00"), "网络安全基地")
    assert ChangeLog.objects.count() == count


def test_update_on_hold_keeps_the_facts_of_the_held_stage(org: Any) -> None:
    project = new_project(org, **signing_facts())
    project_move(project=project, target=rules.SIGNED, user=org.officer_a)
    project_move(project=project, target=rules.ON_HOLD, user=org.officer_a, reason="土地指标待落实")
    with pytest.raises(ValidationError):
        project_update(user=SYSTEM, project=Project.objects.get(pk=project.pk), data={"signed_on": None})
    assert Project.objects.get(pk=project.pk).signed_on == DAY


def test_update_changes_facts_recomputes_the_band_and_is_audited(org: Any) -> None:
    project = new_project(org, planned_investment=Decimal("9999.99"))
    assert project.priority_band == 0
    with audit_context(user=org.manager_a, source=ChangeSource.WEB):
        project_update(
            user=SYSTEM, project=project, data={"planned_investment": Decimal("10000"), "expected_jobs": 300}
        )
    stored = Project.objects.get(pk=project.pk)
    assert (stored.priority_band, stored.expected_jobs) == (1, 300)
    row = history_for(project)[0]
    assert (row.action, row.user_name) == (ChangeAction.UPDATE, "manager_a")
    changes = diff(row)
    assert changes == {
        "planned_investment": ("9999.99", "10000.00"),
        "priority_band": (0, 1),
        "expected_jobs": (None, 300),
    }


def test_update_without_change_writes_no_history(org: Any) -> None:
    project = new_project(org, planned_investment=Decimal("10000"))
    project_update(
        user=SYSTEM, project=Project.objects.get(pk=project.pk), data={"planned_investment": Decimal("10000.00")}
    )
    assert [r.action for r in history_for(project)] == [ChangeAction.CREATE]


def test_a_new_officer_in_charge_becomes_a_member(org: Any) -> None:
    project = new_project(org, confidential=True)
    project_update(user=SYSTEM, project=project, data={"owner": org.officer_a2})
    roles = dict(ProjectMember.objects.filter(project=project).values_list("user_id", "role"))
    assert roles == {org.officer_a.pk: MemberRole.MEMBER, org.officer_a2.pk: MemberRole.OWNER}
    assert Project.objects.restrict(fresh(org.officer_a2)).filter(pk=project.pk).exists()


# --- foreign capital ----------------------------------------------------------------------


def test_foreign_capital_needs_rate_and_date(org: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        new_project(org, foreign_capital_usd=Decimal("1000"))
    assert "fx_rate" in exc.value.message_dict
    with pytest.raises(ValidationError):
        new_project(org, foreign_capital_usd=Decimal("1000"), fx_rate=Decimal("7.1268"))
    with pytest.raises(ValidationError):
        new_project(org, foreign_capital_usd=Decimal("1000"), fx_date=DAY)
    with pytest.raises(ValidationError):
        new_project(org, foreign_capital_usd=Decimal("1000"), fx_rate=Decimal("0"), fx_date=DAY)
    assert not Project.objects.exists()
    project = new_project(org, foreign_capital_usd=Decimal("1000"), fx_rate=Decimal("7.1268"), fx_date=DAY)
    assert Project.objects.get(pk=project.pk).foreign_capital_cny == Decimal("7126.80")


def test_foreign_capital_rate_cannot_be_removed_later(org: Any) -> None:
    project = new_project(org, foreign_capital_usd=Decimal("1000"), fx_rate=Decimal("7.1268"), fx_date=DAY)
    with pytest.raises(ValidationError):
        project_update(user=SYSTEM, project=project, data={"fx_date": None})
    assert Project.objects.get(pk=project.pk).fx_date == DAY


# --- credit shares and members ------------------------------------------------------------


def test_credits_set_stores_shares_adding_to_100_and_is_audited(org: Any) -> None:
    project = new_project(org)
    with audit_context(user=org.manager_a, source=ChangeSource.WEB):
        credits_set(
            user=SYSTEM,
            project=project,
            shares=[
                (org.park_a, CreditRole.FIRST_CONTACT, Decimal("60")),
                (org.outpost.pk, CreditRole.REFERRAL, Decimal("25.5")),
                (org.park_a, CreditRole.LANDING_SERVICE, Decimal("14.5")),
            ],
        )
    stored = set(ProjectCredit.objects.filter(project=project).values_list("unit_id", "role", "share"))
    assert stored == {
        (org.park_a.pk, "first_contact", Decimal("60.00")),
        (org.outpost.pk, "referral", Decimal("25.50")),
        (org.park_a.pk, "landing_service", Decimal("14.50")),
    }
    row = history_for(project)[0]
    assert (row.action, row.user_name) == (ChangeAction.UPDATE, "manager_a")
    assert row.before["credits"] == []
    assert len(row.after["credits"]) == 3


def test_credits_set_refuses_shares_not_adding_to_100_and_keeps_the_old_ones(org: Any) -> None:
    project = new_project(org)
    credits_set(user=SYSTEM, project=project, shares=[(org.park_a, CreditRole.FIRST_CONTACT, Decimal("100"))])
    count = ChangeLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        credits_set(
            user=SYSTEM,
            project=project,
            shares=[
                (org.park_a, CreditRole.FIRST_CONTACT, Decimal("60")),
                (org.park_b, CreditRole.REFERRAL, Decimal("30")),
            ],
        )
    assert exc.value.messages == ["Credit shares add up to 90 %, not 100 %."]
    with pytest.raises(ValidationError) as exc:
        credits_set(
            user=SYSTEM,
            project=project,
            shares=[
                (org.park_a, CreditRole.REFERRAL, Decimal("50")),
                (org.park_a.pk, CreditRole.REFERRAL, Decimal("50")),
            ],
        )
    assert exc.value.messages == ["A unit appears twice with the same role."]
    with pytest.raises(ValidationError):
        credits_set(user=SYSTEM, project=project, shares=[(org.park_a, CreditRole.REFERRAL, Decimal("0"))])
    assert list(ProjectCredit.objects.filter(project=project).values_list("unit_id", "share")) == [
        (org.park_a.pk, Decimal("100.00"))
    ]
    assert ChangeLog.objects.count() == count


def test_sharing_credit_makes_the_project_visible_to_the_unit(org: Any) -> None:
    project = new_project(org)
    assert not Project.objects.restrict(fresh(org.officer_b)).filter(pk=project.pk).exists()
    credits_set(
        user=SYSTEM,
        project=project,
        shares=[
            (org.park_a, CreditRole.FIRST_CONTACT, Decimal("70")),
            (org.park_b, CreditRole.REFERRAL, Decimal("30")),
        ],
    )
    assert Project.objects.restrict(fresh(org.officer_b)).filter(pk=project.pk).exists()


def test_member_add_is_audited_and_idempotent(org: Any) -> None:
    project = new_project(org)
    with audit_context(user=org.manager_a):
        member_add(user=SYSTEM, project=project, member=org.officer_a2)
        again = member_add(user=SYSTEM, project=project, member=org.officer_a2, role=MemberRole.OWNER)
    assert again.role == MemberRole.MEMBER
    assert ProjectMember.objects.filter(project=project).count() == 2
    row = [r for r in history_for(project) if r.action == ChangeAction.UPDATE][-1]
    assert row.before["members"] == [org.officer_a.pk]
    assert sorted(row.after["members"]) == sorted([org.officer_a.pk, org.officer_a2.pk])


def test_the_officer_in_charge_cannot_be_removed_from_the_members(org: Any) -> None:
    """Removing the owner would leave a confidential project with someone who may change it
    but not see it; the member list stays as it was and the officer is told what to do."""
    project = new_project(org, confidential=True)
    with pytest.raises(ValidationError) as exc:
        services.member_remove(user=org.officer_a, project=project, member=org.officer_a)
    assert "officer in charge" in exc.value.messages[0]
    assert ProjectMember.objects.filter(project=project, user=org.officer_a).exists()
    assert Project.objects.restrict(org.officer_a).filter(pk=project.pk).exists()


def test_services_refuse_whoever_calls_them_without_the_permission(org: Any) -> None:
    """The permission is the service's: a command or a job calling it for the viewer meets the
    same refusal as the page, and nothing changes."""
    project = new_project(org)
    before = (Project.objects.get(pk=project.pk).revision, ChangeLog.objects.count())
    for call in (
        lambda: services.project_update(user=org.viewer_a, project=project, data={"source": "x"}),
        lambda: services.project_move(user=org.officer_b, project=project, target=rules.CONTACTED),
        lambda: services.member_add(user=org.viewer_a, project=project, member=org.viewer_a),
        lambda: services.project_create(
            user=org.viewer_a, data={"name": "x", "investor_name": "y", "lead_unit": org.park_a}
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert (Project.objects.get(pk=project.pk).revision, ChangeLog.objects.count()) == before


def test_a_sub_units_officer_may_not_name_the_parent_unit_as_lead(org: Any) -> None:
    """Work is attributed only to units the user works in: the rule of the form's choices is
    the service's too."""
    with pytest.raises(ValidationError) as exc:
        services.project_create(
            user=org.officer_a2, data={"name": "越级项目", "investor_name": "某公司", "lead_unit": org.park_a}
        )
    assert "lead_unit" in exc.value.message_dict
    assert not Project.objects.filter(name="越级项目").exists()
