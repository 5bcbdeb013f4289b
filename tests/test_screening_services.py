"""Screening services: verdicts that follow the facts (form, enterprise, import, catalogue),
the gate of the pipeline with leaders' overrides, catalogue edits by coordinators only, the
entries' import and the re-screen command."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from tests.factories import credit_code, enterprise, project, xlsx
from zhaoshang.core.audit import audit_context, history_for
from zhaoshang.core.models import ChangeAction, ChangeLog
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.core.tabular.engine import run_import
from zhaoshang.enterprises.models import IndustryCode
from zhaoshang.enterprises.services import enterprise_update
from zhaoshang.projects import rules as pipeline
from zhaoshang.projects.models import Project, StageChange
from zhaoshang.projects.services import MoveRefused, project_move, project_update
from zhaoshang.screening import services
from zhaoshang.screening.models import CatalogueEntry, Rule, Verdict


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def fresh(user: Any) -> Any:
    return get_user_model().objects.get(pk=user.pk)


def verdict(p: Project) -> Verdict:
    return Verdict.objects.get(project_id=p.pk)


def hit_codes(p: Project) -> set[str]:
    return {h["rule"] for h in verdict(p).hits}


def glass_line(org: Any, stage: str = pipeline.NEGOTIATING, **data: Any) -> Project:
    """A float flat-glass line at ``stage`` (at most negotiating: later the gate refuses)."""
    p = project("浮法平板玻璃生产线", org.park_a, org.officer_a, **data)
    with audit_context(user=org.officer_a, source="command"):
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
        if stage != pipeline.LEAD:
            project_move(project=p, target=stage, user=org.officer_a)
    p.refresh_from_db()
    return p


# -- the shipped catalogue ------------------------------------------------------------------


def test_the_shipped_catalogue_is_loaded_with_version_1(db: Any) -> None:
    assert Rule.objects.filter(active=True).count() == 31
    assert CatalogueEntry.objects.filter(provenance="quoted").count() == 6
    assert services.current_version() == 1
    glass = Rule.objects.get(code="3NO-OVERCAP-FLAT-GLASS")
    assert (glass.kind, glass.industry_prefixes, glass.added_by) == ("block", ["3041"], None)
    assert "国发〔2013〕41号" in glass.basis


# -- verdicts follow the facts ----------------------------------------------------------------


def test_a_new_project_gets_a_verdict_at_once(org: Any) -> None:
    p = project("智能传感器芯片项目", org.park_a, org.officer_a)
    v = verdict(p)
    assert (v.outcome, v.hits, v.catalogue_version) == ("pass", [], 1)
    assert any(u["rule"] == "5NO-LAND-INTENSITY" for u in v.unchecked)


def test_verdict_is_recomputed_when_the_project_changes(org: Any) -> None:
    p = project("新材料项目", org.park_a, org.officer_a)
    with audit_context(user=org.officer_a, source="web"):
        project_update(user=SYSTEM, project=p, data={"description": "配套建设电石生产装置"})
    assert verdict(p).outcome == "block"
    assert hit_codes(p) == {"3NO-OVERCAP-CALCIUM-CARBIDE"}
    [hit] = verdict(p).hits
    assert (hit["fact"], hit["value"]) == ("description", "电石")
    with audit_context(user=org.officer_a, source="web"):
        project_update(user=SYSTEM, project=p, data={"description": "导电石墨烯材料"})
    assert verdict(p).outcome == "pass"


def test_verdict_follows_the_enterprises_business_scope(org: Any) -> None:
    e = enterprise("某某科技有限公司", business_scope="软件开发")
    p = project("某某科技研发中心", org.park_a, org.officer_a, enterprise=e)
    assert verdict(p).outcome == "pass"
    with audit_context(user=org.coordinator, source="web"):
        enterprise_update(user=SYSTEM, enterprise=e, data={"business_scope": "软件开发；网络借贷信息中介服务"})
    assert verdict(p).outcome == "warn"
    assert hit_codes(p) == {"5NO-P2P-INVESTOR"}


def test_outcomes_computes_a_missing_verdict_and_stores_it(org: Any) -> None:
    ok = project("智能终端项目", org.park_a, org.officer_a)
    glass = glass_line(org)
    Verdict.objects.filter(project_id=glass.pk).delete()
    assert services.outcomes([ok.pk, glass.pk, 999_999]) == {ok.pk: "pass", glass.pk: "block"}
    assert verdict(glass).outcome == "block"


def test_screen_all_rewrites_every_verdict(org: Any) -> None:
    a = project("项目甲", org.park_a, org.officer_a)
    b = glass_line(org)
    Verdict.objects.all().delete()
    assert services.screen_all().done >= 2
    assert (verdict(a).outcome, verdict(b).outcome) == ("pass", "block")


def test_rescreen_command_prints_a_summary(org: Any) -> None:
    glass_line(org)
    project("项目乙", org.park_a, org.officer_a)
    out, err = StringIO(), StringIO()
    call_command("rescreen", "--no-progress", stdout=out, stderr=err)
    text = out.getvalue()
    assert "block 1" in text and "pass 1" in text and "catalogue version 1" in text
    assert err.getvalue() == ""  # no progress bar when asked for none
    call_command("rescreen", stdout=StringIO(), stderr=(bar := StringIO()))
    assert "2/2" in bar.getvalue()  # the bar goes to stderr


# -- the gate ---------------------------------------------------------------------------------


def test_a_blocked_project_cannot_move_past_negotiating(org: Any) -> None:
    p = glass_line(org)
    with pytest.raises(MoveRefused) as exc:
        project_move(project=p, target=pipeline.REVIEW, user=org.officer_a)
    [reason] = [r for r in exc.value.reasons if "Screening" in r]
    assert "3NO-OVERCAP-FLAT-GLASS" in reason and "Flat glass" in reason and "3041" in reason
    assert Project.objects.get(pk=p.pk).stage == pipeline.NEGOTIATING
    # Side states and earlier stages stay open.
    project_move(project=p, target=pipeline.ON_HOLD, user=org.officer_a, reason="等待产能置换方案")
    assert Project.objects.get(pk=p.pk).stage == pipeline.ON_HOLD


def test_a_warned_project_moves_on(org: Any) -> None:
    p = glass_line(org)
    with audit_context(user=org.officer_a, source="web"):
        project_update(
            user=SYSTEM,
            project=p,
            data={"industry": IndustryCode.objects.get(pk="3216"), "name": "铝加工项目", "investor_name": "某铝业公司"},
        )
    assert verdict(p).outcome == "warn"
    project_move(project=p, target=pipeline.REVIEW, user=org.officer_a)
    assert Project.objects.get(pk=p.pk).stage == pipeline.REVIEW


def test_the_gate_judges_the_current_facts_not_a_stored_verdict(org: Any) -> None:
    p = glass_line(org)
    Verdict.objects.filter(project_id=p.pk).update(outcome="pass", hits=[])
    with pytest.raises(MoveRefused):
        project_move(project=p, target=pipeline.REVIEW, user=org.officer_a)


def test_a_leader_override_with_a_reason_passes_and_is_audited(org: Any) -> None:
    p = glass_line(org)
    leader = fresh(org.leader)
    with audit_context(user=leader, source="web", request_id="ovr-screen"):
        change = project_move(
            project=p, target=pipeline.REVIEW, user=leader, reason="深加工项目，不新增产能", override=True
        )
    assert Project.objects.get(pk=p.pk).stage == pipeline.REVIEW
    assert change.is_override
    assert any("3NO-OVERCAP-FLAT-GLASS" in g for g in change.overridden_gates)
    stored = StageChange.objects.get(pk=change.pk)
    assert stored.overridden_gates == change.overridden_gates and "深加工项目" in stored.reason
    [log] = [r for r in history_for(p) if r.action == ChangeAction.MOVE and r.request_id == "ovr-screen"]
    assert "OVERRIDE" in log.message and log.user_name == "leader"
    assert verdict(p).outcome == "block"  # the verdict itself is not changed by an override


@pytest.mark.parametrize("persona", ["coordinator", "manager_a", "officer_a"])
def test_only_a_leader_may_override_the_screening(org: Any, persona: str) -> None:
    p = glass_line(org)
    with pytest.raises(PermissionDenied):
        project_move(
            project=p, target=pipeline.REVIEW, user=fresh(getattr(org, persona)), reason="请求放行", override=True
        )
    assert Project.objects.get(pk=p.pk).stage == pipeline.NEGOTIATING


# -- the import -------------------------------------------------------------------------------

HEADER = [
    "项目名称",
    "投资方名称",
    "牵头单位",
    "项目阶段",
    "线索来源",
    "招商方式",
    "行业代码",
    "计划总投资（万元）",
    "项目简介",
]


def test_an_imported_project_the_rules_block_is_imported_as_blocked(org: Any) -> None:
    rows = [HEADER, ["浮法玻璃二线", "某玻璃集团", "园区运营中心A", "", "", "", "3041", 80000, "浮法平板玻璃"]]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert (result.ok, result.errors) == (True, [])
    p = Project.objects.get(name="浮法玻璃二线")
    assert verdict(p).outcome == "block"
    assert "3NO-OVERCAP-FLAT-GLASS" in hit_codes(p)


def test_an_imported_new_project_at_review_is_refused_by_the_gate(org: Any) -> None:
    before = (Project.objects.count(), Verdict.objects.count(), ChangeLog.objects.count(), StageChange.objects.count())
    rows = [
        HEADER,
        ["浮法玻璃三线", "某玻璃集团", "园区运营中心A", "评审", "企业来访", "以商招商", "3041", 80000, ""],
        ["智能传感器三期", "某传感器公司", "园区运营中心A", "评审", "企业来访", "以商招商", "3983", 50000, ""],
    ]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert not result.ok
    [error] = result.errors
    assert (error.row, error.column) == (2, "项目阶段")
    assert "3NO-OVERCAP-FLAT-GLASS" in error.message
    after = (Project.objects.count(), Verdict.objects.count(), ChangeLog.objects.count(), StageChange.objects.count())
    assert after == before  # all or nothing: the good row is not written either


def test_an_import_that_changes_facts_recomputes_the_verdict(org: Any) -> None:
    p = project("园区A配套项目", org.park_a, org.officer_a)
    rows = [["项目编号", "项目名称", "牵头单位", "项目简介"], [p.pk, p.name, "园区运营中心A", "股权众筹建设"]]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert result.ok, result.errors
    assert verdict(p).outcome == "block" and hit_codes(p) == {"5NO-CROWDFUNDING"}


# -- catalogue edits ----------------------------------------------------------------------------

NEW_RULE: dict[str, Any] = {
    "code": "3NO-OVERCAP-TEST",
    "family": "three_donts",
    "category": "overcapacity",
    "kind": "warn",
    "basis": "《国务院关于化解产能严重过剩矛盾的指导意见》（国发〔2013〕41号）",
    "provenance": "category",
    "source": "测试",
    "industry_prefixes": "3983",
    "keywords": "",
    "message_zh": "测试规则",
    "message_en": "A test rule",
}


@pytest.mark.parametrize("persona", ["officer_a", "manager_a", "viewer_a"])
def test_only_coordinators_and_leaders_change_rules(org: Any, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.rule_create(data=NEW_RULE, user=fresh(getattr(org, persona)))
    rule = Rule.objects.get(code="5NO-LAND-INTENSITY")
    with pytest.raises(PermissionDenied):
        services.rule_update(rule=rule, data={"params": {"floor": "1"}}, user=fresh(getattr(org, persona)))
    with pytest.raises(PermissionDenied):
        services.rule_deactivate(rule=rule, user=fresh(getattr(org, persona)))
    assert Rule.objects.get(code="5NO-LAND-INTENSITY").params == {"floor": "300", "fraction": "0.5"}
    assert services.current_version() == 1


def test_a_new_rule_is_audited_bumps_the_version_and_rescreens(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = project("智能传感器项目", org.park_a, org.officer_a, industry=IndustryCode.objects.get(pk="3983"))
    assert verdict(p).outcome == "pass"
    coordinator = fresh(org.coordinator)
    with audit_context(user=coordinator, source="web"), django_capture_on_commit_callbacks(execute=True):
        rule = services.rule_create(data=NEW_RULE, user=coordinator)
    assert (rule.industry_prefixes, rule.added_by) == (["3983"], coordinator)
    assert services.current_version() == 2
    assert verdict(p).outcome == "warn" and verdict(p).catalogue_version == 2
    [log] = history_for(rule)
    assert (log.action, log.user_name) == (ChangeAction.CREATE, "coordinator")


def test_editing_a_threshold_rescreens_with_the_new_value(org: Any, django_capture_on_commit_callbacks: Any) -> None:
    p = project("园区项目", org.park_a, org.officer_a)
    with audit_context(user=org.officer_a, source="web"):
        project_update(
            user=SYSTEM, project=p, data={"fixed_asset_investment": Decimal("20000"), "land_mu": Decimal("100")}
        )
    assert verdict(p).outcome == "pass"  # 200 万元/亩 ≥ 0.5 × 300
    leader = fresh(org.leader)
    rule = Rule.objects.get(code="5NO-LAND-INTENSITY")
    with audit_context(user=leader, source="web"), django_capture_on_commit_callbacks(execute=True):
        services.rule_update(rule=rule, data={"params": {"floor": "450", "fraction": "0.5"}}, user=leader)
    assert verdict(p).outcome == "warn" and hit_codes(p) == {"5NO-LAND-INTENSITY"}
    [log] = history_for(rule)
    assert (log.before["params"], log.after["params"]) == (
        {"floor": "300", "fraction": "0.5"},
        {"floor": "450", "fraction": "0.5"},
    )


def test_a_deactivated_rule_no_longer_fires(org: Any, django_capture_on_commit_callbacks: Any) -> None:
    p = glass_line(org)
    coordinator = fresh(org.coordinator)
    with audit_context(user=coordinator, source="web"), django_capture_on_commit_callbacks(execute=True):
        services.rule_deactivate(rule=Rule.objects.get(code="3NO-OVERCAP-FLAT-GLASS"), user=coordinator, reason="测试")
    assert verdict(p).outcome == "warn"  # the building-materials warning remains
    project_move(project=p, target=pipeline.REVIEW, user=org.officer_a)
    log = history_for(Rule.objects.get(code="3NO-OVERCAP-FLAT-GLASS"))[0]
    assert log.message == "测试" and log.after["active"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"industry_prefixes": "3041, 9999"}, "industry_prefixes"),
        ({"keywords": "玻"}, "keywords"),
        ({"code": "bad code"}, "code"),
        ({"category": "p2p"}, "family"),
        ({"provenance": "quoted"}, "item_text"),
        ({"item_number": "3", "item_text": "编造的条目"}, "item_text"),
        ({"numeric_check": "intensity_below_floor", "params": {"floor": "abc"}}, "params"),
        ({"numeric_check": "intensity_below_floor", "params": {"speed": "1"}}, "params"),
        ({"params": {"floor": "1"}}, "params"),
        ({"industry_prefixes": ""}, "industry_prefixes"),
        ({"message_en": ""}, "message_en"),
    ],
)
def test_bad_rule_input_is_refused_with_a_clear_error_and_changes_nothing(
    org: Any, change: dict[str, Any], field: str
) -> None:
    coordinator = fresh(org.coordinator)
    count, logs = Rule.objects.count(), ChangeLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.rule_create(data={**NEW_RULE, **change}, user=coordinator)
    assert field in exc.value.message_dict
    assert (Rule.objects.count(), ChangeLog.objects.count(), services.current_version()) == (count, logs, 1)


def test_a_refused_rule_update_leaves_the_rule_as_it_was(org: Any) -> None:
    rule = Rule.objects.get(code="3NO-OVERCAP-FLAT-GLASS")
    with pytest.raises(ValidationError):
        services.rule_update(rule=rule, data={"industry_prefixes": "3041, 30X1"}, user=fresh(org.coordinator))
    assert rule.industry_prefixes == ["3041"]
    assert Rule.objects.get(pk=rule.pk).industry_prefixes == ["3041"]
    assert services.current_version() == 1


# -- the entries' import ----------------------------------------------------------------------

ENTRY_HEADER = ["类别", "章节", "条目序号", "条目原文", "行业代码", "关键词", "出处", "是否启用"]


def test_a_coordinator_imports_entries_and_projects_are_rescreened(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p = project("年产5万吨某某产品项目", org.park_a, org.officer_a, description="新建某某甲装置")
    rows = [
        ENTRY_HEADER,
        ["淘汰类", "十、测试", "1", "某某甲装置（示例条目原文）", "", "某某甲装置", "测试出处 第1页", ""],
        [
            "限制类",
            "一、农林牧渔业",
            "2",
            "单线5万立方米/年以下的普通刨花板、高中密度纤维板生产装置",
            "2022、2023",
            "刨花板",
            "官方PDF第12页",
            "是",
        ],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = run_import(
            resource="screening_entries", data=xlsx(rows), filename="e.xlsx", user=org.coordinator, commit=True
        )
    assert (result.ok, result.errors, result.created, result.updated) == (True, [], 1, 1)
    entry = CatalogueEntry.objects.get(section="十、测试")
    assert (entry.entry_class, entry.keywords, entry.added_by, entry.active) == (
        "eliminated",
        ["某某甲装置"],
        org.coordinator,
        True,
    )
    updated = CatalogueEntry.objects.get(section="一、农林牧渔业", item_number="2")
    assert updated.source == "官方PDF第12页"
    assert services.current_version() == 2
    assert verdict(p).outcome == "block" and hit_codes(p) == {entry.code}
    assert ChangeLog.objects.filter(object_id=entry.pk, action="create", source="import").exists()


@pytest.mark.parametrize("persona", ["officer_a", "manager_a"])
def test_others_cannot_import_entries(org: Any, persona: str) -> None:
    rows = [ENTRY_HEADER, ["淘汰类", "十、测试", "1", "某某甲装置", "", "某某甲装置", "测试", ""]]
    count = CatalogueEntry.objects.count()
    with pytest.raises(PermissionDenied):
        run_import(
            resource="screening_entries", data=xlsx(rows), filename="e.xlsx", user=getattr(org, persona), commit=True
        )
    assert (CatalogueEntry.objects.count(), services.current_version()) == (count, 1)


def test_bad_entry_rows_are_reported_and_nothing_is_written(org: Any) -> None:
    rows = [
        ENTRY_HEADER,
        ["淘汰类", "十、测试", "1", "条目甲", "99X9", "", "出处", ""],
        ["淘汰类", "十、测试", "2", "条目乙", "", "", "出处", ""],
        ["淘汰类", "十、测试", "3", "条目丙", "", "丙", "出处", ""],
        ["禁止类", "十、测试", "4", "条目丁", "", "某某丁", "出处", ""],
        ["淘汰类", "十、测试", "5", "条目戊", "", "某某戊", "", ""],
        ["淘汰类", "十、测试", "5", "条目戊", "", "某某戊", "出处", ""],
    ]
    count, logs = CatalogueEntry.objects.count(), ChangeLog.objects.count()
    result = run_import(
        resource="screening_entries", data=xlsx(rows), filename="e.xlsx", user=org.coordinator, commit=True
    )
    assert not result.ok
    by_row = {(e.row, e.column) for e in result.errors}
    assert by_row == {(2, "行业代码"), (3, "关键词"), (4, "关键词"), (5, "类别"), (6, "出处")}
    assert "99X9" in next(e.message for e in result.errors if e.row == 2)
    assert (CatalogueEntry.objects.count(), ChangeLog.objects.count(), services.current_version()) == (count, logs, 1)


def test_the_import_reads_the_named_enterprises_business_scope_as_context_that_warns_but_never_blocks(
    org: Any,
) -> None:
    e = enterprise("某某化工有限公司", credit_code=credit_code(), business_scope="电石、烧碱生产销售")
    header = ["项目名称", "投资企业", "牵头单位", "项目阶段", "线索来源", "招商方式", "行业代码", "计划总投资（万元）"]
    rows = [header, ["新材料基地", e.credit_code, "园区运营中心A", "评审", "企业来访", "以商招商", "2619", 50000]]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert result.ok, result.errors
    verdict = Verdict.objects.get(project__name="新材料基地")
    [hit] = [h for h in verdict.hits if h["rule"] == "3NO-OVERCAP-CALCIUM-CARBIDE"]
    assert (verdict.outcome, hit["kind"], hit["fact"], hit["context"]) == ("warn", "warn", "business_scope", "investor")
    # The same word in the project's own name blocks the move past negotiating.
    rows = [header, ["电石扩能项目", e.credit_code, "园区运营中心A", "评审", "企业来访", "以商招商", "2619", 50000]]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert not result.ok
    assert any("3NO-OVERCAP-CALCIUM-CARBIDE" in e.message for e in result.errors)
    assert not Project.objects.filter(name="电石扩能项目").exists()


def test_the_demo_shows_blocked_and_warned_projects_and_no_silent_block_past_negotiating(db: Any) -> None:
    call_command("load_demo", stdout=StringIO())
    by_name = {v.project.name: v for v in Verdict.objects.select_related("project")}
    assert by_name["华曜浮法平板玻璃生产线项目"].outcome == "block"
    assert by_name["华曜浮法平板玻璃生产线项目"].project.stage == pipeline.NEGOTIATING
    assert by_name["瑞澄机器人产业园项目"].outcome == "warn"
    assert {h["rule"] for h in by_name["瑞澄机器人产业园项目"].hits} == {"5NO-LAND-INTENSITY"}
    later = set(pipeline.PIPELINE[pipeline.PIPELINE.index(pipeline.NEGOTIATING) + 1 :])
    for v in by_name.values():
        if v.outcome == "block" and v.project.stage in later:
            # Only with a leader's override on record.
            assert any(s.is_override for s in StageChange.objects.filter(project=v.project)), v.project.name


def _corrections() -> Any:
    import importlib

    return importlib.import_module("zhaoshang.screening.migrations.0004_shipped_catalogue_corrections")


def test_a_database_loaded_before_the_corrections_gets_them_in_the_rules_history_unless_the_zone_edited_the_rule(
    db: Any,
) -> None:
    from django.apps import apps

    migration = _corrections()
    fund = Rule.objects.get(code="5NO-CROWDFUNDING")
    p2p = Rule.objects.get(code="5NO-P2P")
    # The zone edited the P2P rule's keywords; then both rules are put back as an older
    # release shipped them.
    services.rule_update(rule=p2p, data={"keywords": ["P2P", "本区自加"]}, user=SYSTEM)
    Rule.objects.filter(pk=fund.pk).update(keywords=["众筹", "公众集资", "全民集资"])
    Rule.objects.filter(pk=p2p.pk).update(industry_prefixes=[], revision=1)
    version = services.current_version()
    with audit_context(source="command"):
        migration.correct(apps, None)
    fund.refresh_from_db()
    p2p.refresh_from_db()
    assert "保本保息" in fund.keywords and fund.revision == 2
    assert (p2p.industry_prefixes, p2p.keywords, p2p.revision) == ([], ["P2P", "本区自加"], 1)
    entry = ChangeLog.objects.get(object_id=fund.pk, content_type__model="rule", action="update")
    assert entry.before == {"keywords": ["众筹", "公众集资", "全民集资"]} and "保本保息" in entry.after["keywords"]
    assert services.current_version() == version + 1
    assert not ChangeLog.objects.filter(
        object_id=p2p.pk, content_type__model="rule", message__contains="随平台"
    ).exists()
    # Run again (a database already corrected): nothing more happens.
    migration.correct(apps, None)
    assert services.current_version() == version + 1 and ChangeLog.objects.filter(object_id=fund.pk).count() == 1
