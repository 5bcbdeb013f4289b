"""Importing and exporting enterprises and projects as .xlsx and CSV.

Every test that expects a refusal also checks that nothing in the database changed: the
counts of records, change-log rows and search grams, and the values of a record that was
there before.  Messages are checked in English (the msgids); the Chinese comes from the
catalogue.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.utils import translation
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from tests.conftest import client_for
from tests.factories import credit_code, csv_bytes, enterprise, project, xlsx
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.tabular.engine import RowError, run_import
from zhaoshang.core.tabular.export import export_response
from zhaoshang.core.tabular.template import template_bytes
from zhaoshang.enterprises.models import ChainNode, Enterprise, EnterpriseRanking, IndustryChain
from zhaoshang.enterprises.selectors import search_enterprises
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project, ProjectMember, StageChange


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def chain(db: Any) -> ChainNode:
    c = IndustryChain.objects.create(name="新一代信息技术", kind="leading")
    ChainNode.objects.create(chain=c, name="芯片设计", segment="upstream")
    return ChainNode.objects.create(chain=c, name="网络安全", segment="midstream")


def state(*records: Any) -> tuple[Any, ...]:
    """Everything an import could have written, to show that a refused one wrote nothing."""
    values = []
    for r in records:
        r.refresh_from_db()
        values.append({f.attname: getattr(r, f.attname) for f in r._meta.concrete_fields})
    return (
        Enterprise.objects.count(),
        Project.objects.count(),
        ChangeLog.objects.count(),
        EnterpriseRanking.objects.count(),
        StageChange.objects.count(),
        values,
    )


def errors(result: Any) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]


ENTERPRISE_HEADER = [
    "企业名称",
    "曾用名",
    "统一社会信用代码",
    "注册资本（万元）",
    "总部所在省份",
    "总部所在城市",
    "行业代码",
    "上市交易所",
    "股票代码",
    "独角兽",
    "行业龙头",
    "专精特新等级",
    "年营业收入（万元）",
    "员工人数",
    "经营范围",
    "备注",
    "产业链环节",
    "录入单位",
    "榜单排名",
]
CODE_360 = credit_code(360)
CODE_OLIVER = credit_code(361)


def good_enterprise_rows() -> list[list[Any]]:
    return [
        ENTERPRISE_HEADER,
        [
            "三六零安全科技股份有限公司",
            "奇虎360；北京奇虎科技有限公司",
            CODE_360,
            71448.36,
            "北京",
            "北京市",
            "6513 应用软件开发",
            "上交所",
            "601360",
            "否",
            "是",
            "",
            "1,000,000.50",
            6000,
            "互联网安全技术开发",
            "网络安全基地项目",
            "新一代信息技术/网络安全",
            "园区运营中心A",
            "世界500强:2024:420;中国500强:2023:33",
        ],
        [
            "郑州奥利弗电子科技有限公司",
            "",
            CODE_OLIVER,
            "500",
            "河南",
            "郑州市",
            "C3911",
            "",
            "",
            "no",
            "0",
            "省级",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]


def assert_good_enterprises_imported(user: Any, node: ChainNode, org: Any) -> None:
    e = Enterprise.objects.get(credit_code=CODE_360)
    assert e.name == "三六零安全科技股份有限公司"
    assert e.former_name_list() == ["奇虎360", "北京奇虎科技有限公司"]
    assert e.registered_capital == Decimal("71448.36")
    assert (e.hq_province, e.hq_city, e.industry_id) == ("北京", "北京市", "6513")
    assert (e.listing_exchange, e.ticker, e.is_unicorn, e.is_industry_leader, e.sme_level) == (
        "SSE",
        "601360",
        False,
        True,
        "",
    )
    assert e.revenue == Decimal("1000000.50")
    assert e.employees == 6000
    assert (e.business_scope, e.notes) == ("互联网安全技术开发", "网络安全基地项目")
    assert list(e.chain_nodes.all()) == [node]
    assert e.owner_unit == org.park_a
    assert sorted(e.rankings.values_list("list", "year", "rank")) == [("china500", 2023, 33), ("fortune500", 2024, 420)]
    assert (e.is_fortune500, e.is_china500, e.is_private500) == (True, True, False)
    assert e.name_key == "三六零安全科技"
    o = Enterprise.objects.get(credit_code=CODE_OLIVER)
    assert (o.registered_capital, o.industry_id, o.sme_level, o.listing_exchange, o.revenue, o.employees) == (
        Decimal("500.00"),
        "3911",
        "provincial",
        "",
        None,
        None,
    )
    # The search index knows the new names and former names.
    assert list(search_enterprises(Enterprise.objects.all(), "奥利弗")) == [o]
    assert list(search_enterprises(Enterprise.objects.all(), "奇虎")) == [e]
    # One change-log row per record, attributed to the importing user and marked as an import.
    logs = ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(Enterprise))
    assert sorted(logs.values_list("object_id", "action", "source", "user_id", "user_name")) == sorted(
        [(e.pk, "create", "import", user.pk, user.username), (o.pk, "create", "import", user.pk, user.username)]
    )
    after = logs.get(object_id=e.pk).after
    assert after["name"] == e.name and after["revenue"] == "1000000.50" and after["chain_nodes"] == [node.pk]
    assert after["owner_unit"] == org.park_a.pk


def test_good_xlsx_creates_enterprises_with_exact_values(org: Any, chain: ChainNode) -> None:
    result = run_import(
        resource="enterprises",
        data=xlsx(good_enterprise_rows()),
        filename="企业.xlsx",
        user=org.coordinator,
        commit=True,
    )
    assert (result.ok, result.file_error, result.errors) == (True, None, [])
    assert (result.rows, result.created, result.updated) == (2, 2, 0)
    assert_good_enterprises_imported(org.coordinator, chain, org)


def test_good_csv_creates_enterprises_with_exact_values(org: Any, chain: ChainNode) -> None:
    result = run_import(
        resource="enterprises",
        data=csv_bytes(good_enterprise_rows()),
        filename="企业.csv",
        user=org.coordinator,
        commit=True,
    )
    assert (result.ok, result.errors, result.created) == (True, [], 2)
    assert_good_enterprises_imported(org.coordinator, chain, org)


def test_csv_saved_by_chinese_excel_in_gbk_is_read(org: Any, chain: ChainNode) -> None:
    data = csv_bytes(good_enterprise_rows(), encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = run_import(resource="enterprises", data=data, filename="企业.csv", user=org.coordinator, commit=True)
    assert (result.ok, result.errors, result.created) == (True, [], 2)
    assert_good_enterprises_imported(org.coordinator, chain, org)


def test_csv_without_bom_is_read_as_utf8(org: Any, chain: ChainNode) -> None:
    result = run_import(
        resource="enterprises",
        data=csv_bytes(good_enterprise_rows(), "utf-8"),
        filename="a.csv",
        user=org.coordinator,
        commit=True,
    )
    assert (result.ok, result.created) == (True, 2)
    assert Enterprise.objects.get(credit_code=CODE_OLIVER).name == "郑州奥利弗电子科技有限公司"


def test_english_headers_and_field_names_are_accepted(org: Any) -> None:
    rows = [
        ["name", "unified social credit code", "registered capital (10k CNY)"],
        ["英文表头测试有限公司", CODE_360, 12],
    ]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="x.xlsx", user=org.coordinator, commit=True)
    assert (result.ok, result.created) == (True, 1)
    assert Enterprise.objects.get(credit_code=CODE_360).registered_capital == Decimal("12.00")


def test_preview_validates_without_writing(org: Any, chain: ChainNode) -> None:
    before = state()
    result = run_import(
        resource="enterprises",
        data=xlsx(good_enterprise_rows()),
        filename="企业.xlsx",
        user=org.coordinator,
        commit=False,
    )
    assert (result.ok, result.committed, result.created, result.rows) == (True, False, 2, 2)
    assert [(n, action) for n, action, _cells in result.preview] == [(2, "create"), (3, "create")]
    assert state() == before


def test_update_by_credit_code_changes_only_the_given_columns(org: Any) -> None:
    existing = enterprise(
        "郑州市通达氧应用开发有限公司", credit_code=CODE_360, hq_province="河南", employees=80, owner_unit=org.park_a
    )
    count = Enterprise.objects.count()
    rows = [["企业名称", "统一社会信用代码", "员工人数"], ["郑州市通达氧应用开发有限公司", CODE_360.lower(), "120"]]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="u.xlsx", user=org.officer_a, commit=True)
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    existing.refresh_from_db()
    assert (existing.employees, existing.hq_province, Enterprise.objects.count()) == (120, "河南", count)
    log = ChangeLog.objects.filter(object_id=existing.pk, source="import").get()
    assert (log.action, log.user_id, log.before["employees"], log.after["employees"]) == (
        "update",
        org.officer_a.pk,
        80,
        120,
    )


def test_update_by_id_renames_and_reindexes(org: Any) -> None:
    existing = enterprise("旧名称科技有限公司", owner_unit=org.park_a)
    rows = [["编号", "企业名称", "曾用名"], [existing.pk, "新名字信息技术有限公司", "旧名称科技有限公司"]]
    result = run_import(resource="enterprises", data=csv_bytes(rows), filename="u.csv", user=org.manager_a, commit=True)
    assert (result.ok, result.updated) == (True, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.former_names, existing.name_key) == (
        "新名字信息技术有限公司",
        "旧名称科技有限公司",
        "新名字信息技术",
    )
    assert list(search_enterprises(Enterprise.objects.all(), "名字信息")) == [existing]
    assert list(search_enterprises(Enterprise.objects.all(), "旧名称")) == [existing]


def test_reimporting_the_same_values_changes_nothing(org: Any) -> None:
    existing = enterprise("不变科技有限公司", credit_code=CODE_360, employees=5)
    logs = ChangeLog.objects.count()
    rows = [["统一社会信用代码", "企业名称", "员工人数"], [CODE_360, "不变科技有限公司", 5]]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="u.xlsx", user=org.coordinator, commit=True)
    assert (result.ok, result.updated, result.unchanged) == (True, 1, 1)
    assert ChangeLog.objects.count() == logs
    existing.refresh_from_db()
    assert existing.employees == 5


def test_wrong_types_are_reported_per_cell_and_nothing_is_written(org: Any) -> None:
    keep = enterprise("原有企业有限公司", credit_code=CODE_OLIVER, employees=7)
    before = state(keep)
    rows = [
        ["企业名称", "注册资本（万元）", "员工人数", "独角兽", "上市交易所", "行业代码", "录入单位"],
        ["好的企业有限公司", 100, 10, "是", "SSE", "3911", ""],
        ["坏的企业有限公司", "一百万", "十个", "也许", "东京", "9999", "不存在的单位"],
        ["", -5, 1.5, "", "", "", ""],
    ]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="bad.xlsx", user=org.coordinator, commit=True)
    assert not result.ok
    assert errors(result) == [
        (3, "注册资本（万元）", "“一百万” is not a number."),
        (3, "员工人数", "“十个” is not a whole number."),
        (3, "独角兽", "“也许” is neither yes nor no; write 是 or 否."),
        (
            3,
            "上市交易所",
            "“东京” is not one of: 上海证券交易所、深圳证券交易所、北京证券交易所、香港联合交易所、纳斯达克、纽约证券交易所、其他交易所.",
        ),
        (3, "行业代码", "“9999” is not a GB/T 4754-2017 industry code."),
        (3, "录入单位", "No unit is named “不存在的单位”."),
        (4, "企业名称", "A value is required."),
        (4, "注册资本（万元）", "The number cannot be negative."),
        (4, "员工人数", "“1.5” is not a whole number."),
    ]
    assert state(keep) == before


def test_bad_credit_code_is_named_in_the_message(org: Any) -> None:
    keep = enterprise("原有企业有限公司", credit_code=CODE_OLIVER)
    before = state(keep)
    bad = CODE_360[:-1] + ("0" if CODE_360[-1] != "0" else "1")
    rows = [["企业名称", "统一社会信用代码"], ["甲科技有限公司", bad], ["乙科技有限公司", "123"]]
    result = run_import(
        resource="enterprises", data=csv_bytes(rows), filename="c.csv", user=org.coordinator, commit=True
    )
    assert errors(result) == [
        (
            2,
            "统一社会信用代码",
            f"{bad} is not a valid unified social credit code: its check character does not match "
            "(GB 32100-2015); check for a mistyped character.",
        ),
        (3, "统一社会信用代码", "123 has 3 characters; a unified social credit code has 18."),
    ]
    assert state(keep) == before


def test_missing_required_column_refuses_the_file(org: Any) -> None:
    before = state()
    result = run_import(
        resource="enterprises",
        data=xlsx([["统一社会信用代码", "备注"], [CODE_360, "x"]]),
        filename="m.xlsx",
        user=org.coordinator,
        commit=True,
    )
    assert (result.ok, result.file_error, result.errors) == (False, "Required columns are missing: 企业名称.", [])
    assert state() == before


def test_unknown_headers_refuse_the_file(org: Any) -> None:
    result = run_import(
        resource="enterprises",
        data=csv_bytes([["foo", "bar"], ["1", "2"]]),
        filename="m.csv",
        user=org.coordinator,
        commit=False,
    )
    assert result.file_error == "No header row with known column names was found; download the template to see them."


def test_duplicate_credit_code_in_the_file_is_an_error_on_both_rows(org: Any) -> None:
    before = state()
    rows = [
        ["企业名称", "统一社会信用代码"],
        ["甲公司科技", CODE_360],
        ["乙公司电子", CODE_OLIVER],
        ["丙公司材料", CODE_360],
    ]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="d.xlsx", user=org.coordinator, commit=True)
    message = f"The credit code {CODE_360} appears in more than one row (rows 2、4)."
    assert errors(result) == [(2, "统一社会信用代码", message), (4, "统一社会信用代码", message)]
    assert state() == before


def test_near_identical_names_in_the_file_and_in_the_registry_are_refused(org: Any) -> None:
    keep = enterprise("郑州市通达氧应用开发有限公司", credit_code=CODE_OLIVER)
    before = state(keep)
    rows = [
        ["企业名称", "统一社会信用代码"],
        ["郑州市通达氧应用开发公司", ""],  # same name key as the registry's
        ["河南新材料股份有限公司", ""],
        ["河南新材料有限公司", CODE_360],  # same key as the row above
    ]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="n.xlsx", user=org.coordinator, commit=True)
    assert errors(result) == [
        (
            2,
            "企业名称",
            f"A similar enterprise is already in the registry: 郑州市通达氧应用开发有限公司 (ID {keep.pk}). "
            "To update it, give its ID or credit code; if it is a different enterprise, write 是 in the column 确认非重复.",
        ),
        (
            3,
            "企业名称",
            "The name is near-identical to the name in row 4; if they are different enterprises, write 是 in the "
            "column 确认非重复.",
        ),
        (
            4,
            "企业名称",
            "The name is near-identical to the name in row 3; if they are different enterprises, write 是 in the "
            "column 确认非重复.",
        ),
    ]
    assert state(keep) == before


def test_a_row_confirmed_as_a_different_enterprise_is_imported_as_the_form_allows(org: Any) -> None:
    """The duplicate rule is the form's, and so is its confirmation: 确认非重复 = 是."""
    keep = enterprise("郑州市通达氧应用开发有限公司", credit_code=CODE_OLIVER)
    rows = [["企业名称", "确认非重复"], ["郑州市通达氧应用开发公司", "是"], ["郑州市通达氧应用开发股份公司", "否"]]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="n.xlsx", user=org.coordinator, commit=True)
    assert [(e.row, e.column) for e in result.errors] == [(3, "企业名称")]
    rows = rows[:2]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="n.xlsx", user=org.coordinator, commit=True)
    assert (result.ok, result.created) == (True, 1)
    assert Enterprise.objects.filter(name_key=keep.name_key).count() == 2


def test_giving_the_existing_credit_code_turns_a_near_duplicate_into_an_update(org: Any) -> None:
    keep = enterprise("郑州市通达氧应用开发有限公司", credit_code=CODE_OLIVER)
    rows = [["企业名称", "统一社会信用代码", "备注"], ["郑州市通达氧应用开发公司", CODE_OLIVER, "已核对"]]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="n.xlsx", user=org.coordinator, commit=True)
    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    keep.refresh_from_db()
    assert (keep.name, keep.notes) == ("郑州市通达氧应用开发公司", "已核对")


def test_credit_code_of_another_record_cannot_be_given_to_an_id(org: Any) -> None:
    a = enterprise("甲科技有限公司", credit_code=CODE_360)
    b = enterprise("乙电子有限公司", credit_code=CODE_OLIVER)
    before = state(a, b)
    rows = [["编号", "企业名称", "统一社会信用代码"], [b.pk, "乙电子有限公司", CODE_360]]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="x.xlsx", user=org.coordinator, commit=True)
    assert errors(result) == [
        (2, "统一社会信用代码", f"The credit code {CODE_360} already belongs to 甲科技有限公司 (ID {a.pk}).")
    ]
    assert state(a, b) == before


def test_officer_cannot_update_another_units_enterprise(org: Any) -> None:
    theirs = enterprise("园区A的企业有限公司", credit_code=CODE_360, owner_unit=org.park_a, employees=3)
    before = state(theirs)
    rows = [["编号", "企业名称", "员工人数"], [theirs.pk, "园区A的企业有限公司", 999], [987654, "不存在有限公司", 1]]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="x.xlsx", user=org.officer_b, commit=True)
    assert errors(result) == [
        (2, "编号", f"No enterprise with ID {theirs.pk} that you may change."),
        (3, "编号", "No enterprise with ID 987654 that you may change."),
    ]
    by_code = run_import(
        resource="enterprises",
        data=xlsx([["企业名称", "统一社会信用代码"], ["园区A的企业有限公司", CODE_360]]),
        filename="x.xlsx",
        user=org.officer_b,
        commit=True,
    )
    assert errors(by_code) == [
        (
            2,
            "统一社会信用代码",
            f"园区A的企业有限公司 (credit code {CODE_360}) is already in the registry, recorded by another unit; you may not change it.",
        )
    ]
    assert state(theirs) == before


def test_officer_records_new_enterprises_for_a_unit_they_work_in(org: Any) -> None:
    rows = [["企业名称", "录入单位"], ["默认单位科技有限公司", ""], ["别的单位科技有限公司", "园区运营中心B"]]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="x.xlsx", user=org.officer_a, commit=True)
    assert errors(result) == [(3, "录入单位", "You do not work in this unit; choose one of your own units.")]
    rows.pop()
    result = run_import(resource="enterprises", data=xlsx(rows), filename="x.xlsx", user=org.officer_a, commit=True)
    assert result.ok
    assert Enterprise.objects.get(name="默认单位科技有限公司").owner_unit == org.park_a


def test_viewer_may_not_import(org: Any) -> None:
    with pytest.raises(PermissionDenied):
        run_import(
            resource="enterprises",
            data=xlsx(good_enterprise_rows()),
            filename="x.xlsx",
            user=org.viewer_a,
            commit=False,
        )


def test_blank_rows_are_skipped_and_row_numbers_follow_the_sheet(org: Any) -> None:
    rows = [
        ["企业说明：请从第三行开始填写"],
        ["企业名称", "员工人数"],
        ["甲科技有限公司", 1],
        ["", ""],
        ["乙电子有限公司", "x"],
    ]
    result = run_import(resource="enterprises", data=xlsx(rows), filename="x.xlsx", user=org.coordinator, commit=False)
    assert result.rows == 2
    assert errors(result) == [(5, "员工人数", "“x” is not a whole number.")]


# -- projects ------------------------------------------------------------------------------

PROJECT_HEADER = [
    "项目编号",
    "项目名称",
    "投资企业",
    "投资方名称",
    "牵头单位",
    "是否保密",
    "项目阶段",
    "阶段变更原因",
    "线索来源",
    "招商方式",
    "行业代码",
    "产业链环节",
    "计划总投资（万元）",
    "合同投资额（万元）",
    "外资（万美元）",
    "汇率（人民币/美元）",
    "汇率日期",
    "签约日期",
    "预计就业人数",
]


def test_projects_import_at_their_stage_with_the_facts_it_needs(org: Any, chain: ChainNode) -> None:
    e = enterprise("三六零集团", credit_code=CODE_360)
    rows = [
        PROJECT_HEADER,
        [
            "",
            "360网络安全基地",
            CODE_360,
            "",
            "园区运营中心A",
            "否",
            "签约",
            "",
            "市商务局推介",
            "产业链招商",
            "6513",
            "新一代信息技术/网络安全",
            500000,
            300000,
            1000,
            7.1234,
            "2023/3/11",
            dt.date(2023, 3, 11),
            800,
        ],
        [
            "",
            "某新能源电池项目",
            "",
            "深圳某新能源公司",
            "园区运营中心A",
            "是",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert (result.ok, result.errors, result.created, result.file_error) == (True, [], 2, None)
    signed = Project.objects.get(name="360网络安全基地")
    assert (signed.enterprise, signed.lead_unit, signed.stage, signed.promotion_method, signed.industry_id) == (
        e,
        org.park_a,
        "signed",
        "chain",
        "6513",
    )
    assert (signed.chain_node, signed.planned_investment, signed.contracted_investment) == (
        chain,
        Decimal("500000.00"),
        Decimal("300000.00"),
    )
    assert (signed.foreign_capital_usd, signed.fx_rate, signed.fx_date, signed.signed_on) == (
        Decimal("1000.00"),
        Decimal("7.1234"),
        dt.date(2023, 3, 11),
        dt.date(2023, 3, 11),
    )
    assert (signed.expected_jobs, signed.priority_band, signed.owner) == (
        800,
        rules.priority_band(Decimal("500000")),
        org.officer_a,
    )
    assert list(signed.stage_changes.values_list("from_stage", "to_stage", "reason", "user_name")) == [
        ("", "signed", "import", "officer_a")
    ]
    assert ProjectMember.objects.filter(project=signed, user=org.officer_a, role="owner").exists()
    lead = Project.objects.get(name="某新能源电池项目")
    assert (lead.stage, lead.investor_name, lead.enterprise, lead.confidential) == (
        "lead",
        "深圳某新能源公司",
        None,
        True,
    )
    log = ChangeLog.objects.get(object_id=signed.pk, content_type=ContentType.objects.get_for_model(Project))
    assert (log.action, log.source, log.user_id, log.after["stage"], log.after["members"]) == (
        "create",
        "import",
        org.officer_a.pk,
        "signed",
        [org.officer_a.pk],
    )


def test_a_new_project_cannot_skip_the_facts_of_its_stage(org: Any) -> None:
    before = state()
    rows = [
        ["项目名称", "投资方名称", "牵头单位", "项目阶段", "签约日期", "汇率日期"],
        ["缺事实的项目", "某公司", "园区运营中心A", "签约", "2023-02-30", "不知道"],
        ["没有投资方的项目", "", "园区运营中心A", "暂缓", "", ""],
    ]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.coordinator, commit=True)
    assert errors(result) == [
        (
            2,
            "项目阶段",
            "A new project can start at stage 签约 only with: lead source、planned total investment、industry、promotion method、"
            "contracted investment、signing date.",
        ),
        (2, "签约日期", "“2023-02-30” is not a date; write it as 2024-03-11."),
        (2, "汇率日期", "“不知道” is not a date; write it as 2024-03-11."),
        (3, "投资方名称", "Choose an enterprise from the registry or enter the investor's name."),
        # The column the row needs, though the sheet lacks it.
        (3, "阶段变更原因", "A reason is required to put a project on hold or drop it."),
    ]
    assert state() == before


def test_project_update_moves_stage_through_the_same_checks(org: Any) -> None:
    p = project("园区A项目", org.park_a, user=org.officer_a)
    before = state(p)
    rows = [["项目编号", "项目名称", "牵头单位", "项目阶段"], [p.pk, "园区A项目", "园区运营中心A", "洽谈"]]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert errors(result) == [
        (2, "项目阶段", "Missing: lead source"),
        (2, "项目阶段", "Missing: planned total investment"),
        (2, "项目阶段", "Missing: industry"),
    ]
    assert state(p) == before
    rows[0] += ["线索来源", "计划总投资（万元）", "行业代码"]
    rows[1] += ["招商推介会", 20000, "3911"]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_a, commit=True)
    assert (result.ok, result.updated) == (True, 1)
    p.refresh_from_db()
    assert (p.stage, p.source, p.planned_investment, p.priority_band) == (
        "negotiating",
        "招商推介会",
        Decimal("20000.00"),
        1,
    )
    assert list(p.stage_changes.values_list("from_stage", "to_stage", "reason")) == [
        ("", "lead", ""),
        ("lead", "negotiating", "import"),
    ]
    actions = list(
        ChangeLog.objects.filter(
            object_id=p.pk, content_type=ContentType.objects.get_for_model(Project), source="import"
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["move", "update"]


def test_an_import_judges_foreign_capital_as_the_form_does(org: Any) -> None:
    """One rule (projects.rules.project_errors): a rate of 0, or foreign capital without its
    rate and date, is refused by the import with the form's own words."""
    before = state()
    rows = [
        ["项目名称", "投资方名称", "牵头单位", "外资（万美元）", "汇率（人民币/美元）", "汇率日期"],
        ["零汇率项目", "某外资公司", "园区运营中心A", 100, 0, "2024-03-01"],
        ["缺汇率项目", "某外资公司", "园区运营中心A", 100, "", ""],
    ]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.coordinator, commit=True)
    assert errors(result) == [
        (2, "汇率（人民币/美元）", "The exchange rate must be more than 0."),
        (3, "汇率（人民币/美元）", "Foreign capital needs the exchange rate and its date."),
    ]
    assert state() == before


def test_an_import_holds_and_resumes_a_project_as_a_move_does(org: Any) -> None:
    """The one transition (projects.rules.move_effects): on hold remembers the stage it was
    held at and its reason; resuming forgets both, and may not go past the held stage."""
    p = project("暂缓项目", org.park_a, org.officer_a, stage=rules.NEGOTIATING)
    header = ["项目编号", "项目名称", "牵头单位", "项目阶段", "阶段变更原因"]

    def sheet(stage: str, reason: str = "") -> bytes:
        return xlsx([header, [p.pk, p.name, "园区运营中心A", stage, reason]])

    result = run_import(
        resource="projects", data=sheet("暂缓", "资金未到位"), filename="p.xlsx", user=org.officer_a, commit=True
    )
    assert result.ok, result.errors
    p.refresh_from_db()
    assert (p.stage, p.held_at_stage, p.side_reason) == (rules.ON_HOLD, rules.NEGOTIATING, "资金未到位")
    result = run_import(resource="projects", data=sheet("评审"), filename="p.xlsx", user=org.officer_a, commit=True)
    assert errors(result) == [
        (2, "项目阶段", "A project on hold resumes at the stage it was held at or an earlier one."),
    ]
    result = run_import(resource="projects", data=sheet("洽谈"), filename="p.xlsx", user=org.officer_a, commit=True)
    assert result.ok, result.errors
    p.refresh_from_db()
    assert (p.stage, p.held_at_stage, p.side_reason) == (rules.NEGOTIATING, "", "")


def test_officer_b_cannot_update_park_a_projects(org: Any) -> None:
    p = project("园区A保密项目", org.park_a, user=org.officer_a)
    before = state(p)
    rows = [["项目编号", "项目名称", "牵头单位", "投资方名称"], [p.pk, "被B改名", "园区运营中心B", "某公司"]]
    result = run_import(resource="projects", data=xlsx(rows), filename="p.xlsx", user=org.officer_b, commit=True)
    assert errors(result) == [(2, "项目编号", f"No project with ID {p.pk} that you may change.")]
    moved = run_import(
        resource="projects",
        data=xlsx([["项目名称", "牵头单位", "投资方名称"], ["B的新项目", "园区运营中心A", "某公司"]]),
        filename="p.xlsx",
        user=org.officer_b,
        commit=True,
    )
    assert errors(moved) == [(2, "牵头单位", "You do not work in this unit; choose one of your own units.")]
    assert state(p) == before


# -- export --------------------------------------------------------------------------------


def response_bytes(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_export_of_a_filtered_list_neutralises_formulas_and_reimports(org: Any, chain: ChainNode) -> None:
    evil = enterprise(
        '=HYPERLINK("http://x","点我")科技有限公司',
        credit_code=CODE_360,
        notes="@SUM(A1)",
        hq_city="-2+3",
        revenue=Decimal("12.50"),
    )
    evil.chain_nodes.set([chain])
    enterprise("不导出的企业有限公司", credit_code=CODE_OLIVER)
    qs = Enterprise.objects.filter(pk=evil.pk).select_related("industry").only("id", "name")
    csv_data = response_bytes(export_response(resource="enterprises", queryset=qs, fmt="csv"))
    assert csv_data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "企业名称", "曾用名"]
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["企业名称"] == '\'=HYPERLINK("http://x","点我")科技有限公司'
    assert (record["备注"], record["总部所在城市"], record["年营业收入（万元）"]) == ("'@SUM(A1)", "'-2+3", "12.50")
    assert (record["产业链环节"], record["独角兽"]) == ("新一代信息技术/网络安全", "否")

    xlsx_data = response_bytes(export_response(resource="enterprises", queryset=qs, fmt="xlsx"))
    sheet = load_workbook(io.BytesIO(xlsx_data)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    assert cells[1][1] == '\'=HYPERLINK("http://x","点我")科技有限公司'
    assert sheet["B2"].data_type == "s"  # text, not a formula

    # Both exports come back unchanged: the apostrophe is taken off again on import.
    logs = ChangeLog.objects.count()
    for data, name in ((csv_data, "e.csv"), (xlsx_data, "e.xlsx")):
        result = run_import(resource="enterprises", data=data, filename=name, user=org.coordinator, commit=True)
        assert (result.ok, result.errors, result.updated, result.unchanged) == (True, [], 1, 1)
    evil.refresh_from_db()
    assert (evil.name, evil.notes, evil.hq_city) == ('=HYPERLINK("http://x","点我")科技有限公司', "@SUM(A1)", "-2+3")
    assert ChangeLog.objects.count() == logs


def test_project_export_reimports_unchanged(org: Any) -> None:
    p = project("往返项目", org.park_a, user=org.officer_a, stage=rules.SIGNED)
    data = response_bytes(export_response(resource="projects", queryset=Project.objects.filter(pk=p.pk), fmt="xlsx"))
    result = run_import(resource="projects", data=data, filename="p.xlsx", user=org.officer_a, commit=True)
    assert (result.ok, result.errors, result.updated, result.unchanged) == (True, [], 1, 1)


def test_export_does_not_query_per_row(org: Any, chain: ChainNode, django_assert_max_num_queries: Any) -> None:
    for i in range(30):
        e = enterprise(f"批量导出企业{i:02d}号有限公司", owner_unit=org.park_a)
        e.chain_nodes.set([chain])
    with django_assert_max_num_queries(5):
        data = response_bytes(
            export_response(resource="enterprises", queryset=Enterprise.objects.order_by("id"), fmt="csv")
        )
    assert data.decode("utf-8-sig").count("新一代信息技术/网络安全") == 30


# -- template ------------------------------------------------------------------------------


def test_template_has_chinese_headers_notes_and_drop_down_lists(org: Any, chain: ChainNode) -> None:
    book = load_workbook(io.BytesIO(template_bytes("enterprises", user=org.officer_a)))
    sheet = book["企业"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["编号", "企业名称", "曾用名", "统一社会信用代码"]
    assert "榜单排名" in headers
    assert sheet.freeze_panes == "A2"
    assert sheet["B1"].comment is not None and sheet["B1"].comment.text.startswith("Required.")
    lists = book["代码表"]
    assert lists.sheet_state == "hidden"
    columns = {
        lists.cell(row=1, column=c).value: [lists.cell(row=r, column=c).value for r in range(2, lists.max_row + 1)]
        for c in range(1, lists.max_column + 1)
    }
    assert columns["上市交易所"][:2] == ["上海证券交易所", "深圳证券交易所"]
    assert "3911 计算机整机制造" in columns["行业代码"]
    assert [u for u in columns["录入单位"] if u] == ["园区运营中心A", "园区A招商一部"]  # the officer's own units
    assert [n for n in columns["产业链环节"] if n] == ["新一代信息技术/芯片设计", "新一代信息技术/网络安全"]
    validated = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    letter = {h: sheet.cell(row=1, column=i + 1).column_letter for i, h in enumerate(headers)}
    assert set(validated) == {
        f"{letter[h]}2"
        for h in (
            "行业代码",
            "上市交易所",
            "独角兽",
            "行业龙头",
            "专精特新等级",
            "产业链环节",
            "录入单位",
            "确认非重复",
        )
    }
    assert validated[f"{letter['行业代码']}2"].startswith("'代码表'!$")


def test_the_empty_template_imports_as_no_rows(org: Any) -> None:
    result = run_import(
        resource="projects",
        data=template_bytes("projects", user=org.coordinator),
        filename="t.xlsx",
        user=org.coordinator,
        commit=False,
    )
    assert (result.ok, result.file_error) == (False, "The file has no data rows under the header.")


def test_template_is_read_by_calamine_with_its_lists_hidden(org: Any) -> None:
    book = CalamineWorkbook.from_filelike(io.BytesIO(template_bytes("projects")))
    assert [m.name for m in book.sheets_metadata] == ["项目", "代码表"]


# -- pure helpers --------------------------------------------------------------------------


def test_the_import_and_the_form_judge_credit_codes_by_one_check() -> None:
    """A sheet's cell and the form's field reach the same verdict and the same message for
    every code, valid or not (one check: python-stdnum through core.values)."""
    from django.core.exceptions import ValidationError

    from zhaoshang.core.tabular.kinds import CellError
    from zhaoshang.enterprises.io import CreditCode
    from zhaoshang.enterprises.services import clean_credit_code

    samples = [credit_code(n) for n in range(0, 3000, 7)]
    samples += [c[:-1] + "0" for c in samples] + [
        "123",
        "91410100MA00000I0X",
        "9141010OMA0000000X",
        "９１４１０１００ＭＡ０００００３６０",
        f" {CODE_360[:6]} {CODE_360[6:]}-",
        CODE_360.lower(),
    ]
    # Each character of a valid code replaced by one outside the alphabet, or by another of it.
    for pos in (0, 8, 12, 17):
        samples += [CODE_360[:pos] + ch + CODE_360[pos + 1 :] for ch in "IOSVZ中ａ0AY"]
    cell = CreditCode()
    for code in samples:
        try:
            imported: object = cell.parse(code)
        except CellError as exc:
            imported = exc.message
        try:
            typed: object = clean_credit_code(code)
        except ValidationError as exc:
            typed = exc.message_dict["credit_code"][0]
        assert imported == typed, code
    assert cell.parse(CODE_360) == CODE_360


def test_row_error_is_a_plain_record() -> None:
    assert RowError(3, "企业名称", "x") == RowError(row=3, column="企业名称", message="x")


# -- pages ---------------------------------------------------------------------------------


def english_client(user: Any) -> Any:
    c = client_for(user)
    c.cookies["django_language"] = "en"
    return c


@pytest.fixture
def uploads(tmp_path: Any, settings: Any) -> Any:
    settings.DATA_DIR = tmp_path
    return tmp_path / "uploads"


def test_anonymous_visitors_are_sent_to_login(client: Any, db: Any) -> None:
    for url in ("/enterprises/import/", "/projects/import/", "/enterprises/import/template.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    response = client.post("/enterprises/import/", {"file": io.BytesIO(b"x")})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_viewer_gets_403_on_import_pages(org: Any, uploads: Any) -> None:
    c = client_for(org.viewer_a)
    before = state()
    for url in ("/enterprises/import/", "/projects/import/"):
        assert c.get(url).status_code == 403
        upload = io.BytesIO(xlsx(good_enterprise_rows()))
        upload.name = "企业.xlsx"
        assert c.post(url, {"file": upload}).status_code == 403
    assert state() == before
    assert not uploads.exists() or not any(uploads.iterdir())


def test_upload_preview_then_commit(org: Any, chain: ChainNode, uploads: Any) -> None:
    c = english_client(org.coordinator)
    page = c.get("/enterprises/import/")
    assert page.status_code == 200
    assert b'href="/enterprises/import/template.xlsx"' in page.content
    upload = io.BytesIO(xlsx(good_enterprise_rows()))
    upload.name = "企业.xlsx"
    preview = c.post("/enterprises/import/", {"file": upload})
    assert preview.status_code == 200
    assert Enterprise.objects.count() == 0  # nothing is saved by the preview
    result = preview.context["result"]
    assert (result.ok, result.created, result.rows) == (True, 2, 2)
    assert "三六零安全科技股份有限公司" in preview.content.decode()
    token = preview.context["token"]
    assert sorted(p.name for p in uploads.iterdir()) == [f"{token}.bin", f"{token}.json"]
    # Another user cannot commit this upload.
    stolen = client_for(org.manager_a).post("/enterprises/import/", {"token": token})
    assert stolen.status_code == 302 and Enterprise.objects.count() == 0
    # Nor can a path be smuggled in as the token.
    assert c.post("/enterprises/import/", {"token": "../../zhaoshang.sqlite3"}).status_code == 302
    done = c.post("/enterprises/import/", {"token": token})
    assert (done.status_code, done["Location"]) == (302, "/enterprises/")
    listing = c.get("/enterprises/")
    assert "Imported 2 rows: 2 created, 0 updated." in [str(m) for m in listing.context["messages"]]
    assert_good_enterprises_imported(org.coordinator, chain, org)
    assert not any(uploads.iterdir())
    # The change log ties the import to the request that committed it.
    assert set(ChangeLog.objects.filter(source="import").values_list("request_id", flat=True)) == {done["X-Request-ID"]}


def test_upload_with_errors_shows_the_error_table_and_keeps_nothing(org: Any, uploads: Any) -> None:
    c = english_client(org.officer_a)
    upload = io.BytesIO(csv_bytes([["企业名称", "员工人数"], ["甲科技有限公司", "很多"]]))
    upload.name = "企业.csv"
    response = c.post("/enterprises/import/", {"file": upload})
    assert response.status_code == 200
    assert response.context["token"] == ""
    html = response.content.decode()
    assert '<td class="text-end">2</td><td>员工人数</td><td>“很多” is not a whole number.</td>' in html
    assert 'name="token"' not in html
    assert not uploads.exists() or not any(uploads.iterdir())
    refused = c.post("/enterprises/import/", {"file": io.BytesIO(b"")})
    assert refused.status_code == 200


def test_project_page_refuses_a_zip_bomb_with_its_message(org: Any, uploads: Any) -> None:
    import zipfile

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (5 * 1024 * 1024))
    bomb.seek(0)
    bomb.name = "项目.xlsx"
    response = english_client(org.officer_a).post("/projects/import/", {"file": bomb})
    assert response.status_code == 200
    assert "refused as a possible zip bomb" in response.context["result"].file_error
    assert Project.objects.count() == 0


def test_template_download(org: Any) -> None:
    response = client_for(org.officer_a).get("/projects/import/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content))["项目"]
    assert [c.value for c in sheet[1]][:3] == ["项目编号", "项目名称", "投资企业"]


def test_imported_province_is_kept_in_its_short_form(org):
    from zhaoshang.core.tabular.engine import run_import
    from zhaoshang.enterprises.models import Enterprise

    data = "企业名称,总部所在省份\n河南中原传感器有限公司,河南省\n广西柳工机械股份有限公司,广西壮族自治区\n".encode()
    result = run_import(resource="enterprises", data=data, filename="e.csv", user=org.coordinator, commit=True)
    assert result.ok, result.errors
    assert dict(Enterprise.objects.values_list("name", "hq_province")) == {
        "河南中原传感器有限公司": "河南",
        "广西柳工机械股份有限公司": "广西",
    }


def test_a_project_names_its_enterprise_by_the_exact_name_among_near_identical_ones(org: Any) -> None:
    """Names are found through their comparison key; two names with one key stay apart."""
    limited = enterprise("郑州奥利弗电子科技有限公司")
    joint_stock = enterprise("郑州奥利弗电子科技股份有限公司")
    assert limited.name_key == joint_stock.name_key
    rows = [
        ["项目名称", "投资企业", "牵头单位"],
        ["奥利弗扩产项目", "郑州奥利弗电子科技股份有限公司", "园区运营中心A"],
        ["奥利弗研发中心", "郑州奥利弗电子科技有限公司", "园区运营中心A"],
        ["奥利弗配套项目", "郑州奥利弗电子科技集团", "园区运营中心A"],
    ]
    result = run_import(resource="projects", data=csv_bytes(rows), filename="p.csv", user=org.officer_a, commit=False)
    assert (result.errors[0].row, result.errors[0].column, result.errors[0].message) == (
        4,
        "投资企业",
        "No enterprise with the number, credit code or name “郑州奥利弗电子科技集团” is in the registry. Add it to "
        "the registry first, or leave this empty and give the investor's name.",
    )
    assert {e.row for e in result.errors} == {4}
    result = run_import(
        resource="projects", data=csv_bytes(rows[:3]), filename="p.csv", user=org.officer_a, commit=True
    )
    assert result.ok, result.errors
    assert Project.objects.get(name="奥利弗扩产项目").enterprise == joint_stock
    assert Project.objects.get(name="奥利弗研发中心").enterprise == limited
