"""The scoring rules without a database: each method's arithmetic, weights, missing facts,
vetoes, hard thresholds, grade bounds, the hints of what would change the grade, and the
checks a scheme version must pass."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from zhaoshang.evaluation import rules
from zhaoshang.evaluation.services import DEFAULT_SCHEME_FILE

D = Decimal


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def one(criterion: dict[str, Any], **spec: Any) -> rules.SchemeSpec:
    """A scheme of a single indicator worth 100 points scored by ``criterion``."""
    return rules.spec_from_data(
        indicators=[{"key": "only", "name": {"zh-hans": "唯一", "en": "Only"}, "weight": 100, "criteria": [criterion]}],
        **spec,
    )


def total(spec: rules.SchemeSpec, **facts: Any) -> Decimal:
    return rules.score(facts, spec).total


# -- methods ---------------------------------------------------------------------------------


def test_threshold_gives_all_at_the_threshold_and_nothing_just_below() -> None:
    spec = one({"fact": "expected_jobs", "method": "threshold", "at_least": 500})
    assert total(spec, expected_jobs=500) == D("100.00")
    assert total(spec, expected_jobs=499) == D("0.00")
    yes_no = one({"fact": "high_tech", "method": "threshold"})
    assert total(yes_no, high_tech=True) == D("100.00")
    assert total(yes_no, high_tech=False) == D("0.00")


def test_linear_between_bounds_is_clamped_outside() -> None:
    spec = one({"fact": "rd_share", "method": "linear", "low": 1, "high": 5})
    assert total(spec, rd_share=D("1")) == D("0.00")
    assert total(spec, rd_share=D("0.5")) == D("0.00")  # clamped below
    assert total(spec, rd_share=D("2")) == D("25.00")
    assert total(spec, rd_share=D("3.333")) == D("58.33")  # 2.333 / 4 × 100, rounded half up
    assert total(spec, rd_share=D("5")) == D("100.00")
    assert total(spec, rd_share=D("9")) == D("100.00")  # clamped above


def test_bands_take_the_highest_band_reached() -> None:
    spec = one({"fact": "planned_investment", "method": "bands", "bands": [[10000, 50], [50000, 70], [100000, 100]]})
    assert total(spec, planned_investment=D("9999.99")) == D("0.00")
    assert total(spec, planned_investment=D("10000")) == D("50.00")
    assert total(spec, planned_investment=D("99999")) == D("70.00")
    assert total(spec, planned_investment=D("100000")) == D("100.00")


def test_levels_score_coded_answers() -> None:
    spec = one({"fact": "funding_status", "method": "levels", "levels": {"secured": 100, "partial": 40}})
    assert total(spec, funding_status="secured") == D("100.00")
    assert total(spec, funding_status="partial") == D("40.00")
    assert total(spec, funding_status="unsecured") == D("0.00")  # an answer without a value


def test_bounds_written_per_floor_follow_the_floor() -> None:
    criterion = {"fact": "tax_per_mu", "method": "bands", "per_floor": "tax_per_mu", "bands": [[1, 80], [2, 100]]}
    at_25 = one(criterion, floors={"tax_per_mu": 25})
    at_30 = one(criterion, floors={"tax_per_mu": 30})
    assert total(at_25, tax_per_mu=D("26")) == D("80.00")
    assert total(at_30, tax_per_mu=D("26")) == D("0.00")
    assert total(at_30, tax_per_mu=D("60")) == D("100.00")


# -- weights, combination, missing facts ------------------------------------------------------


def two_indicators(**extra: Any) -> rules.SchemeSpec:
    return rules.spec_from_data(
        indicators=[
            {
                "key": "tech",
                "weight": 30,
                "criteria": [
                    {"fact": "rd_share", "method": "linear", "low": 0, "high": 4, "scale": 50},
                    {"fact": "high_tech", "method": "threshold", "scale": 50},
                ],
            },
            {
                "key": "strength",
                "weight": 70,
                "combine": "max",
                "criteria": [
                    {"fact": "is_listed", "method": "threshold", "scale": 80},
                    {"fact": "is_fortune500", "method": "threshold", "scale": 100},
                ],
            },
        ],
        **extra,
    )


def test_weights_turn_indicator_values_into_points() -> None:
    spec = two_indicators()
    result = rules.score({"rd_share": D("1"), "high_tech": True, "is_listed": True, "is_fortune500": False}, spec)
    tech, strength = result.contributions
    assert (tech.value, tech.points) == (D("62.50"), D("18.75"))  # (25 × 0.5 + 100 × 0.5) % of 30
    assert (strength.value, strength.points) == (D("80.00"), D("56.00"))  # the best criterion, 80 % of 70
    assert result.total == D("74.75")
    both = rules.score({"rd_share": D("4"), "high_tech": True, "is_listed": True, "is_fortune500": True}, spec)
    assert both.total == D("100.00")


def test_missing_facts_score_zero_and_are_listed() -> None:
    spec = two_indicators()
    result = rules.score({"high_tech": True}, spec)
    assert result.total == D("15.00")
    assert result.missing == ("rd_share", "is_listed", "is_fortune500")
    assert result.contributions[0].missing == ("rd_share",)
    assert rules.score({"rd_share": "", "high_tech": False}, spec).missing[0] == "rd_share"


def test_grade_bounds_are_lower_bounds() -> None:
    spec = one({"fact": "expected_jobs", "method": "linear", "low": 0, "high": 100}, grade_bounds=[85, 70, 55])
    assert [rules.score({"expected_jobs": n}, spec).grade for n in (85, 84, 70, 69, 55, 54)] == [
        "A",
        "B",
        "B",
        "C",
        "C",
        "D",
    ]


# -- vetoes and hard thresholds ----------------------------------------------------------------


def compliance() -> rules.SchemeSpec:
    return rules.spec_from_data(
        indicators=[
            {
                "key": "jobs",
                "weight": 60,
                "criteria": [{"fact": "expected_jobs", "method": "linear", "low": 0, "high": 100}],
            },
            {
                "key": "intensity",
                "weight": 40,
                "criteria": [
                    {
                        "fact": "investment_intensity",
                        "method": "linear",
                        "per_floor": "investment_intensity",
                        "low": 0,
                        "high": 1,
                    }
                ],
            },
        ],
        vetoes=[{"key": "dishonest", "fact": "dishonest_party", "name": {"zh-hans": "失信", "en": "dishonest"}}],
        thresholds=[
            {"key": "floor", "fact": "investment_intensity", "floor": "investment_intensity", "max_grade": "B"}
        ],
        floors={"investment_intensity": 300},
        grade_bounds=[85, 70, 55],
    )


def test_a_veto_gives_grade_d_whatever_the_score() -> None:
    spec = compliance()
    clean = rules.score({"expected_jobs": 100, "investment_intensity": D("300")}, spec)
    assert (clean.total, clean.grade, clean.vetoes) == (D("100.00"), "A", ())
    vetoed = rules.score({"expected_jobs": 100, "investment_intensity": D("300"), "dishonest_party": True}, spec)
    assert (vetoed.total, vetoed.grade, vetoed.points_grade, vetoed.vetoes) == (D("100.00"), "D", "A", ("dishonest",))
    [hint] = vetoed.hints
    assert (hint.kind, hint.key, hint.grade) == ("veto", "dishonest", "A")


def test_below_the_floor_caps_the_grade_at_the_floor_it_does_not() -> None:
    spec = compliance()
    below = rules.score({"expected_jobs": 100, "investment_intensity": D("299.99")}, spec)
    assert below.total >= D("85") and below.points_grade == "A"
    assert below.grade == "B"
    assert [(c.key, c.value, c.minimum, c.max_grade) for c in below.caps] == [("floor", D("299.99"), D("300"), "B")]
    assert rules.score({"expected_jobs": 100, "investment_intensity": D("300")}, spec).caps == ()
    # An unknown intensity caps nothing: its indicator already scores 0 and is listed as missing.
    unknown = rules.score({"expected_jobs": 100}, spec)
    assert (unknown.caps, unknown.missing, unknown.grade) == ((), ("investment_intensity",), "C")


def test_a_cap_below_the_points_grade_is_hinted_with_the_floor() -> None:
    spec = compliance()
    below = rules.score({"expected_jobs": 100, "investment_intensity": D("240")}, spec)
    cap = next(h for h in below.hints if h.kind == "cap")
    assert (cap.fact, cap.current, cap.target, cap.gain, cap.grade) == (
        "investment_intensity",
        D("240"),
        D("300"),
        D("8.00"),
        "A",
    )


# -- what would change the grade ----------------------------------------------------------------


def test_hint_tax_per_mu_to_the_floor_adds_points_and_reaches_a() -> None:
    spec = rules.spec_from_data(
        indicators=[
            {
                "key": "base",
                "weight": 85,
                "criteria": [{"fact": "expected_output", "method": "linear", "low": 0, "high": 85}],
            },
            {
                "key": "tax",
                "weight": 15,
                "criteria": [
                    {
                        "fact": "tax_per_mu",
                        "method": "bands",
                        "per_floor": "tax_per_mu",
                        "bands": [[0.5, 40], [1, 80], [2, 100]],
                    }
                ],
            },
        ],
        floors={"tax_per_mu": 25},
        grade_bounds=[85, 70, 55],
    )
    result = rules.score({"expected_output": D("76"), "tax_per_mu": D("18")}, spec)
    assert (result.total, result.grade) == (D("82.00"), "B")
    tax = next(h for h in result.hints if h.fact == "tax_per_mu")
    assert (tax.kind, tax.current, tax.target, tax.gain, tax.grade) == ("raise", D("18"), D("25.0"), D("6.00"), "A")
    # Linear facts are asked for just enough to reach the next grade.
    output = next(h for h in result.hints if h.fact == "expected_output")
    assert (output.target, output.grade) == (D("79.00"), "A")
    assert rules.score({"expected_output": D("85"), "tax_per_mu": D("50")}, spec).hints == ()


def test_hints_skip_facts_marked_not_actionable() -> None:
    spec = one({"fact": "is_fortune500", "method": "threshold", "hint": False})
    assert rules.score({"is_fortune500": False}, spec).hints == ()


# -- the scheme's data -----------------------------------------------------------------------------


def errors_of(**data: Any) -> list[str]:
    with pytest.raises(rules.SchemeError) as exc:
        rules.spec_from_data(**data)
    return exc.value.errors


def test_weights_must_add_up_to_100() -> None:
    errors = errors_of(
        indicators=[
            {"key": "a", "weight": 60, "criteria": [{"fact": "patents", "method": "threshold"}]},
            {"key": "b", "weight": 30, "criteria": [{"fact": "high_tech", "method": "threshold"}]},
        ]
    )
    assert errors == ["The weights add up to 90, not 100."]


def test_grade_bounds_must_be_ordered() -> None:
    errors = errors_of(
        indicators=[{"key": "a", "weight": 100, "criteria": [{"fact": "patents", "method": "threshold"}]}],
        grade_bounds=[70, 85, 55],
    )
    assert errors == ["Grade bounds must be ordered: 100 ≥ A > B > C > 0 (got 70, 85, 55)."]


def test_every_problem_of_a_scheme_is_listed() -> None:
    errors = errors_of(
        indicators=[
            {"key": "a", "weight": 50, "criteria": [{"fact": "wealth", "method": "threshold"}]},
            {"key": "a", "weight": 50, "criteria": [{"fact": "patents", "method": "guess"}]},
            {"key": "c", "weight": 0, "criteria": [{"fact": "rd_share", "method": "linear", "low": 5, "high": 1}]},
            {
                "key": "d",
                "weight": 0,
                "criteria": [{"fact": "patents", "method": "bands", "bands": [[10, 50], [5, 80]]}],
            },
        ],
        thresholds=[{"fact": "tax_per_mu", "floor": "tax_per_mu", "max_grade": "E"}],
    )
    assert "a: unknown fact “wealth”." in errors
    assert "Indicator “a” appears twice." in errors
    assert "a: unknown scoring method “guess”." in errors
    assert "c: the lower bound must be below the upper bound." in errors
    assert "d: band bounds must increase." in errors
    assert any("the grade cap must be A, B, C or D" in e for e in errors)
    assert any("unknown floor “tax_per_mu”" in e for e in errors)


def test_the_shipped_default_scheme_is_valid_and_weights_add_up_to_100() -> None:
    data = json.loads(DEFAULT_SCHEME_FILE.read_text(encoding="utf-8"))
    spec = rules.spec_from_data(
        indicators=data["indicators"],
        vetoes=data["vetoes"],
        thresholds=data["hard_thresholds"],
        floors=data["floors"],
        grade_bounds=data["grade_bounds"],
    )
    assert sum(i.weight for i in spec.indicators) == 100
    assert {v.fact for v in spec.vetoes} == {"dishonest_party", "unresolved_penalties", "illegal_land_use"}
    assert spec.floors == {"investment_intensity": D("300"), "tax_per_mu": D("25")}
    assert {t.fact: t.max_grade for t in spec.thresholds} == {"investment_intensity": "B", "tax_per_mu": "B"}
    keys = {i.key for i in spec.indicators}
    assert {"investment_scale", "investment_intensity", "tax_per_mu", "enterprise_strength", "chain_fit"} <= keys


# -- derived facts ---------------------------------------------------------------------------------


def test_per_mu_ratios_and_chain_fit() -> None:
    facts = rules.derive_facts({"fixed_asset_investment": D("30000"), "expected_tax": D("1800"), "land_mu": D("100")})
    assert (facts["investment_intensity"], facts["tax_per_mu"]) == (D("300.00"), D("18.00"))
    assert rules.derive_facts({"fixed_asset_investment": D("1"), "land_mu": D("0")})["investment_intensity"] is None
    assert rules.chain_fit(7, "3911", ["39"]) == "node"
    assert rules.chain_fit(None, "3911", ["65", "391"]) == "industry"
    assert rules.chain_fit(None, "2511", ["65", "391"]) == "none"
    assert rules.chain_fit(None, None, ["65"]) is None
