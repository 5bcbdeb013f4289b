"""The screening pages as each persona meets them: the rule catalogue and its edit form, the
catalogue entries and their import, the screened-projects list, the panel on a project's
page, and the kanban refusing a blocked project."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.conftest import client_for
from tests.factories import enterprise, project, rule_form, xlsx
from zhaoshang.core.audit import audit_context
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.models import IndustryCode
from zhaoshang.projects import rules as pipeline
from zhaoshang.projects.models import Project
from zhaoshang.projects.services import project_move, project_update
from zhaoshang.screening import services
from zhaoshang.screening.models import CatalogueEntry, Rule, Verdict


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def blocked(org: Any, unit: Any, user: Any, name: str = "浮法平板玻璃生产线", **data: Any) -> Project:
    p = project(name, unit, user, **data)
    with audit_context(user=user, source="command"):
        project_update(
            user=SYSTEM,
            project=p,
            data={
                "source": "企业来访",
                "promotion_method": "by_business",
                "planned_investment": Decimal("150000"),
                "industry": IndustryCode.objects.get(pk="3041"),
            },
        )
        project_move(project=p, target=pipeline.NEGOTIATING, user=user)
    p.refresh_from_db()
    return p


@pytest.fixture
def screened(org: Any) -> dict[str, Project]:
    return {
        "a_blocked": blocked(org, org.park_a, org.officer_a),
        "b_blocked": blocked(org, org.park_b, org.officer_b, name="园区B浮法玻璃项目"),
        "a_secret": blocked(org, org.park_a, org.officer_a, name="保密平板玻璃项目", confidential=True),
        "a_pass": project("园区A传感器项目", org.park_a, org.officer_a),
    }


RULE_FORM = rule_form("5NO-LAND-TEST")


def test_anonymous_is_sent_to_login_from_every_screening_page(client: Any, org: Any) -> None:
    rule = Rule.objects.first()
    assert rule is not None
    for url in [
        reverse("screening:projects"),
        reverse("screening:rules"),
        reverse("screening:rule_create"),
        reverse("screening:rule_detail", args=[rule.pk]),
        reverse("screening:rule_edit", args=[rule.pk]),
        reverse("screening:entries"),
        reverse("screening:import"),
        reverse("screening:entry_export"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_rule_list_filters_by_family_category_and_kind(org: Any) -> None:
    viewer = client_for(org.viewer_a)
    page = viewer.get(
        reverse("screening:rules"), {"family": "three_donts", "category": "overcapacity", "kind": "block"}
    )
    assert page.status_code == 200
    codes = {r.code for r in page.context["page"].items}
    assert "3NO-OVERCAP-FLAT-GLASS" in codes
    assert all(c.startswith("3NO-OVERCAP-") for c in codes)
    assert "3NO-OVERCAP-SILICON-CODE" not in codes  # a warning
    html = page.content.decode()
    assert "国发〔2013〕41号" in html and "类别规则" in html


def test_rule_list_filters_active_and_inactive_rules(org: Any) -> None:
    from zhaoshang.screening.services import rule_deactivate

    rule_deactivate(rule=Rule.objects.get(code="5NO-P2P-INVESTOR"), user=org.coordinator, reason="并入 5NO-P2P")
    viewer = client_for(org.viewer_a)

    def codes(**query: str) -> set[str]:
        page = viewer.get(reverse("screening:rules"), query)
        assert page.status_code == 200
        return {r.code for r in page.context["page"].items}

    assert codes(active="false") == {"5NO-P2P-INVESTOR"}
    assert "5NO-P2P-INVESTOR" not in codes(active="true") and "5NO-P2P" in codes(active="true")
    assert "5NO-P2P-INVESTOR" in codes() and "全部" in viewer.get(reverse("screening:rules")).content.decode()


def test_rule_detail_shows_basis_provenance_and_history(org: Any) -> None:
    rule = Rule.objects.get(code="5NO-LAND-INTENSITY")
    coordinator = client_for(org.coordinator)
    data = {**RULE_FORM, **{k: v for k, v in _form_values(rule).items()}, "params": "floor=320\nfraction=0.5"}
    response = coordinator.post(reverse("screening:rule_edit", args=[rule.pk]), data)
    assert response.status_code == 302
    page = client_for(org.officer_b).get(reverse("screening:rule_detail", args=[rule.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "本区" in html and "本区原则" in html
    [entry] = page.context["history"]
    assert entry.user_name == "coordinator" and entry.before["params"]["floor"] == "300"
    assert "320" in html
    assert reverse("screening:rule_edit", args=[rule.pk]) not in html  # no edit link for an officer


def _form_values(rule: Rule) -> dict[str, Any]:
    from zhaoshang.screening.forms import RuleForm

    values = RuleForm.initial_for(rule)
    values["active"] = "on" if values["active"] else ""
    return values


def test_a_coordinator_adds_a_rule_through_the_form(org: Any) -> None:
    response = client_for(org.coordinator).post(reverse("screening:rule_create"), RULE_FORM)
    rule = Rule.objects.get(code="5NO-LAND-TEST")
    assert response.status_code == 302 and response.url == reverse("screening:rule_detail", args=[rule.pk])
    assert (rule.numeric_check, rule.params, rule.added_by) == ("land_beyond_need", {"factor": "1.2"}, org.coordinator)
    assert services.current_version() == 2


@pytest.mark.parametrize("persona", ["officer_a", "manager_a", "viewer_a", "officer_b"])
def test_others_cannot_create_edit_or_deactivate_rules(org: Any, persona: str) -> None:
    c = client_for(getattr(org, persona))
    rule = Rule.objects.get(code="3NO-OVERCAP-FLAT-GLASS")
    assert c.get(reverse("screening:rule_create")).status_code == 403
    assert c.post(reverse("screening:rule_create"), RULE_FORM).status_code == 403
    assert c.get(reverse("screening:rule_edit", args=[rule.pk])).status_code == 403
    assert c.post(reverse("screening:rule_toggle", args=[rule.pk])).status_code == 403
    assert c.get(reverse("screening:import")).status_code == 403
    assert Rule.objects.get(pk=rule.pk).active and not Rule.objects.filter(code="5NO-LAND-TEST").exists()
    assert c.get(reverse("screening:rules")).status_code == 200  # the catalogue is read by all staff
    assert reverse("screening:rule_create") not in c.get(reverse("screening:rules")).content.decode()


def test_bad_rule_input_shows_errors_and_changes_nothing(org: Any) -> None:
    rule = Rule.objects.get(code="3NO-OVERCAP-FLAT-GLASS")
    logs = ChangeLog.objects.count()
    data = {**_form_values(rule), "industry_prefixes": "3041, 30Z1", "params": "floor"}
    response = client_for(org.coordinator).post(reverse("screening:rule_edit", args=[rule.pk]), data)
    assert response.status_code == 200
    assert "名称=数值" in response.content.decode()  # the parameter line is explained
    data["params"] = ""
    response = client_for(org.coordinator).post(reverse("screening:rule_edit", args=[rule.pk]), data)
    assert response.status_code == 200
    assert "以下不是 GB/T 4754-2017 行业代码：30Z1。" in response.content.decode()
    assert Rule.objects.get(pk=rule.pk).industry_prefixes == ["3041"]
    assert (ChangeLog.objects.count(), services.current_version()) == (logs, 1)


def test_a_coordinator_deactivates_a_rule_with_a_reason(org: Any) -> None:
    rule = Rule.objects.get(code="3NO-POLLUTION-STEEL")
    response = client_for(org.coordinator).post(
        reverse("screening:rule_toggle", args=[rule.pk]), {"reason": "与产能过剩规则重复"}
    )
    assert response.status_code == 302
    assert not Rule.objects.get(pk=rule.pk).active
    page = client_for(org.viewer_a).get(reverse("screening:rule_detail", args=[rule.pk]))
    assert "与产能过剩规则重复" in page.content.decode()


def test_a_coordinator_imports_entries_through_the_import_page(org: Any) -> None:
    coordinator = client_for(org.coordinator)
    assert coordinator.get(reverse("screening:import")).status_code == 200
    template = coordinator.get(reverse("screening:import_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    data = xlsx(
        [
            ["类别", "章节", "条目序号", "条目原文", "行业代码", "关键词", "出处"],
            ["淘汰类", "十、测试", "9", "某某乙工艺（示例原文）", "", "某某乙工艺", "测试出处"],
        ]
    )
    upload = io.BytesIO(data)
    upload.name = "entries.xlsx"
    preview = coordinator.post(reverse("screening:import"), {"file": upload})
    assert preview.status_code == 200 and preview.context["result"].ok
    assert not CatalogueEntry.objects.filter(section="十、测试").exists()  # nothing until confirmed
    done = coordinator.post(reverse("screening:import"), {"token": preview.context["token"]})
    assert done.status_code == 302 and done.url == reverse("screening:entries")
    entry = CatalogueEntry.objects.get(section="十、测试")
    listing = client_for(org.viewer_a).get(reverse("screening:entries"), {"entry_class": "eliminated"})
    assert [e.pk for e in listing.context["page"].items] == [entry.pk]
    assert "某某乙工艺（示例原文）" in listing.content.decode()


def test_screened_projects_list_is_scoped_to_each_persona(org: Any, screened: dict[str, Project]) -> None:
    def names(user: Any, outcome: str = "block") -> set[str]:
        page = client_for(user).get(reverse("screening:projects"), {"outcome": outcome})
        assert page.status_code == 200
        return {p.name for p in page.context["page"].items}

    a, b, secret = screened["a_blocked"].name, screened["b_blocked"].name, screened["a_secret"].name
    assert names(org.officer_a) == {a, secret}  # the officer is a member of the secret one
    assert names(org.officer_b) == {b}
    assert names(org.viewer_a) == {a}
    assert names(org.coordinator) == {a, b}
    assert names(org.leader) == {a, b, secret}
    assert names(org.officer_a, "pass") == {screened["a_pass"].name}


def test_screened_list_queries_do_not_grow_with_rows(org: Any) -> None:
    coordinator = client_for(org.coordinator)
    blocked(org, org.park_a, org.officer_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert coordinator.get(reverse("screening:projects"), {"outcome": "all"}).status_code == 200
        return len(ctx)

    few = count()
    for i in range(6):
        blocked(org, org.park_b, org.officer_b, name=f"浮法玻璃{i}")
    assert count() == few


def test_the_project_page_shows_the_verdict_hits_and_overrides(org: Any, screened: dict[str, Project]) -> None:
    p = screened["a_blocked"]
    with audit_context(user=org.leader, source="web"):
        project_move(project=p, target=pipeline.REVIEW, user=org.leader, reason="专题会同意先行评审", override=True)
    officer = client_for(org.officer_a)
    html = officer.get(reverse("projects:detail", args=[p.pk])).content.decode()  # zh-Hans by default
    assert 'id="screening-panel"' in html
    assert "3NO-OVERCAP-FLAT-GLASS" in html and "平板玻璃属于国发〔2013〕41号明确的产能严重过剩行业" in html
    assert "《国务院关于化解产能严重过剩矛盾的指导意见》（国发〔2013〕41号）" in html and "3041" in html
    assert 'id="screening-unchecked"' in html and "5NO-LAND-INTENSITY" in html
    assert 'id="screening-overrides"' in html and "专题会同意先行评审" in html
    officer.cookies["django_language"] = "en"
    english_page = officer.get(reverse("projects:detail", args=[p.pk])).content.decode()
    panel = english_page[english_page.index('id="screening-hits"') : english_page.index('id="screening-unchecked"')]
    assert "Flat glass is an industry of severe overcapacity" in panel


def test_a_glass_makers_power_station_is_warned_not_blocked_and_its_panel_names_the_investors_context(org: Any) -> None:
    glass = enterprise(
        "香港信义玻璃控股有限公司", business_scope="浮法玻璃、汽车玻璃的生产和销售", owner_unit=org.park_a
    )
    p = project("130MWp光伏电站项目", org.park_a, org.officer_a, enterprise=glass)
    verdict = Verdict.objects.get(project=p)
    assert verdict.outcome == "warn" and {h["context"] for h in verdict.hits} == {"investor"}
    officer = client_for(org.officer_a)
    html = officer.get(reverse("projects:detail", args=[p.pk])).content.decode()
    panel = html[html.index('id="screening-hits"') :]
    assert "3NO-OVERCAP-FLAT-GLASS" in panel and "出现在投资方名称或经营范围中，而非项目本身：不否决" in panel
    officer.cookies["django_language"] = "en"
    english = officer.get(reverse("projects:detail", args=[p.pk])).content.decode()
    assert "Found in the investor's name or business scope, not in the project's own facts" in english


def test_the_kanban_refuses_a_blocked_project_with_the_rules_message(org: Any, screened: dict[str, Project]) -> None:
    p = screened["a_blocked"]
    response = client_for(org.officer_a).post(
        reverse("projects:move", args=[p.pk]), {"target": pipeline.REVIEW}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 422
    assert any("3NO-OVERCAP-FLAT-GLASS" in e for e in response.json()["errors"])
    assert Project.objects.get(pk=p.pk).stage == pipeline.NEGOTIATING
    overridden = client_for(org.leader).post(
        reverse("projects:move", args=[p.pk]),
        {"target": pipeline.REVIEW, "reason": "领导批示", "override": "on"},
        HTTP_ACCEPT="application/json",
    )
    assert overridden.status_code == 200 and overridden.json()["stage"] == pipeline.REVIEW
