"""Pure rules of the pipeline: required facts, allowed moves, priority bands, credit shares.

No database: the services hand these functions a plain mapping of facts."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from zhaoshang.projects import rules
from zhaoshang.projects.rules import (
    CONSTRUCTION,
    CONTACTED,
    DROPPED,
    FULL_CAPACITY,
    IN_PRODUCTION,
    LAND_ACQUIRED,
    LEAD,
    NEGOTIATING,
    ON_HOLD,
    PIPELINE,
    REGISTERED,
    REVIEW,
    SIGNED,
    STAGE_REQUIREMENTS,
    check_move,
    credit_share_errors,
    missing_facts,
    priority_band,
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are compared in English, whatever catalogue the default language has."""
    with translation.override("en"):
        yield


DAY = dt.date(2023, 3, 8)

# One fact that satisfies each requirement, by stage.
GOOD: dict[str, dict[str, Any]] = {
    LEAD: {"investor": "三六零集团"},
    CONTACTED: {"source": "以商招商推荐"},
    NEGOTIATING: {"planned_investment": Decimal("500000"), "industry_id": "6513"},
    REVIEW: {"promotion_method": "leader"},
    SIGNED: {"contracted_investment": Decimal("450000"), "signed_on": DAY},
    REGISTERED: {"enterprise_id": 7, "registered_on": DAY},
    LAND_ACQUIRED: {"land_mu": Decimal("120.5"), "land_acquired_on": DAY},
    CONSTRUCTION: {"construction_started_on": DAY},
    IN_PRODUCTION: {"production_started_on": DAY},
    FULL_CAPACITY: {"full_capacity_on": DAY, "expected_output": Decimal("800000")},
}

# The label a missing fact is reported under, by field (lazy: read in the test's language).
_LABELS = {req.field: req.label for reqs in STAGE_REQUIREMENTS.values() for req in reqs}


def label(field: str) -> str:
    return str(_LABELS[field])


def facts_for(stage: str) -> dict[str, Any]:
    """Every fact needed to enter ``stage``, and nothing more."""
    facts: dict[str, Any] = {}
    for s in PIPELINE[: PIPELINE.index(stage) + 1]:
        facts.update(GOOD[s])
    return facts


def labels(items: list[Any]) -> list[str]:
    return [str(x) for x in items]


def move(
    current: str, target: str, facts: dict[str, Any] | None = None, reason: str = "", resume: str | None = None
) -> list[str]:
    check = check_move(current=current, target=target, facts=facts or {}, reason=reason, resume_stage=resume)
    assert check.allowed == (not check.errors)
    return [str(e) for e in check.errors]


def test_every_pipeline_stage_has_its_requirements() -> None:
    assert set(STAGE_REQUIREMENTS) == set(PIPELINE)
    assert set(GOOD) == set(PIPELINE)
    for stage, reqs in STAGE_REQUIREMENTS.items():
        assert {r.field for r in reqs} == set(GOOD[stage]), stage


@pytest.mark.parametrize("stage", PIPELINE)
def test_each_stage_is_entered_with_its_facts_and_those_before(stage: str) -> None:
    assert missing_facts(facts_for(stage), stage) == []


@pytest.mark.parametrize("stage", PIPELINE)
def test_each_required_fact_of_a_stage_is_reported_when_missing(stage: str) -> None:
    for field in GOOD[stage]:
        facts = facts_for(stage)
        del facts[field]
        assert labels(missing_facts(facts, stage)) == [label(field)], (stage, field)
        facts[field] = ""
        assert labels(missing_facts(facts, stage)) == [label(field)], (stage, field)


def test_missing_facts_are_cumulative() -> None:
    facts = {"investor": "三六零集团"}
    expected = [label(f) for s in PIPELINE[1 : PIPELINE.index(SIGNED) + 1] for f in GOOD[s]]
    assert labels(missing_facts(facts, SIGNED)) == expected
    assert len(missing_facts({}, FULL_CAPACITY)) == sum(len(v) for v in GOOD.values())


def test_amounts_must_be_positive() -> None:
    facts = facts_for(SIGNED)
    facts["planned_investment"] = Decimal("0")
    facts["contracted_investment"] = Decimal("-1")
    assert labels(missing_facts(facts, SIGNED)) == [label("planned_investment"), label("contracted_investment")]
    land = facts_for(LAND_ACQUIRED) | {"land_mu": Decimal("0")}
    assert labels(missing_facts(land, LAND_ACQUIRED)) == [label("land_mu")]


def test_side_states_have_no_required_facts() -> None:
    assert missing_facts({}, ON_HOLD) == []
    assert missing_facts({}, DROPPED) == []


def test_one_step_forward_with_the_facts_is_allowed() -> None:
    for current, target in itertools.pairwise(PIPELINE):
        assert move(current, target, facts_for(target)) == [], target


def test_a_forward_jump_needs_every_skipped_stage_s_facts() -> None:
    facts = facts_for(CONTACTED)
    facts.update(GOOD[SIGNED])  # the signing facts alone are not enough
    errors = move(LEAD, SIGNED, facts)
    assert errors == [f"Missing: {label(f)}" for f in (*GOOD[NEGOTIATING], *GOOD[REVIEW])]
    assert move(LEAD, SIGNED, facts_for(SIGNED)) == []


def test_moving_back_needs_a_reason() -> None:
    assert move(SIGNED, NEGOTIATING, facts_for(SIGNED)) == ["Moving a project back needs a reason."]
    assert move(SIGNED, NEGOTIATING, facts_for(SIGNED), reason="   ") == ["Moving a project back needs a reason."]
    assert move(SIGNED, NEGOTIATING, facts_for(SIGNED), reason="合同被撤回") == []


def test_hold_and_drop_need_a_reason() -> None:
    for side in (ON_HOLD, DROPPED):
        assert move(NEGOTIATING, side) == ["A reason is required to put a project on hold or drop it."]
        assert move(NEGOTIATING, side, reason="企业暂停扩张") == []


def test_hold_and_drop_only_from_open_stages() -> None:
    assert move(FULL_CAPACITY, ON_HOLD, reason="x") == ["Only an open project can be put on hold or dropped."]
    assert move(FULL_CAPACITY, DROPPED, reason="") == [
        "Only an open project can be put on hold or dropped.",
        "A reason is required to put a project on hold or drop it.",
    ]
    assert move(ON_HOLD, DROPPED, reason="企业放弃") == []
    for stage in PIPELINE[:-1]:
        assert move(stage, ON_HOLD, reason="x") == [], stage


def test_resume_from_hold_only_to_the_held_stage_or_earlier() -> None:
    facts = facts_for(FULL_CAPACITY)
    assert move(ON_HOLD, REVIEW, facts, resume=REVIEW) == []
    assert move(ON_HOLD, CONTACTED, facts, resume=REVIEW) == []
    assert move(ON_HOLD, SIGNED, facts, resume=REVIEW) == [
        "A project on hold resumes at the stage it was held at or an earlier one."
    ]


def test_resuming_still_needs_the_facts() -> None:
    assert move(ON_HOLD, NEGOTIATING, facts_for(CONTACTED), resume=NEGOTIATING) == [
        f"Missing: {label(f)}" for f in GOOD[NEGOTIATING]
    ]


def test_dropped_is_final() -> None:
    for target in (*PIPELINE, ON_HOLD):
        assert move(DROPPED, target, facts_for(FULL_CAPACITY), reason="重新启动") == [
            "A dropped project cannot be moved; create a new project instead."
        ]


def test_same_stage_and_unknown_stage_are_refused() -> None:
    assert move(REVIEW, REVIEW, facts_for(REVIEW)) == ["The project is already at this stage."]
    assert move(REVIEW, "teleported", facts_for(REVIEW)) == ["Unknown stage."]


def test_all_reasons_are_listed_together() -> None:
    errors = move(SIGNED, NEGOTIATING, {})
    assert errors[0] == "Moving a project back needs a reason."
    assert len(errors) == 1 + len(missing_facts({}, NEGOTIATING))


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        (None, 0),
        (Decimal("0"), 0),
        (Decimal("9999.99"), 0),
        (Decimal("10000"), 1),
        (Decimal("99999.99"), 1),
        (Decimal("100000"), 2),
        (Decimal("499999.99"), 2),
        (Decimal("500000"), 3),
        (Decimal("999999.99"), 3),
        (Decimal("1000000"), 4),
        (Decimal("25000000"), 4),
    ],
)
def test_priority_bands_at_exact_boundaries(amount: Decimal | None, band: int) -> None:
    assert priority_band(amount) == band


def test_every_band_has_a_label() -> None:
    assert set(rules.BAND_LABELS) == {1, 2, 3, 4}


def test_credit_shares_adding_up_to_exactly_100_pass() -> None:
    assert credit_share_errors([(1, "first_contact", Decimal("100"))]) == []
    assert (
        credit_share_errors(
            [
                (1, "first_contact", Decimal("33.33")),
                (2, "referral", Decimal("33.33")),
                (3, "landing_service", Decimal("33.34")),
            ]
        )
        == []
    )
    # The same unit may earn credit in two roles.
    assert credit_share_errors([(1, "first_contact", Decimal("50")), (1, "landing_service", Decimal("50"))]) == []
    assert credit_share_errors([]) == []


@pytest.mark.parametrize(
    "shares",
    [
        [(1, "first_contact", Decimal("99.99"))],
        [(1, "first_contact", Decimal("60")), (2, "referral", Decimal("40.01"))],
        [
            (1, "first_contact", Decimal("33.33")),
            (2, "referral", Decimal("33.33")),
            (3, "landing_service", Decimal("33.33")),
        ],
    ],
)
def test_credit_shares_not_adding_up_to_100_fail_with_the_total(shares: list[Any]) -> None:
    total = sum(s for _, _, s in shares)
    assert labels(credit_share_errors(shares)) == [f"Credit shares add up to {total} %, not 100 %."]


def test_a_unit_twice_in_the_same_role_fails() -> None:
    errors = labels(credit_share_errors([(1, "referral", Decimal("50")), (1, "referral", Decimal("50"))]))
    assert errors == ["A unit appears twice with the same role."]


@pytest.mark.parametrize("share", [Decimal("0"), Decimal("-10"), None])
def test_non_positive_shares_fail(share: Decimal | None) -> None:
    errors = labels(credit_share_errors([(1, "first_contact", Decimal("100")), (2, "referral", share)]))
    assert errors == ["Each credit share must be more than 0 %."]


def test_rules_import_no_model_and_no_database() -> None:
    tree = ast.parse(inspect.getsource(rules))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert not [m for m in imported if m and (m.startswith("django.db") or m.endswith("models"))]
