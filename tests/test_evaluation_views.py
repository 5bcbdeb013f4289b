"""The evaluation's pages as each persona meets them: the panel on a project's page, the
rating procedure's buttons, the kanban's refusal before signing, the ranking, the comparison
and the scheme pages."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.conftest import client_for
from tests.factories import enterprise, project
from zhaoshang.evaluation import services
from zhaoshang.evaluation.models import FastTrack, ProjectCondition, ReviewMeeting, SchemeVersion, Score
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project

D = Decimal
STRONG = {
    "fixed_asset_investment": D("90000"),
    "expected_tax": D("7500"),
    "expected_jobs": 1000,
    "rd_share": D("5"),
    "patents": 30,
    "high_tech": True,
    "funding_status": "secured",
}


@pytest.fixture(autouse=True)
def english(settings: Any) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def screening(monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    outcomes: dict[int, str] = {}
    monkeypatch.setattr(services, "screening_outcomes", lambda ids: {pk: outcomes.get(pk, "pass") for pk in ids})
    return outcomes


def strong(org: Any, name: str, unit: Any = None, user: Any = None, **facts: Any) -> Project:
    listed = enterprise(f"{name}股份有限公司", listing_exchange="SSE", ticker="601360")
    return project(
        name,
        unit or org.park_a,
        user or org.officer_a,
        stage=facts.pop("stage", rules.REVIEW),
        enterprise=listed,
        **{**STRONG, **facts},
    )


@pytest.fixture
def projects(org: Any) -> dict[str, Project]:
    return {
        "a": strong(org, "园区A网络安全基地"),
        "a_weak": project("园区A配套项目", org.park_a, org.officer_a, stage=rules.REVIEW),
        "b": project("园区B生物医药项目", org.park_b, org.officer_b, stage=rules.NEGOTIATING),
        "secret": project("保密芯片项目", org.park_a, org.officer_a, confidential=True),
    }


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# -- the panel on the project page ---------------------------------------------------------------


def test_the_panel_shows_score_grade_contributions_radar_and_hints(org: Any, projects: dict[str, Project]) -> None:
    html = page(client_for(org.officer_a), reverse("projects:detail", args=[projects["a"].pk]))
    assert 'id="evaluation-panel"' in html
    assert 'id="score-total" class="text-body">82.75<' in html
    assert "Scored with scheme version 1" in html
    assert 'id="score-radar"' in html and "vendor/echarts/echarts.min.js" in html
    assert "投资强度" not in html or "Investment intensity" in html  # names in the page's language
    assert "Investment intensity" in html and "Enterprise strength" in html
    weak = page(client_for(org.officer_a), reverse("projects:detail", args=[projects["a_weak"].pk]))
    assert 'id="score-hints"' in weak and "would add" in weak
    assert "Not yet rated: signing needs a positive review-meeting decision" in weak


def test_the_fast_track_button_is_for_coordinators_on_eligible_projects(org: Any, projects: dict[str, Project]) -> None:
    url = reverse("projects:detail", args=[projects["a"].pk])
    assert 'id="fast-track-form"' in page(client_for(org.coordinator), url)
    assert 'id="fast-track-form"' not in page(client_for(org.officer_a), url)
    weak = page(client_for(org.coordinator), reverse("projects:detail", args=[projects["a_weak"].pk]))
    assert 'id="fast-track-form"' not in weak and "fast track needs grade A" in weak
    assert 'id="meeting-form"' in weak
    # The officer's post is refused; the coordinator's confirms.
    client_for(org.officer_a).post(reverse("evaluation:fast_track", args=[projects["a"].pk]))
    assert not FastTrack.objects.exists()
    response = client_for(org.coordinator).post(reverse("evaluation:fast_track", args=[projects["a"].pk]), follow=True)
    assert "Fast track confirmed" in response.content.decode()
    assert FastTrack.objects.filter(project=projects["a"], confirmed_by=org.coordinator).exists()
    assert "fast-tracked" in page(client_for(org.officer_a), url)


def test_the_kanban_refuses_signing_before_the_procedure_and_says_why(org: Any, projects: dict[str, Project]) -> None:
    p = projects["a_weak"]
    officer = client_for(org.officer_a)
    move = reverse("projects:move", args=[p.pk])
    refused = officer.post(move, {"target": rules.SIGNED}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        "Signing needs a positive review-meeting decision or a fast-track confirmation."
    ]
    assert Project.objects.get(pk=p.pk).stage == rules.REVIEW


def test_a_review_meeting_through_the_pages(org: Any, projects: dict[str, Project]) -> None:
    p = projects["a_weak"]
    coordinator = client_for(org.coordinator)
    coordinator.post(
        reverse("evaluation:meeting_create", args=[p.pk]),
        {"date": "2024-05-20", "members": [org.coordinator.pk, org.manager_a.pk]},
    )
    meeting = ReviewMeeting.objects.get(project=p)
    detail = reverse("projects:detail", args=[p.pk])
    # The member records their own opinion from the project page; the coordinator records theirs.
    assert 'id="opinion-form"' in page(client_for(org.manager_a), detail)
    assert 'id="decision-form"' not in page(client_for(org.manager_a), detail)
    client_for(org.manager_a).post(
        reverse("evaluation:opinion", args=[meeting.pk]),
        {"member": org.manager_a.pk, "opinion": "conditions", "conditions": "落实用地指标"},
    )
    coordinator.post(
        reverse("evaluation:opinion", args=[meeting.pk]), {"member": org.coordinator.pk, "opinion": "approve"}
    )
    assert "落实用地指标" in page(coordinator, detail)  # proposed as the decision's conditions
    coordinator.post(
        reverse("evaluation:decide", args=[meeting.pk]),
        {"decision": "conditions", "reason": "同意", "conditions": "落实用地指标"},
    )
    condition = ProjectCondition.objects.get(project=p)
    html = page(client_for(org.officer_a), detail)
    assert 'id="conditions"' in html and "落实用地指标" in html
    client_for(org.officer_a).post(reverse("evaluation:condition_done", args=[condition.pk]), {"done": "1"})
    condition.refresh_from_db()
    assert condition.done and condition.done_by == org.officer_a
    ok = client_for(org.officer_a).post(
        reverse("projects:move", args=[p.pk]), {"target": rules.SIGNED}, HTTP_ACCEPT="application/json"
    )
    assert ok.status_code == 200 and ok.json()["stage"] == rules.SIGNED


def test_the_procedure_is_out_of_reach_out_of_scope(org: Any, projects: dict[str, Project]) -> None:
    a = projects["a_weak"]
    officer_b = client_for(org.officer_b)
    assert officer_b.post(reverse("evaluation:fast_track", args=[a.pk])).status_code == 404
    assert officer_b.post(reverse("evaluation:meeting_create", args=[a.pk]), {}).status_code == 404
    client_for(org.coordinator).post(
        reverse("evaluation:meeting_create", args=[a.pk]), {"date": "2024-05-20", "members": [org.coordinator.pk]}
    )
    meeting = ReviewMeeting.objects.get(project=a)
    assert officer_b.post(reverse("evaluation:opinion", args=[meeting.pk]), {}).status_code == 404
    assert officer_b.post(reverse("evaluation:decide", args=[meeting.pk]), {}).status_code == 404


# -- ranking and comparison --------------------------------------------------------------------------


def ranked_names(client: Any, query: str = "") -> list[str]:
    response = client.get(reverse("evaluation:ranking") + query)
    assert response.status_code == 200
    return [r.name for r in response.context["page"].items]


def test_the_ranking_orders_by_score_within_each_personas_scope(org: Any, projects: dict[str, Project]) -> None:
    coordinator = ranked_names(client_for(org.coordinator))
    assert coordinator[0] == "园区A网络安全基地"
    assert set(coordinator) == {"园区A网络安全基地", "园区A配套项目", "园区B生物医药项目"}
    totals = [r.total for r in client_for(org.coordinator).get(reverse("evaluation:ranking")).context["page"].items]
    assert totals == sorted(totals, reverse=True)
    assert set(ranked_names(client_for(org.officer_b))) == {"园区B生物医药项目"}  # nothing of park A
    assert "保密芯片项目" in ranked_names(client_for(org.leader))
    assert ranked_names(client_for(org.coordinator), "?grade=A") == ["园区A网络安全基地"]
    assert ranked_names(client_for(org.coordinator), f"?lead_unit={org.park_b.pk}") == ["园区B生物医药项目"]
    assert ranked_names(client_for(org.coordinator), "?stage=negotiating") == ["园区B生物医药项目"]
    assert client_for(org.officer_b).get(reverse("evaluation:ranking")).context["page"].items[0].outcome == "pass"


def test_the_ranking_filters_by_screening_outcome(org: Any, projects: dict[str, Project]) -> None:
    # Land far beyond what the plant needs: screening blocks it (through its own service).
    blocked = project(
        "园区A圈地项目",
        org.park_a,
        org.officer_a,
        stage=rules.NEGOTIATING,
        land_mu=Decimal("300"),
        land_needed_mu=Decimal("100"),
    )
    coordinator = client_for(org.coordinator)
    assert ranked_names(coordinator, "?outcome=block") == [blocked.name]
    assert blocked.name not in ranked_names(coordinator, "?outcome=pass")
    assert "园区B生物医药项目" in ranked_names(coordinator, "?outcome=pass")
    assert ranked_names(client_for(org.officer_b), "?outcome=block") == []  # not in park B's scope


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_ranking_and_comparison_queries_do_not_grow_with_rows(org: Any) -> None:
    coordinator = client_for(org.coordinator)
    first = [project(f"少量项目{i}", org.park_a, org.officer_a, stage=rules.NEGOTIATING) for i in range(2)]
    compare = reverse("evaluation:compare") + "?" + "&".join(f"ids={p.pk}" for p in first)
    few = (_queries(coordinator, reverse("evaluation:ranking")), _queries(coordinator, compare))
    more = [project(f"大量项目{i}", org.park_b, org.officer_b) for i in range(30)]
    compare = reverse("evaluation:compare") + "?" + "&".join(f"ids={p.pk}" for p in first + more[:4])
    many = (_queries(coordinator, reverse("evaluation:ranking")), _queries(coordinator, compare))
    assert few == many
    assert many[0] <= 12


def test_comparison_shows_facts_points_grades_and_one_radar(org: Any, projects: dict[str, Project]) -> None:
    a, weak = projects["a"], projects["a_weak"]
    response = client_for(org.officer_a).get(reverse("evaluation:compare") + f"?ids={a.pk}&ids={weak.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "园区A网络安全基地" in html and "园区A配套项目" in html
    assert [s["name"] for s in response.context["radar"]["series"]] == ["园区A网络安全基地", "园区A配套项目"]
    assert len(response.context["radar"]["indicators"]) == len(SchemeVersion.objects.get(active=True).indicators)
    assert "82.75" in html and "investment intensity (10k CNY per mu)" in html
    # One project out of scope: the same 404 as a missing one.
    b = projects["b"]
    assert client_for(org.officer_a).get(reverse("evaluation:compare") + f"?ids={a.pk}&ids={b.pk}").status_code == 404
    missing = Project.objects.order_by("-pk").first().pk + 99  # type: ignore[union-attr]
    assert (
        client_for(org.officer_a).get(reverse("evaluation:compare") + f"?ids={a.pk}&ids={missing}").status_code == 404
    )
    alone = client_for(org.officer_a).get(reverse("evaluation:compare") + f"?ids={a.pk}")
    assert alone.status_code == 302


# -- scheme pages --------------------------------------------------------------------------------------


def test_scheme_pages_show_the_version_and_only_coordinators_make_a_new_one(
    org: Any, projects: dict[str, Project], django_capture_on_commit_callbacks: Any
) -> None:
    html = page(client_for(org.viewer_a), reverse("evaluation:scheme"))
    assert "version 1" in html and "in force" in html and "300" in html
    assert client_for(org.officer_a).get(reverse("evaluation:scheme_edit")).status_code == 403
    form = client_for(org.coordinator).get(reverse("evaluation:scheme_edit")).context["form"]
    data = {name: field.value() for name, field in ((n, form[n]) for n in form.fields)}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    bad = {**data, "weight_funding": "20", "note": "提高资金落实权重"}
    response = client_for(org.coordinator).post(reverse("evaluation:scheme_edit"), bad)
    assert response.status_code == 200 and "The weights add up to 110, not 100." in response.content.decode()
    assert SchemeVersion.objects.count() == 1
    good = {**data, "weight_funding": "5", "weight_investment_scale": "20", "tax_floor": "30", "note": "调整权重"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.coordinator).post(reverse("evaluation:scheme_edit"), good)
    assert response.status_code == 302
    v2 = SchemeVersion.objects.get(active=True)
    assert (v2.number, v2.tax_floor, v2.created_by) == (2, D("30"), org.coordinator)
    assert set(Score.objects.values_list("version", flat=True)) == {v2.pk}
    old = page(client_for(org.officer_a), reverse("evaluation:scheme_version", args=[1]))
    assert "superseded" in old


def test_anonymous_visitors_are_sent_to_login(client: Any, org: Any, projects: dict[str, Project]) -> None:
    for url in (
        reverse("evaluation:ranking"),
        reverse("evaluation:compare"),
        reverse("evaluation:scheme"),
        reverse("evaluation:scheme_edit"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    client.post(reverse("evaluation:fast_track", args=[projects["a"].pk]))
    assert not FastTrack.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("criteria_investment_scale", "{"),
        ("criteria_investment_scale", "NaN"),
        ("criteria_investment_scale", "12"),
        ("criteria_investment_scale", '"linear"'),
        ("criteria_investment_scale", '[1, "two", null]'),
        ("criteria_investment_scale", '[{"fact": "planned_investment", "method": "linear", "low": NaN, "high": 1}]'),
        ("criteria_investment_scale", '[{"fact": "planned_investment", "method": "bands", "bands": 7}]'),
        ("criteria_investment_scale", '[{"fact": [], "method": {}, "scale": "Infinity"}]'),
        ("vetoes", "3"),
        ("vetoes", '["a"]'),
        ("hard_thresholds", '{"fact": "land_mu"}'),
        ("hard_thresholds", '[{"fact": "land_mu", "name": [1], "minimum": "1e400", "max_grade": "Z"}]'),
        ("weight_investment_scale", "NaN"),
        ("weight_investment_scale", "Infinity"),
        ("grade_a", "1e400"),
    ],
)
def test_a_malformed_scheme_is_a_form_error_and_changes_nothing(
    org: Any, projects: dict[str, Project], field: str, value: str
) -> None:
    coordinator = client_for(org.coordinator)
    form = coordinator.get(reverse("evaluation:scheme_edit")).context["form"]
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    response = coordinator.post(reverse("evaluation:scheme_edit"), {**data, field: value, "note": "试一试"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert SchemeVersion.objects.count() == 1
