"""The pure screening rules, over the shipped catalogue: every rule with a project that fires
it and one that narrowly does not; unknown facts; folding of text; exceptions; the outcome.

No database: the shipped JSON is turned into rule specs through unsaved model instances."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhaoshang.screening import rules
from zhaoshang.screening.models import CatalogueEntry, Rule
from zhaoshang.screening.services import RULE_FIELDS

DATA = Path(__file__).resolve().parent.parent / "zhaoshang" / "screening" / "data" / "catalogue.json"
GBT = Path(__file__).resolve().parent.parent / "zhaoshang" / "enterprises" / "data" / "gbt4754_2017.json"
SHIPPED = json.loads(DATA.read_text(encoding="utf-8"))
RULE_KEYS = tuple(f for f in RULE_FIELDS if f != "active")


def shipped_specs() -> list[rules.RuleSpec]:
    specs = [Rule(**{k: r[k] for k in RULE_KEYS}).spec() for r in SHIPPED["rules"]]
    for pk, e in enumerate(SHIPPED["entries"], start=1):
        entry = CatalogueEntry(pk=pk, **{k: v for k, v in e.items()})
        specs.append(entry.spec())
    return specs


CATALOGUE = rules.compile_rules(shipped_specs())


def fired(facts: dict[str, Any]) -> set[str]:
    return {h.rule for h in rules.screen(facts, CATALOGUE).hits}


def W(value: str) -> Decimal:
    return Decimal(value)


# Each shipped rule: facts that fire it, and facts that narrowly do not.
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "3NO-POLICY-MACHINE-TOOLS": ({"industry_id": "3421"}, {"industry_id": "3423"}),
    "3NO-POLICY-ELIM-CLAY-CRUCIBLE": (
        {"description": "采用陶土坩埚拉丝工艺生产玻璃纤维"},
        {"description": "采用池窑拉丝工艺生产玻璃纤维，陶瓷坩埚检测"},
    ),
    "3NO-OVERCAP-STEEL": ({"industry_id": "3120"}, {"industry_id": "3130", "name": "精密钢管加工"}),
    "3NO-OVERCAP-CEMENT": ({"name": "年产200万吨水泥熟料生产线"}, {"industry_id": "3021", "name": "水泥制品厂"}),
    "3NO-OVERCAP-ALUMINIUM": ({"business_scope": "电解铝生产与销售"}, {"business_scope": "电解液与铝箔销售"}),
    "3NO-OVERCAP-ALUMINIUM-CODE": ({"industry_id": "3216"}, {"industry_id": "3217"}),
    "3NO-OVERCAP-FLAT-GLASS": ({"industry_id": "3041"}, {"industry_id": "3042", "name": "平板电脑玻璃盖板"}),
    "3NO-OVERCAP-SHIPBUILDING": ({"industry_id": "3731"}, {"industry_id": "3733", "name": "游艇制造"}),
    "3NO-OVERCAP-COKING": ({"name": "焦化厂升级改造"}, {"name": "焦点科技产业园"}),
    "3NO-OVERCAP-CALCIUM-CARBIDE": ({"description": "建设电石炉两台"}, {"description": "导电石墨烯材料中试线"}),
    "3NO-OVERCAP-POLYSILICON": ({"name": "多晶硅还原炉项目"}, {"name": "单晶硅片切割项目"}),
    "3NO-OVERCAP-SILICON-CODE": ({"industry_id": "3218"}, {"industry_id": "3219"}),
    "3NO-OVERCAP-COAL-CHEMICALS": ({"industry_id": "2523"}, {"industry_id": "2524", "name": "煤制品加工"}),
    "3NO-POLLUTION-COAL-POWER": ({"industry_id": "4411"}, {"industry_id": "4413", "name": "电力设备"}),
    "3NO-POLLUTION-PETROCHEMICALS": ({"industry_id": "2511"}, {"industry_id": "2611"}),
    "3NO-POLLUTION-CHEMICALS": ({"industry_id": "2611"}, {"industry_id": "2661"}),
    "3NO-POLLUTION-STEEL": ({"industry_id": "3130"}, {"industry_id": "3311"}),
    "3NO-POLLUTION-NONFERROUS": ({"industry_id": "3211"}, {"industry_id": "3240"}),
    "3NO-POLLUTION-BUILDING-MATERIALS": ({"industry_id": "3041"}, {"industry_id": "3091"}),
    "5NO-SELF-HARM-INCENTIVES": (
        {"incentives_offered": W("5000.01"), "expected_tax": W("500"), "commitment_years": 10},
        {"incentives_offered": W("5000"), "expected_tax": W("500"), "commitment_years": 10},
    ),
    "5NO-SELF-HARM-TAX-LINKED": ({"incentives_tied_to_tax": True}, {"incentives_tied_to_tax": False}),
    "5NO-CROWDFUNDING": ({"description": "通过股权众筹募集建设资金"}, {"description": "通过银行贷款筹集建设资金"}),
    "5NO-CROWDFUNDING-INVESTOR": ({"business_scope": "众筹平台运营"}, {"business_scope": "筹建平台运营"}),
    "5NO-P2P": ({"name": "P2P金融服务中心"}, {"name": "P2V技术服务中心"}),
    "5NO-P2P-INVESTOR": (
        {"enterprise_name": "某某网贷信息服务有限公司"},
        {"enterprise_name": "某某网络信息服务有限公司"},
    ),
    "5NO-LAND-INTENSITY": (
        {"fixed_asset_investment": W("14999.99"), "land_mu": W("100")},
        {"fixed_asset_investment": W("15000"), "land_mu": W("100")},
    ),
    "5NO-LAND-TAX-PER-MU": (
        {"expected_tax": W("1249.99"), "land_mu": W("100")},
        {"expected_tax": W("1250"), "land_mu": W("100")},
    ),
    "5NO-LAND-BEYOND-NEED": (
        {"land_mu": W("150.01"), "land_needed_mu": W("100")},
        {"land_mu": W("150"), "land_needed_mu": W("100")},
    ),
    "5NO-HOUSING-DOMINANT": (
        {"floor_area_m2": W("10000"), "residential_area_m2": W("3000"), "commercial_area_m2": W("2000.01")},
        {"floor_area_m2": W("10000"), "residential_area_m2": W("3000"), "commercial_area_m2": W("2000")},
    ),
    "5NO-HOUSING-SHARE": (
        {"floor_area_m2": W("10000"), "residential_area_m2": W("1000"), "commercial_area_m2": W("1000.01")},
        {"floor_area_m2": W("10000"), "residential_area_m2": W("1000"), "commercial_area_m2": W("1000")},
    ),
    "5NO-HOUSING-REAL-ESTATE": ({"industry_id": "7010"}, {"industry_id": "7040", "name": "厂房租赁"}),
}

ENTRY_CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "1": ({"description": "天然草场超载放牧"}, {"description": "人工草场轮牧"}),
    "2": ({"industry_id": "2023"}, {"industry_id": "2021"}),
    "3": ({"name": "松香深加工项目"}, {"name": "香料深加工项目"}),
    "4": ({"description": "兽用粉剂生产线"}, {"description": "兽用注射剂生产线"}),
    "5": ({"description": "采用转瓶培养工艺生产疫苗"}, {"description": "采用悬浮培养工艺生产疫苗"}),
    "6": ({"name": "一次性木制品加工厂"}, {"name": "实木家具加工厂"}),
}


def test_every_shipped_rule_and_entry_has_a_case() -> None:
    assert set(CASES) == {r["code"] for r in SHIPPED["rules"]}
    assert set(ENTRY_CASES) == {e["item_number"] for e in SHIPPED["entries"]}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_shipped_rule_fires_and_narrowly_does_not(code: str) -> None:
    fires, narrowly_not = CASES[code]
    assert code in fired(fires)
    assert code not in fired(narrowly_not)


@pytest.mark.parametrize("item", sorted(ENTRY_CASES))
def test_each_shipped_catalogue_entry_fires_and_narrowly_does_not(item: str) -> None:
    pk = next(i for i, e in enumerate(SHIPPED["entries"], start=1) if e["item_number"] == item)
    code = f"ISAC2024-R{pk}"
    fires, narrowly_not = ENTRY_CASES[item]
    hits = [h for h in rules.screen(fires, CATALOGUE).hits if h.rule == code]
    assert hits and hits[0].kind == rules.WARN  # a restricted item warns
    assert "限制类 一、农林牧渔业 第" + item + "条" in hits[0].basis
    assert code not in fired(narrowly_not)


def test_shipped_rules_name_their_basis_kind_messages_and_provenance() -> None:
    for r in SHIPPED["rules"]:
        assert r["kind"] in (rules.BLOCK, rules.WARN), r["code"]
        assert r["basis"] and r["message_zh"] and r["message_en"] and r["source"], r["code"]
        assert r["provenance"] in ("category", "zone"), r["code"]  # no rule pretends to quote an item
        assert not r["item_number"] and not r["item_text"], r["code"]
        assert r["industry_prefixes"] or r["keywords"] or r["numeric_check"], r["code"]
    for e in SHIPPED["entries"]:
        assert e["provenance"] == "quoted" and e["wording"] and e["item_number"] and "http" in e["source"]


def test_every_shipped_industry_prefix_is_a_gbt_4754_2017_code() -> None:
    codes = {row[0] for row in json.loads(GBT.read_text(encoding="utf-8"))["codes"]}
    used = {p for r in SHIPPED["rules"] for p in r["industry_prefixes"]}
    used |= {p for e in SHIPPED["entries"] for p in e["industry_prefixes"]}
    assert used and used <= codes, used - codes


def test_section_of_agrees_with_the_gbt_table() -> None:
    for code, _name, _level, section, _remark in json.loads(GBT.read_text(encoding="utf-8"))["codes"]:
        assert rules.section_of(code) == section, code


def test_a_section_letter_prefix_matches_every_code_of_the_section() -> None:
    spec = rules.RuleSpec(code="T-SECTION", kind=rules.WARN, industry_prefixes=("K",))
    assert rules.screen({"industry_id": "7010"}, [spec]).outcome == rules.WARN
    assert rules.screen({"industry_id": "6440"}, [spec]).outcome == rules.PASS


def test_unknown_facts_never_fire_a_numeric_rule_and_are_listed() -> None:
    result = rules.screen({"name": "某智能制造项目", "land_mu": W("100")}, CATALOGUE)
    assert result.outcome == rules.PASS
    unchecked = {u.rule: u.facts for u in result.unchecked}
    assert unchecked["5NO-LAND-INTENSITY"] == ("fixed_asset_investment",)
    assert unchecked["5NO-LAND-BEYOND-NEED"] == ("land_needed_mu",)
    assert unchecked["5NO-SELF-HARM-INCENTIVES"] == ("incentives_offered", "expected_tax", "commitment_years")
    assert unchecked["3NO-OVERCAP-FLAT-GLASS"] == ("industry_id",)  # its code matcher needs the industry
    assert "5NO-SELF-HARM-TAX-LINKED" not in unchecked  # a yes/no fact is always known


def test_a_known_part_of_the_floor_area_can_fire_alone() -> None:
    facts = {"floor_area_m2": W("10000"), "residential_area_m2": W("6000")}
    assert "5NO-HOUSING-DOMINANT" in fired(facts)
    result = rules.screen({"floor_area_m2": W("10000"), "residential_area_m2": W("100")}, CATALOGUE)
    assert {u.rule: u.facts for u in result.unchecked}["5NO-HOUSING-DOMINANT"] == ("commercial_area_m2",)


def test_no_land_asked_is_not_land_speculation() -> None:
    facts = {"fixed_asset_investment": W("100"), "land_mu": W("0"), "expected_tax": W("1")}
    assert not fired(facts) & {"5NO-LAND-INTENSITY", "5NO-LAND-TAX-PER-MU"}


def test_hits_name_the_fact_value_and_threshold() -> None:
    result = rules.screen({"fixed_asset_investment": W("12000"), "land_mu": W("100")}, CATALOGUE)
    [hit] = [h for h in result.hits if h.rule == "5NO-LAND-INTENSITY"]
    assert (hit.kind, hit.fact, hit.value) == (rules.WARN, "investment_intensity", "120.00")
    assert hit.detail == "120.00 < 0.5 × 300 = 150.00"
    assert "本区" in hit.basis and hit.message_zh and hit.message_en


def test_keyword_hits_record_where_they_were_found() -> None:
    result = rules.screen({"name": "某项目", "business_scope": "玻璃制品销售；浮法玻璃生产"}, CATALOGUE)
    [hit] = [h for h in result.hits if h.rule == "3NO-OVERCAP-FLAT-GLASS"]
    assert (hit.fact, hit.value) == ("business_scope", "浮法玻璃")
    assert "浮法玻璃" in hit.detail


def test_keywords_are_width_and_case_folded() -> None:
    assert "5NO-P2P" in fired({"name": "ｐ２ｐ借贷撮合平台"})
    assert "5NO-P2P" in fired({"description": "p2p lending"})


def test_project_keywords_block_while_investor_keywords_only_warn() -> None:
    assert rules.screen({"name": "P2P网贷平台"}, CATALOGUE).outcome == rules.BLOCK
    in_scope = rules.screen({"name": "智能制造基地", "business_scope": "网络借贷信息中介"}, CATALOGUE)
    assert (in_scope.outcome, {h.rule for h in in_scope.hits}) == (rules.WARN, {"5NO-P2P-INVESTOR"})


def test_a_glass_makers_power_station_is_a_warning_about_its_investor_never_a_block() -> None:
    result = rules.screen(
        {
            "name": "130MWp光伏电站项目",
            "industry_id": "4416",
            "enterprise_name": "香港信义玻璃控股有限公司",
            "business_scope": "浮法玻璃、汽车玻璃的生产和销售",
        },
        CATALOGUE,
    )
    [hit] = [h for h in result.hits if h.rule == "3NO-OVERCAP-FLAT-GLASS"]
    assert (result.outcome, hit.kind, hit.fact, hit.context) == (
        rules.WARN,
        rules.WARN,
        "business_scope",
        rules.INVESTOR,
    )
    # The project's own name with the same words blocks, and says nothing of context.
    own = rules.screen({"name": "浮法玻璃生产线", "business_scope": "浮法玻璃生产"}, CATALOGUE)
    assert own.outcome == rules.BLOCK
    assert {(h.fact, h.kind, h.context) for h in own.hits if h.rule == "3NO-OVERCAP-FLAT-GLASS"} == {
        ("name", rules.BLOCK, ""),
        ("business_scope", rules.WARN, rules.INVESTOR),
    }


def test_no_rule_blocks_on_the_investors_facts_whatever_facts_it_names() -> None:
    """A zone's own block rule written over the business scope still only warns there."""
    spec = rules.RuleSpec(code="ZONE-X", kind=rules.BLOCK, keywords=("养殖",), keyword_facts=("business_scope",))
    by_name = rules.RuleSpec(code="ZONE-Y", kind=rules.BLOCK, keywords=("养殖",), keyword_facts=("enterprise_name",))
    result = rules.screen(
        {"name": "冷链物流中心", "enterprise_name": "某养殖集团", "business_scope": "生猪养殖"}, [spec, by_name]
    )
    assert result.outcome == rules.WARN
    assert {(h.rule, h.kind, h.context) for h in result.hits} == {
        ("ZONE-X", rules.WARN, rules.INVESTOR),
        ("ZONE-Y", rules.WARN, rules.INVESTOR),
    }


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("年產20萬噸電解鋁項目", "3NO-OVERCAP-ALUMINIUM"),
        ("文旅小鎮眾籌建設項目", "5NO-CROWDFUNDING"),
        ("焦化廠升級改造", "3NO-OVERCAP-COKING"),
        ("多晶矽還原爐項目", "3NO-OVERCAP-POLYSILICON"),
    ],
)
def test_traditional_characters_are_read_as_their_simplified_forms(text: str, rule: str) -> None:
    simplified = rules.fold(text)
    assert simplified != text and rule in fired({"name": text}) and fired({"name": text}) == fired({"name": simplified})


def test_fold_turns_traditional_and_regional_forms_full_width_and_case_into_one_form() -> None:
    assert rules.fold("年產20萬噸電解鋁") == "年产20万吨电解铝"
    assert rules.fold("ＰＣＢ線路板") == "pcb线路板"  # full width, case, a Hong Kong/Taiwan variant
    assert rules.fold("电解铝\x1f项目") == "电解铝\x1f项目"  # simplified text and the separator untouched
    assert rules.fold("") == "" and rules.fold("P2P") == "p2p"


def test_a_keyword_written_in_traditional_characters_finds_simplified_text() -> None:
    spec = rules.RuleSpec(code="T", kind=rules.WARN, keywords=("電鍍",))
    assert {h.rule for h in rules.screen({"description": "电镀车间"}, [spec]).hits} == {"T"}


@pytest.mark.parametrize(
    "text",
    ["项目资金拟向社会公众募集", "面向社会公众集资建设", "投资人按份额返还收益", "承诺保本保息、按月付息"],
)
def test_public_fund_raising_phrasing_in_the_project_blocks_as_crowdfunding(text: str) -> None:
    result = rules.screen({"description": text}, CATALOGUE)
    assert result.outcome == rules.BLOCK and "5NO-CROWDFUNDING" in {h.rule for h in result.blocks}


def test_the_code_of_p2p_lending_blocks_whatever_the_text_says() -> None:
    result = rules.screen({"name": "金融信息服务平台", "industry_id": "6637"}, CATALOGUE)
    assert result.outcome == rules.BLOCK and {h.rule for h in result.blocks} == {"5NO-P2P"}
    assert "5NO-P2P" not in fired({"name": "金融信息服务平台", "industry_id": "6639"})


def test_the_machine_tool_rule_names_the_catalogues_classes_as_it_numbers_them() -> None:
    [rule] = [r for r in SHIPPED["rules"] if r["code"] == "3NO-POLICY-MACHINE-TOOLS"]
    assert "第二类 限制类、第三类 淘汰类" in rule["basis"]


def test_overlapping_and_nested_keywords_are_all_found() -> None:
    specs = [
        rules.RuleSpec(code="AB", kind=rules.WARN, keywords=("ab",)),
        rules.RuleSpec(code="BC", kind=rules.WARN, keywords=("bc",)),
        rules.RuleSpec(code="ABCD", kind=rules.BLOCK, keywords=("abcd",)),
        rules.RuleSpec(code="C", kind=rules.WARN, keywords=("cd",)),
    ]
    assert {h.rule for h in rules.screen({"name": "xabcdx"}, specs).hits} == {"AB", "BC", "ABCD", "C"}


def test_an_exception_term_hides_only_the_occurrence_inside_it() -> None:
    assert "3NO-OVERCAP-CALCIUM-CARBIDE" not in fired({"name": "光电石英器件"})
    assert "3NO-OVERCAP-CALCIUM-CARBIDE" in fired({"name": "导电石墨及电石项目"})


def test_outcome_is_the_most_severe_hit() -> None:
    assert rules.screen({"name": "智能传感器项目", "industry_id": "3983"}, CATALOGUE).outcome == rules.PASS
    assert rules.screen({"industry_id": "3216"}, CATALOGUE).outcome == rules.WARN
    glass = rules.screen({"industry_id": "3041"}, CATALOGUE)
    assert glass.outcome == rules.BLOCK
    assert {h.rule for h in glass.hits} == {"3NO-OVERCAP-FLAT-GLASS", "3NO-POLLUTION-BUILDING-MATERIALS"}


def test_one_hit_per_rule_and_fact() -> None:
    result = rules.screen({"name": "炼钢炼铁高炉项目"}, CATALOGUE)
    assert [h.rule for h in result.hits].count("3NO-OVERCAP-STEEL") == 1


def test_check_params_fill_defaults_and_name_problems() -> None:
    values, problems = rules.check_params("intensity_below_floor", {"floor": "350"})
    assert values == {"floor": Decimal("350"), "fraction": Decimal("0.5")} and problems == []
    _values, problems = rules.check_params("intensity_below_floor", {"floor": "-1", "speed": "2"})
    assert problems == ["bad-value:floor", "unknown-param:speed"]
    assert rules.check_params("no_such_check", {})[1] == ["unknown-check:no_such_check"]


def test_edited_parameters_move_the_threshold() -> None:
    spec = rules.RuleSpec(
        code="LAND",
        kind=rules.WARN,
        check="intensity_below_floor",
        params=(("floor", Decimal("400")), ("fraction", Decimal("1"))),
    )
    assert rules.screen({"fixed_asset_investment": W("39999"), "land_mu": W("100")}, [spec]).outcome == rules.WARN
    assert rules.screen({"fixed_asset_investment": W("40000"), "land_mu": W("100")}, [spec]).outcome == rules.PASS
