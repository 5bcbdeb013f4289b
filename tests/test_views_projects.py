"""The project pages as each persona meets them: list, kanban, detail, forms and moves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import enterprise, project
from zhaoshang.core.models import ChangeLog
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project, StageChange


@pytest.fixture
def projects(org):
    a = project("园区A智能传感器项目", org.park_a, org.officer_a, stage=rules.NEGOTIATING)
    a_team = project("园区A一部新材料项目", org.park_a_team, org.officer_a2)
    b = project("园区B生物医药项目", org.park_b, org.officer_b)
    secret = project("保密芯片项目", org.park_a, org.officer_a, confidential=True)
    return {"a": a, "a_team": a_team, "b": b, "secret": secret}


def names(response):
    return {p.name for p in response.context["page"].items}


def test_anonymous_is_sent_to_login_from_every_project_page(client, org, projects):
    pk = projects["a"].pk
    for url in [
        reverse("projects:list"),
        reverse("projects:kanban"),
        reverse("projects:create"),
        reverse("projects:detail", args=[pk]),
        reverse("projects:edit", args=[pk]),
        reverse("projects:export", args=["xlsx"]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    response = client.post(reverse("projects:move", args=[pk]), {"target": rules.REVIEW})
    assert response.status_code == 302
    assert Project.objects.get(pk=pk).stage == rules.NEGOTIATING


def test_list_shows_each_persona_its_scope(org, projects):
    assert names(client_for(org.officer_a).get(reverse("projects:list"))) == {
        "园区A智能传感器项目",
        "园区A一部新材料项目",
        "保密芯片项目",
    }
    assert names(client_for(org.officer_b).get(reverse("projects:list"))) == {"园区B生物医药项目"}
    assert names(client_for(org.viewer_a).get(reverse("projects:list"))) == {
        "园区A智能传感器项目",
        "园区A一部新材料项目",
    }
    # the coordinator sees all but the confidential project; the leader sees everything
    assert names(client_for(org.coordinator).get(reverse("projects:list"))) == {
        "园区A智能传感器项目",
        "园区A一部新材料项目",
        "园区B生物医药项目",
    }
    assert len(names(client_for(org.leader).get(reverse("projects:list")))) == 4


def test_out_of_scope_project_answers_404_like_a_missing_one(org, projects):
    officer_b = client_for(org.officer_b)
    a = projects["a"].pk
    missing = Project.objects.order_by("-pk").first().pk + 100
    for pk in (a, missing):
        assert officer_b.get(reverse("projects:detail", args=[pk])).status_code == 404
        assert officer_b.get(reverse("projects:edit", args=[pk])).status_code == 404
        assert officer_b.post(reverse("projects:move", args=[pk]), {"target": rules.REVIEW}).status_code == 404
        assert officer_b.post(reverse("projects:credits", args=[pk]), {}).status_code == 404
        assert officer_b.post(reverse("projects:members", args=[pk]), {"username": "officer_b"}).status_code == 404
        assert officer_b.post(reverse("projects:contact_add", args=[pk]), {"name": "张三"}).status_code == 404
    assert client_for(org.coordinator).get(reverse("projects:detail", args=[projects["secret"].pk])).status_code == 404
    assert client_for(org.leader).get(reverse("projects:detail", args=[projects["secret"].pk])).status_code == 200


def test_viewer_sees_but_cannot_change(org, projects):
    viewer = client_for(org.viewer_a)
    pk = projects["a"].pk
    page = viewer.get(reverse("projects:detail", args=[pk]))
    assert page.status_code == 200 and not page.context["can_change"]
    assert viewer.get(reverse("projects:edit", args=[pk])).status_code == 404
    assert viewer.get(reverse("projects:create")).status_code == 403
    viewer.post(reverse("projects:move", args=[pk]), {"target": rules.REVIEW, "reason": ""})
    assert Project.objects.get(pk=pk).stage == rules.NEGOTIATING


def test_officer_creates_a_project_and_becomes_its_owner(org):
    officer = client_for(org.officer_a)
    e = enterprise("郑州奥利弗电子科技有限公司")
    response = officer.post(
        reverse("projects:create"),
        {
            "name": "奥利弗扩产项目",
            "enterprise_ref": str(e.pk),
            "lead_unit": org.park_a.pk,
            "planned_investment": "150000",
        },
    )
    project_obj = Project.objects.get(name="奥利弗扩产项目")
    assert response.status_code == 302 and response.url == reverse("projects:detail", args=[project_obj.pk])
    assert project_obj.enterprise == e and project_obj.stage == rules.LEAD
    assert project_obj.planned_investment == Decimal("150000.00") and project_obj.priority_band == 2
    assert project_obj.members.get().user == org.officer_a
    assert ChangeLog.objects.filter(
        object_id=project_obj.pk, action="create", user=org.officer_a, source="web"
    ).exists()


def test_officer_cannot_lead_a_project_from_another_unit(org):
    response = client_for(org.officer_a).post(
        reverse("projects:create"), {"name": "越权项目", "investor_name": "某投资方", "lead_unit": org.park_b.pk}
    )
    assert response.status_code == 200 and "lead_unit" in response.context["form"].errors
    assert not Project.objects.filter(name="越权项目").exists()


def test_unknown_enterprise_reference_is_explained_and_nothing_is_saved(org):
    response = client_for(org.officer_a).post(
        reverse("projects:create"), {"name": "无主项目", "enterprise_ref": "不存在的公司", "lead_unit": org.park_a.pk}
    )
    assert "不存在的公司" in str(response.context["form"].errors["enterprise_ref"])
    assert not Project.objects.filter(name="无主项目").exists()


def test_edit_keeps_the_old_values_when_the_input_is_bad(org, projects):
    pk = projects["a"].pk
    before = Project.objects.get(pk=pk)
    response = client_for(org.officer_a).post(
        reverse("projects:edit", args=[pk]),
        {
            "revision": before.revision,
            "name": "改名",
            "investor_name": "",
            "enterprise_ref": str(before.enterprise_id),
            "lead_unit": org.park_a.pk,
            "planned_investment": "abc",
        },
    )
    assert response.status_code == 200 and "planned_investment" in response.context["form"].errors
    after = Project.objects.get(pk=pk)
    assert after.name == before.name and after.planned_investment == before.planned_investment


def test_removing_a_fact_the_stage_needs_is_refused(org, projects):
    p = projects["a"]
    response = client_for(org.officer_a).post(
        reverse("projects:edit", args=[p.pk]),
        {
            "revision": Project.objects.get(pk=p.pk).revision,
            "name": p.name,
            "enterprise_ref": str(p.enterprise_id),
            "lead_unit": org.park_a.pk,
            "planned_investment": "",
            "industry": "3911",
            "source": p.source,
        },
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert Project.objects.get(pk=p.pk).planned_investment == p.planned_investment


def test_move_from_the_detail_page_records_who_when_from_to_and_why(org, projects):
    p = projects["a"]
    response = client_for(org.officer_a).post(
        reverse("projects:move", args=[p.pk]), {"target": rules.REVIEW, "reason": "意向已确定"}
    )
    assert response.status_code == 302
    change = StageChange.objects.filter(project=p).latest("id")
    assert (change.from_stage, change.to_stage, change.reason, change.user) == (
        rules.NEGOTIATING,
        rules.REVIEW,
        "意向已确定",
        org.officer_a,
    )
    page = client_for(org.officer_a).get(reverse("projects:detail", args=[p.pk]))
    assert "意向已确定" in page.content.decode()


def test_kanban_move_meets_the_same_checks_and_explains_refusals(org, projects):
    p = projects["a_team"]  # at lead, without a source
    officer = client_for(org.officer_a2)
    refused = officer.post(
        reverse("projects:move", args=[p.pk]), {"target": rules.CONTACTED}, HTTP_ACCEPT="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["ok"] is False and len(refused.json()["errors"]) == 1
    assert Project.objects.get(pk=p.pk).stage == rules.LEAD
    no_reason = officer.post(
        reverse("projects:move", args=[p.pk]), {"target": rules.DROPPED}, HTTP_ACCEPT="application/json"
    )
    assert no_reason.status_code == 422
    ok = officer.post(
        reverse("projects:move", args=[p.pk]),
        {"target": rules.ON_HOLD, "reason": "企业暂缓投资"},
        HTTP_ACCEPT="application/json",
    )
    assert ok.status_code == 200 and ok.json()["stage"] == rules.ON_HOLD
    assert Project.objects.get(pk=p.pk).side_reason == "企业暂缓投资"


def test_credit_shares_must_add_up_to_100(org, projects):
    p = projects["a"]
    officer = client_for(org.officer_a)
    form = {
        "credit-TOTAL_FORMS": "2",
        "credit-INITIAL_FORMS": "0",
        "credit-MIN_NUM_FORMS": "1",
        "credit-MAX_NUM_FORMS": "10",
    }
    bad = {
        **form,
        "credit-0-unit": org.park_a.pk,
        "credit-0-role": "first_contact",
        "credit-0-share": "60",
        "credit-1-unit": org.park_b.pk,
        "credit-1-role": "referral",
        "credit-1-share": "30",
    }
    assert client_for(org.officer_b).get(reverse("projects:detail", args=[p.pk])).status_code == 404
    officer.post(reverse("projects:credits", args=[p.pk]), bad)
    assert not p.credits.exists()
    good = {**bad, "credit-1-share": "40"}
    officer.post(reverse("projects:credits", args=[p.pk]), good)
    assert sorted((c.unit_id, c.share) for c in p.credits.all()) == sorted(
        [(org.park_a.pk, Decimal("60.00")), (org.park_b.pk, Decimal("40.00"))]
    )
    # park B now shares in the project's credit, so its staff see the project (and only see it)
    assert client_for(org.officer_b).get(reverse("projects:detail", args=[p.pk])).status_code == 200
    assert client_for(org.officer_b).get(reverse("projects:edit", args=[p.pk])).status_code == 404


def test_kanban_has_every_stage_with_counts(org, projects):
    response = client_for(org.leader).get(reverse("projects:kanban"))
    columns = {c["stage"]: c for c in response.context["columns"]}
    assert list(columns) == list(rules.ALL_STAGES)
    assert columns[rules.LEAD]["count"] == 3 and columns[rules.NEGOTIATING]["count"] == 1
    assert {p.name for p in columns[rules.LEAD]["cards"]} == {
        "园区A一部新材料项目",
        "园区B生物医药项目",
        "保密芯片项目",
    }


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_and_kanban_queries_do_not_grow_with_rows(org):
    coordinator = client_for(org.coordinator)
    for i in range(3):
        project(f"少量项目{i}", org.park_a, org.officer_a)
    few = (
        _queries(coordinator, reverse("projects:list")),
        _queries(coordinator, reverse("projects:kanban")),
        _queries(coordinator, reverse("home")),
    )
    for i in range(40):
        project(f"大量项目{i}", org.park_b, org.officer_b, stage=rules.CONTACTED if i % 2 else rules.LEAD)
    many = (
        _queries(coordinator, reverse("projects:list")),
        _queries(coordinator, reverse("projects:kanban")),
        _queries(coordinator, reverse("home")),
    )
    assert few == many
    # 9 on the kanban: its own 8 and the top bar's count of the user's unfinished jobs.
    assert many[0] <= 8 and many[1] <= 9


def test_a_project_form_finds_its_enterprise_by_the_exact_name(org):
    enterprise("郑州奥利弗电子科技有限公司")
    joint_stock = enterprise("郑州奥利弗电子科技股份有限公司")
    response = client_for(org.officer_a).post(
        reverse("projects:create"),
        {"name": "奥利弗扩产项目", "enterprise_ref": "郑州奥利弗电子科技股份有限公司", "lead_unit": org.park_a.pk},
    )
    assert response.status_code == 302
    assert Project.objects.get(name="奥利弗扩产项目").enterprise == joint_stock
