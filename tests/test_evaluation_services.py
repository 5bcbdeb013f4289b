"""The evaluation's writes: scores that follow the facts, scheme versions, the rating
procedure (fast track, review meeting, conditions) and the signing gate on every way a
project moves (the stage service, an import row; the kanban is in the views' tests)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from openpyxl import Workbook

from tests.factories import approve_for_signing, enterprise, project
from zhaoshang.core.audit import audit_context, history_for
from zhaoshang.core.models import ChangeAction, ChangeLog
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.core.tabular.engine import run_import
from zhaoshang.enterprises.models import ChainNode, IndustryChain
from zhaoshang.evaluation import services
from zhaoshang.evaluation.models import FastTrack, ProjectCondition, ReviewMeeting, ReviewOpinion, SchemeVersion, Score
from zhaoshang.evaluation.selectors import hints_for
from zhaoshang.evaluation.services import (
    condition_done,
    fast_track_confirm,
    fast_track_errors,
    meeting_create,
    meeting_decide,
    opinion_set,
    scheme_version_create,
    score_all,
    signing_gate,
)
from zhaoshang.jobs.models import Job
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project
from zhaoshang.projects.services import MoveRefused, project_move, project_update

D = Decimal
SIGNING_REFUSAL = "Signing needs a positive review-meeting decision or a fast-track confirmation."


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def screening(monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    """Screening outcomes by project id ("pass" unless set), through the screening service's seam."""
    outcomes: dict[int, str] = {}
    monkeypatch.setattr(services, "screening_outcomes", lambda ids: {pk: outcomes.get(pk, "pass") for pk in ids})
    return outcomes


def fresh(user: Any) -> Any:
    return get_user_model().objects.get(pk=user.pk)


STRONG = {
    "fixed_asset_investment": D("90000"),  # 600 万元/亩 on 150 亩
    "expected_tax": D("7500"),  # 50 万元/亩
    "expected_jobs": 1000,
    "rd_share": D("5"),
    "patents": 30,
    "high_tech": True,
    "funding_status": "secured",
}


def strong(org: Any, name: str = "网络安全基地", stage: str = rules.REVIEW, **facts: Any) -> Project:
    """A project graded A by the default scheme (listed investor, facts above every floor)."""
    listed = enterprise(f"{name}股份有限公司", listing_exchange="SSE", ticker=f"60{len(name):04d}")
    return project(name, org.park_a, org.officer_a, stage=stage, enterprise=listed, **{**STRONG, **facts})


def score_of(p: Project) -> Score:
    return Score.objects.select_related("version").get(project=p)


# -- scores ---------------------------------------------------------------------------------


def test_the_default_scheme_is_version_1_in_force(db: Any) -> None:
    [version] = SchemeVersion.objects.all()
    assert (version.number, version.active, version.intensity_floor, version.tax_floor) == (1, True, D("300"), D("25"))
    assert sum(D(str(i["weight"])) for i in version.indicators) == 100


def test_a_project_is_scored_when_created_and_follows_its_facts(org: Any) -> None:
    p = strong(org)
    score = score_of(p)
    assert (score.total, score.grade, score.version.number) == (D("82.75"), "A", 1)
    assert score.contributions["investment_intensity"] == {
        "points": "12.00",
        "value": "100.00",
        "weight": "12",
        "missing": [],
    }
    assert score.contributions["enterprise_strength"]["points"] == "12.00"  # listed: 80 % of 15
    assert score.vetoes == [] and score.caps == []
    # Expected tax per 亩 falls below the floor: the grade is capped at B.
    project_update(user=SYSTEM, project=Project.objects.get(pk=p.pk), data={"expected_tax": D("2700")})  # 18 万元/亩
    score = score_of(p)
    assert score.grade == "B"
    assert [c["key"] for c in score.caps] == ["tax_floor"]
    hint = hints_for(p.pk, score.version)[0]
    assert hint["kind"] == "cap" and hint["target"] == "25.00"
    # A compliance veto: grade D whatever the score.
    project_update(user=SYSTEM, project=Project.objects.get(pk=p.pk), data={"illegal_land_use": True})
    assert (score_of(p).grade, score_of(p).vetoes) == ("D", ["illegal_land_use"])


def test_enterprise_strength_and_chain_fit_follow_the_registry(org: Any) -> None:
    chain = IndustryChain.objects.create(name="新一代信息技术", kind="leading")
    ChainNode.objects.create(chain=chain, name="计算机整机", segment="midstream", industry_prefixes="391,392")
    p = project("整机项目", org.park_a, org.officer_a, stage=rules.NEGOTIATING)  # industry 3911
    assert score_of(p).contributions["chain_fit"]["value"] == "70.00"  # its industry is on a chain
    investor = p.enterprise
    assert score_of(p).contributions["enterprise_strength"]["value"] == "0.00"
    from zhaoshang.enterprises.services import enterprise_update

    with audit_context(source="command"):
        enterprise_update(user=SYSTEM, enterprise=investor, data={"is_industry_leader": True})
    assert score_of(p).contributions["enterprise_strength"]["value"] == "80.00"


def test_score_all_rescores_every_project_and_reports_progress(org: Any) -> None:
    for i in range(3):
        project(f"项目{i}", org.park_a, org.officer_a)
    Score.objects.all().delete()
    seen: list[tuple[int, int]] = []
    assert score_all(progress=lambda done, total: seen.append((done, total))).done == 3
    assert Score.objects.count() == 3
    assert seen[-1] == (3, 3)


# -- scheme versions -------------------------------------------------------------------------


def version_data(current: SchemeVersion, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "indicators": [dict(i) for i in current.indicators],
        "vetoes": current.vetoes,
        "hard_thresholds": current.hard_thresholds,
        "intensity_floor": current.intensity_floor,
        "tax_floor": current.tax_floor,
        "grade_bounds": (current.grade_a, current.grade_b, current.grade_c),
        "note": "提高亩均税收底线",
    }
    data.update(changes)
    return data


def test_a_new_version_rescores_every_project_and_keeps_the_old_one(
    org: Any, screening: dict[int, str], django_capture_on_commit_callbacks: Any
) -> None:
    p = strong(org)
    fast_track_confirm(project=p, user=fresh(org.coordinator))
    v1 = SchemeVersion.objects.get(number=1)
    with audit_context(user=org.coordinator, source="web"), django_capture_on_commit_callbacks(execute=True):
        v2 = scheme_version_create(user=fresh(org.coordinator), **version_data(v1, tax_floor=D("60")))
    # The re-scoring ran as a job, for the coordinator, and the grade that changed is in the
    # project's history.
    job = Job.objects.get(kind="evaluation.rescore")
    assert (job.state, job.user, job.result["projects"]) == ("done", org.coordinator, 1)
    moved = next(r for r in history_for(p) if r.after and "grade" in r.after)  # the newest
    assert (moved.before["grade"], moved.after["grade"], moved.source) == ("A", "B", "job")
    v1.refresh_from_db()
    assert (v2.number, v2.active, v1.active) == (2, True, False)
    assert SchemeVersion.objects.count() == 2
    score = score_of(p)
    assert score.version == v2
    assert (score.grade, [c["key"] for c in score.caps]) == ("B", ["tax_floor"])  # 50 万元/亩 < 60
    assert FastTrack.objects.get(project=p).version == v1  # the confirmation keeps what it relied on
    [logged] = [r for r in history_for(v2) if r.action == ChangeAction.CREATE]
    assert (logged.user_name, logged.after["tax_floor"]) == ("coordinator", "60.00")


def test_an_invalid_version_is_refused_with_every_reason_and_nothing_changes(org: Any) -> None:
    p = strong(org)
    v1 = SchemeVersion.objects.get(number=1)
    indicators = [dict(i) for i in v1.indicators]
    indicators[0]["weight"] = "5"
    before = (SchemeVersion.objects.count(), ChangeLog.objects.count(), score_of(p).total)
    with pytest.raises(ValidationError) as exc:
        scheme_version_create(
            user=fresh(org.coordinator),
            **version_data(v1, indicators=indicators, grade_bounds=(D("60"), D("70"), D("50"))),
        )
    assert exc.value.messages == [
        "Grade bounds must be ordered: 100 ≥ A > B > C > 0 (got 60, 70, 50).",
        "The weights add up to 90, not 100.",
    ]
    assert (SchemeVersion.objects.count(), ChangeLog.objects.count(), score_of(p).total) == before
    assert SchemeVersion.objects.get(active=True) == v1


@pytest.mark.parametrize("persona", ["manager_a", "officer_a", "viewer_a"])
def test_only_coordinators_and_leaders_edit_the_scheme(org: Any, persona: str) -> None:
    v1 = SchemeVersion.objects.get(number=1)
    with pytest.raises(PermissionDenied):
        scheme_version_create(user=fresh(getattr(org, persona)), **version_data(v1))
    assert SchemeVersion.objects.count() == 1
    assert scheme_version_create(user=fresh(org.leader), **version_data(v1)).number == 2


# -- the signing gate and the fast track ------------------------------------------------------------


def test_signing_needs_the_rating_procedure(org: Any) -> None:
    p = strong(org)
    with pytest.raises(MoveRefused) as exc:
        project_move(project=p, target=rules.SIGNED, user=org.officer_a)
    assert exc.value.reasons == [SIGNING_REFUSAL]
    with pytest.raises(MoveRefused):
        project_move(project=p, target=rules.REGISTERED, user=org.officer_a)  # nor any later stage
    assert Project.objects.get(pk=p.pk).stage == rules.REVIEW


def test_a_fast_track_clears_signing(org: Any, screening: dict[int, str]) -> None:
    p = strong(org)
    assert fast_track_errors(p) == []
    with audit_context(user=org.coordinator, source="web"):
        track = fast_track_confirm(project=p, user=fresh(org.coordinator))
    assert (track.grade, track.total, track.confirmed_by) == ("A", D("82.75"), org.coordinator)
    assert any(r.message == "fast track confirmed" for r in history_for(p))
    project_move(project=p, target=rules.SIGNED, user=org.officer_a)
    assert Project.objects.get(pk=p.pk).stage == rules.SIGNED
    assert "already cleared" in " ".join(fast_track_errors(Project.objects.get(pk=p.pk)))


def test_a_fast_track_confirmed_outside_a_request_is_logged_under_the_coordinator(
    org: Any, screening: dict[int, str]
) -> None:
    """A command or the demo loader passes ``user=``; the change log names that user, not the
    system."""
    p = strong(org)
    with audit_context(source="command"):
        fast_track_confirm(project=p, user=fresh(org.coordinator))
    [entry] = [r for r in history_for(p) if r.message == "fast track confirmed"]
    assert (entry.user_id, entry.user_name, entry.source) == (org.coordinator.pk, "coordinator", "command")


def test_fast_track_needs_grade_a_and_a_screening_pass(org: Any, screening: dict[int, str]) -> None:
    weaker = strong(org, "一般项目", funding_status="partial")  # 82.75 - 6 = 76.75: grade B
    assert score_of(weaker).grade == "B"
    assert fast_track_errors(weaker) == ["The project is graded B; fast track needs grade A."]
    warned = strong(org, "有警示的项目")
    screening[warned.pk] = "warn"
    assert fast_track_errors(warned) == [
        "The screening outcome is “warning”; fast track needs a pass without warnings."
    ]
    early = strong(org, "洽谈中的项目", stage=rules.NEGOTIATING)
    assert fast_track_errors(early) == ["Only a project at review can be fast-tracked."]
    for p in (weaker, warned, early):
        with pytest.raises(ValidationError):
            fast_track_confirm(project=p, user=fresh(org.coordinator))
    assert not FastTrack.objects.exists()


def test_without_the_screening_service_nothing_is_fast_tracked(org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "screening_outcomes", lambda ids: {})
    assert "fast track needs a pass" in " ".join(fast_track_errors(strong(org)))


@pytest.mark.parametrize("persona", ["manager_a", "officer_a"])
def test_only_coordinators_confirm_a_fast_track(org: Any, screening: dict[int, str], persona: str) -> None:
    p = strong(org)
    with pytest.raises(PermissionDenied):
        fast_track_confirm(project=p, user=fresh(getattr(org, persona)))
    assert not FastTrack.objects.exists()


def test_a_leader_override_passes_the_gate_and_is_audited(org: Any) -> None:
    p = strong(org)
    leader = fresh(org.leader)
    with audit_context(user=leader, source="web"):
        change = project_move(project=p, target=rules.SIGNED, user=leader, reason="市重点项目，先行签约", override=True)
    assert change.overridden_gates == [SIGNING_REFUSAL]
    assert change.is_override
    log = next(r for r in history_for(p) if r.action == ChangeAction.MOVE)  # newest first
    assert "OVERRIDE" in log.message and log.user_name == "leader"


def test_a_signed_project_moves_on_and_an_unsaved_one_is_not_refused(org: Any) -> None:
    p = project("已签约项目", org.park_a, org.officer_a, stage=rules.SIGNED)  # approved by the factory
    ReviewMeeting.objects.filter(project=p).delete()  # history decided before the platform
    project_move(project=p, target=rules.REGISTERED, user=org.officer_a)
    assert Project.objects.get(pk=p.pk).stage == rules.REGISTERED
    assert signing_gate(Project(stage=rules.LEAD), rules.SIGNED) == []


def test_an_import_row_moving_a_project_to_signed_meets_the_gate(org: Any) -> None:
    p = strong(org)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["项目编号", "项目名称", "牵头单位", "项目阶段"])
    sheet.append([p.pk, p.name, "园区运营中心A", "签约"])
    data = io.BytesIO()
    book.save(data)
    refused = run_import(resource="projects", data=data.getvalue(), filename="p.xlsx", user=org.officer_a, commit=True)
    assert [(e.row, e.message) for e in refused.errors] == [(2, SIGNING_REFUSAL)]
    assert Project.objects.get(pk=p.pk).stage == rules.REVIEW
    approve_for_signing(p)
    done = run_import(resource="projects", data=data.getvalue(), filename="p.xlsx", user=org.officer_a, commit=True)
    assert (done.ok, done.errors) == (True, [])
    assert Project.objects.get(pk=p.pk).stage == rules.SIGNED


# -- review meetings ---------------------------------------------------------------------------------


def convene(org: Any, p: Project) -> ReviewMeeting:
    with audit_context(user=org.coordinator, source="web"):
        return meeting_create(
            project=p,
            user=fresh(org.coordinator),
            date=dt.date(2024, 5, 20),
            members=[org.coordinator, org.leader, org.manager_a],
        )


def test_a_meeting_decides_after_every_opinion_and_carries_its_conditions(org: Any) -> None:
    p = strong(org, funding_status="partial")
    meeting = convene(org, p)
    coordinator = fresh(org.coordinator)
    opinion_set(meeting=meeting, member=org.manager_a, user=fresh(org.manager_a), opinion="approve")
    opinion_set(meeting=meeting, member=org.leader, user=coordinator, opinion="conditions", conditions="落实用地指标")
    with pytest.raises(ValidationError) as exc:
        meeting_decide(meeting=meeting, user=coordinator, decision="conditions", conditions="落实用地指标")
    assert exc.value.messages == ["Opinions are still missing from: coordinator."]
    opinion_set(meeting=meeting, member=org.coordinator, user=coordinator, opinion="approve")
    with pytest.raises(ValidationError) as exc:
        meeting_decide(meeting=meeting, user=coordinator, decision="conditions", conditions="  ")
    assert exc.value.messages == ["An approval with conditions needs the conditions, one per line."]
    meeting_decide(
        meeting=meeting, user=coordinator, decision="conditions", conditions="落实用地指标\n一年内取得环评批复\n"
    )
    assert list(ProjectCondition.objects.filter(project=p).values_list("text", "meeting", "done")) == [
        ("落实用地指标", meeting.pk, False),
        ("一年内取得环评批复", meeting.pk, False),
    ]
    with pytest.raises(ValidationError):  # decided: opinions are final
        opinion_set(meeting=meeting, member=org.leader, user=coordinator, opinion="reject")
    project_move(project=p, target=rules.SIGNED, user=org.officer_a)
    assert Project.objects.get(pk=p.pk).stage == rules.SIGNED


def test_a_rejection_refuses_signing_with_its_reason(org: Any) -> None:
    p = strong(org)
    meeting = convene(org, p)
    coordinator = fresh(org.coordinator)
    for member in (org.coordinator, org.leader, org.manager_a):
        opinion_set(meeting=meeting, member=member, user=coordinator, opinion="reject")
    with pytest.raises(ValidationError) as exc:
        meeting_decide(meeting=meeting, user=coordinator, decision="rejected")
    assert exc.value.messages == ["A rejection needs its reason."]
    meeting_decide(meeting=meeting, user=coordinator, decision="rejected", reason="投资强度核实不足")
    with pytest.raises(MoveRefused) as refused:
        project_move(project=p, target=rules.SIGNED, user=org.officer_a)
    assert refused.value.reasons == ["The review meeting of 2024-05-20 rejected the project: 投资强度核实不足"]
    assert not ProjectCondition.objects.filter(project=p).exists()


def test_who_may_convene_and_give_opinions(org: Any) -> None:
    p = strong(org)
    with pytest.raises(PermissionDenied):
        meeting_create(project=p, user=fresh(org.officer_a), date=dt.date(2024, 5, 20), members=[org.officer_a])
    early = strong(org, "洽谈中的项目", stage=rules.NEGOTIATING)
    with pytest.raises(ValidationError):
        meeting_create(project=early, user=fresh(org.coordinator), date=dt.date(2024, 5, 20), members=[org.leader])
    meeting = convene(org, p)
    with pytest.raises(PermissionDenied):  # a member records their own opinion, not another's
        opinion_set(meeting=meeting, member=org.leader, user=fresh(org.manager_a), opinion="reject")
    with pytest.raises(ValidationError):  # not a member
        opinion_set(meeting=meeting, member=org.officer_b, user=fresh(org.coordinator), opinion="approve")
    with pytest.raises(ValidationError):  # conditions without text
        opinion_set(meeting=meeting, member=org.manager_a, user=fresh(org.manager_a), opinion="conditions")
    opinion_set(meeting=meeting, member=org.manager_a, user=fresh(org.manager_a), opinion="reject")
    opinion_set(meeting=meeting, member=org.manager_a, user=fresh(org.manager_a), opinion="approve")  # changed
    assert list(ReviewOpinion.objects.values_list("member", "opinion")) == [(org.manager_a.pk, "approve")]
    with pytest.raises(PermissionDenied):
        meeting_decide(meeting=meeting, user=fresh(org.manager_a), decision="approved")


def test_conditions_are_ticked_by_whoever_may_change_the_project(org: Any) -> None:
    p = strong(org)
    meeting = convene(org, p)
    for member in (org.coordinator, org.leader, org.manager_a):
        opinion_set(meeting=meeting, member=member, user=fresh(org.coordinator), opinion="approve")
    meeting_decide(meeting=meeting, user=fresh(org.coordinator), decision="conditions", conditions="落实用地指标")
    condition = ProjectCondition.objects.get(project=p)
    with pytest.raises(PermissionDenied):
        condition_done(condition=condition, user=fresh(org.officer_b))
    with audit_context(user=org.officer_a, source="web"):
        condition_done(condition=condition, user=fresh(org.officer_a))
    condition.refresh_from_db()
    assert (condition.done, condition.done_by, condition.done_at is not None) == (True, org.officer_a, True)
    assert next((r.action, r.user_name) for r in history_for(condition)) == (ChangeAction.UPDATE, "officer_a")
