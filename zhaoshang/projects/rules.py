"""Pure rules of the project pipeline: stages, moves, required facts, bands, credit shares.

Imports no model and runs no query.  The services load a project's facts into a plain
mapping and ask these functions what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

# The pipeline, in order.  Side states ON_HOLD and DROPPED may be entered from any open stage.
LEAD = "lead"
CONTACTED = "contacted"
NEGOTIATING = "negotiating"
REVIEW = "review"
SIGNED = "signed"
REGISTERED = "registered"
LAND_ACQUIRED = "land_acquired"
CONSTRUCTION = "construction_started"
IN_PRODUCTION = "in_production"
FULL_CAPACITY = "full_capacity"
ON_HOLD = "on_hold"
DROPPED = "dropped"

PIPELINE: tuple[str, ...] = (
    LEAD,
    CONTACTED,
    NEGOTIATING,
    REVIEW,
    SIGNED,
    REGISTERED,
    LAND_ACQUIRED,
    CONSTRUCTION,
    IN_PRODUCTION,
    FULL_CAPACITY,
)
SIDE_STATES: tuple[str, ...] = (ON_HOLD, DROPPED)
ALL_STAGES: tuple[str, ...] = PIPELINE + SIDE_STATES
OPEN_STAGES: tuple[str, ...] = PIPELINE[:-1]  # at full capacity the pipeline is complete
LANDED_STAGES: tuple[str, ...] = PIPELINE[PIPELINE.index(REGISTERED) :]

STAGE_LABELS = {
    LEAD: _("lead"),
    CONTACTED: _("contacted"),
    NEGOTIATING: _("negotiating"),
    REVIEW: _("review"),
    SIGNED: _("signed"),
    REGISTERED: _("registered"),
    LAND_ACQUIRED: _("land acquired"),
    CONSTRUCTION: _("construction started"),
    IN_PRODUCTION: _("in production"),
    FULL_CAPACITY: _("at full capacity"),
    ON_HOLD: _("on hold"),
    DROPPED: _("dropped"),
}


@dataclass(frozen=True)
class Requirement:
    """A fact a project must have before it may enter a stage."""

    field: str
    label: Any
    check: Callable[[Any], bool]


def _present(v: Any) -> bool:
    return v not in (None, "", [])


def _positive(v: Any) -> bool:
    # Blank or non-numeric input (a form or sheet cell) counts as missing, not as a crash.
    if v is None or isinstance(v, bool):
        return False
    try:
        number = v if isinstance(v, Decimal) else Decimal(str(v).strip())
    except (InvalidOperation, ValueError):
        return False
    return number.is_finite() and number > 0


# Facts required to ENTER each stage.  Entering a later stage requires the facts of every
# stage up to it, so a jump from lead to signed is checked as fully as the slow way.
# Later mechanisms (screening, evaluation) add gates in their own modules.
STAGE_REQUIREMENTS: dict[str, tuple[Requirement, ...]] = {
    LEAD: (Requirement("investor", _("enterprise or investor name"), _present),),
    CONTACTED: (Requirement("source", _("lead source"), _present),),
    NEGOTIATING: (
        Requirement("planned_investment", _("planned total investment"), _positive),
        Requirement("industry_id", _("industry"), _present),
    ),
    REVIEW: (Requirement("promotion_method", _("promotion method"), _present),),
    SIGNED: (
        Requirement("contracted_investment", _("contracted investment"), _positive),
        Requirement("signed_on", _("signing date"), _present),
    ),
    REGISTERED: (
        Requirement("enterprise_id", _("registered enterprise in the registry"), _present),
        Requirement("registered_on", _("registration date"), _present),
    ),
    LAND_ACQUIRED: (
        Requirement("land_mu", _("land (mu)"), _positive),
        Requirement("land_acquired_on", _("land acquisition date"), _present),
    ),
    CONSTRUCTION: (Requirement("construction_started_on", _("construction start date"), _present),),
    IN_PRODUCTION: (Requirement("production_started_on", _("production start date"), _present),),
    FULL_CAPACITY: (
        Requirement("full_capacity_on", _("full capacity date"), _present),
        Requirement("expected_output", _("expected yearly output"), _positive),
    ),
}


def missing_facts(facts: Mapping[str, Any], target: str) -> list[Any]:
    """Labels of the facts ``facts`` lacks for entering ``target`` (cumulative)."""
    if target not in PIPELINE:
        return []
    missing = []
    for stage in PIPELINE[: PIPELINE.index(target) + 1]:
        for req in STAGE_REQUIREMENTS.get(stage, ()):
            if not req.check(facts.get(req.field)):
                missing.append(req.label)
    return missing


@dataclass(frozen=True)
class MoveCheck:
    allowed: bool
    errors: tuple[Any, ...] = ()


def check_move(
    *, current: str, target: str, facts: Mapping[str, Any], reason: str, resume_stage: str | None
) -> MoveCheck:
    """Whether a project at ``current`` may move to ``target``.

    - forward along the pipeline, any number of stages, with the target's facts;
    - back one or more stages (a correction) only with a reason;
    - to on hold or dropped from an open stage, with a reason;
    - from on hold back to the stage it was held at (or earlier), with the facts;
    - nothing leaves dropped.
    """
    errors: list[Any] = []
    if target not in ALL_STAGES:
        return MoveCheck(False, (_("Unknown stage."),))
    if target == current:
        return MoveCheck(False, (_("The project is already at this stage."),))
    if current == DROPPED:
        return MoveCheck(False, (_("A dropped project cannot be moved; create a new project instead."),))
    if target in SIDE_STATES:
        if current not in OPEN_STAGES and current != ON_HOLD:
            errors.append(_("Only an open project can be put on hold or dropped."))
        if not reason.strip():
            errors.append(_("A reason is required to put a project on hold or drop it."))
        return MoveCheck(not errors, tuple(errors))
    if current == ON_HOLD:
        if resume_stage and PIPELINE.index(target) > PIPELINE.index(resume_stage):
            errors.append(_("A project on hold resumes at the stage it was held at or an earlier one."))
    elif PIPELINE.index(target) < PIPELINE.index(current) and not reason.strip():
        errors.append(_("Moving a project back needs a reason."))
    errors.extend(_("Missing: %(fact)s") % {"fact": label} for label in missing_facts(facts, target))
    return MoveCheck(not errors, tuple(errors))


# Priority bands by planned total investment, in 万元: ≥1亿, ≥10亿, ≥50亿, ≥100亿.
PRIORITY_BANDS: tuple[tuple[int, Decimal, Any], ...] = (
    (4, Decimal("1000000"), _("≥ 10 bn CNY")),
    (3, Decimal("500000"), _("≥ 5 bn CNY")),
    (2, Decimal("100000"), _("≥ 1 bn CNY")),
    (1, Decimal("10000"), _("≥ 100 m CNY")),
)
BAND_LABELS = {band: label for band, _floor, label in PRIORITY_BANDS}


def priority_band(planned_investment_wan: Decimal | None) -> int:
    """0 below 1亿; 1 for ≥1亿, 2 for ≥10亿, 3 for ≥50亿, 4 for ≥100亿."""
    if planned_investment_wan is None:
        return 0
    for band, floor, _label in PRIORITY_BANDS:
        if planned_investment_wan >= floor:
            return band
    return 0


HUNDRED = Decimal("100")


def credit_share_errors(shares: Iterable[tuple[Any, str, Decimal | None]]) -> list[Any]:
    """Credit shares (unit, role, percent) must be positive, unique per unit and role,
    and add up to exactly 100 %."""
    rows = list(shares)
    if not rows:
        return []
    errors: list[Any] = []
    seen: set[tuple[Any, str]] = set()
    total = Decimal("0")
    for unit, role, share in rows:
        if share is None or share <= 0:
            errors.append(_("Each credit share must be more than 0 %."))
            continue
        if (unit, role) in seen:
            errors.append(_("A unit appears twice with the same role."))
        seen.add((unit, role))
        total += share
    if not errors and total != HUNDRED:
        errors.append(_("Credit shares add up to %(total)s %%, not 100 %%.") % {"total": total})
    return errors


# -- the one validation and the one transition, for the form, the import and the service -----


def normalise(values: dict[str, Any]) -> None:
    """Normalise a project's plain values in place, as every write path stores them: names
    stripped, the priority band derived from the planned investment."""
    for key in ("name", "investor_name"):
        if key in values:
            values[key] = (values[key] or "").strip()
    values["priority_band"] = priority_band(values.get("planned_investment"))


def project_errors(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Every rule a project's plain values (attnames: ``enterprise_id``, ``fx_rate``…) break,
    as (field, message): who invests, and foreign capital with its rate and date."""
    errors: list[tuple[str, Any]] = []
    if not values.get("enterprise_id") and not (values.get("investor_name") or "").strip():
        errors.append(("investor_name", _("Choose an enterprise from the registry or enter the investor's name.")))
    rate = values.get("fx_rate")
    if values.get("foreign_capital_usd") is not None and (rate is None or values.get("fx_date") is None):
        errors.append(("fx_rate", _("Foreign capital needs the exchange rate and its date.")))
    if rate is not None and not _positive(rate):
        errors.append(("fx_rate", _("The exchange rate must be more than 0.")))
    return errors


def stage_kept(stage: str, held_at_stage: str) -> str | None:
    """The pipeline stage whose facts a project must keep: its stage, or the one it was held
    at while on hold; None for a dropped project."""
    if stage in PIPELINE:
        return stage
    if stage == ON_HOLD and held_at_stage in PIPELINE:
        return held_at_stage
    return None


def kept_facts_errors(facts: Mapping[str, Any], stage: str, held_at_stage: str) -> list[Any]:
    """An edit may not remove a fact the project's stage depends on: the message, or nothing."""
    kept = stage_kept(stage, held_at_stage)
    missing = missing_facts(facts, kept) if kept else []
    if not missing:
        return []
    return [
        _("The project is at stage %(stage)s, which needs: %(facts)s.")
        % {"stage": STAGE_LABELS[kept], "facts": "、".join(str(m) for m in missing)}  # type: ignore[index]
    ]


def move_effects(*, current: str, target: str, reason: str) -> dict[str, str]:
    """What a move changes besides the stage: entering on hold remembers the stage it was held
    at, leaving it forgets it; a side state keeps its reason, leaving one clears it."""
    effects = {"stage": target}
    if target == ON_HOLD:
        effects["held_at_stage"] = current
    elif current == ON_HOLD:
        effects["held_at_stage"] = ""
    if target in SIDE_STATES:
        effects["side_reason"] = reason.strip()
    elif current in SIDE_STATES:
        effects["side_reason"] = ""
    return effects
