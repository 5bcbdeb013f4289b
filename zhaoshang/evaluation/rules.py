"""Pure rules of the comprehensive evaluation: a scoring scheme and the score of one project.

Imports no model and runs no query.  A scheme version's stored JSON is parsed into a
``SchemeSpec`` once (``spec_from_data``, which also says what is wrong with it); ``score``
then rates a plain mapping of facts, so that a batch of 100,000 projects is plain Python.

Every indicator is a weighted sum of criteria, each scored 0-100 by one method:

- ``threshold``: 100 when the fact is at least ``at_least`` (a yes/no fact counts 1 for yes), else 0;
- ``linear``: 0 at or below ``low``, 100 at or above ``high``, a straight line between;
- ``bands``: the value of the highest band whose lower bound the fact reaches (0 below the first);
- ``levels``: a value per coded answer (funding readiness, specialised-SME level, chain fit).

A criterion's bounds may be written as multiples of one of the zone's floors
(``per_floor``), so that changing the floor moves the scoring with it.  Vetoes force grade
D whatever the score; hard thresholds cap the grade (intensity below the floor cannot be A).
A missing fact scores 0 and is listed as missing.  Results are Decimal, rounded to 2 places,
and language-free (keys and numbers): the pages turn them into sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
METHODS: tuple[str, ...] = ("threshold", "linear", "bands", "levels")
COMBINE: tuple[str, ...] = ("sum", "max")

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")

# Facts a scheme may score, with the label the pages show.  The services read exactly these
# (project facts, the enterprise's strength, the chain fit and the two per-亩 ratios).
FACT_LABELS: dict[str, Any] = {
    "planned_investment": _("planned total investment (10k CNY)"),
    "fixed_asset_investment": _("fixed-asset investment (10k CNY)"),
    "land_mu": _("land (mu)"),
    "investment_intensity": _("investment intensity (10k CNY per mu)"),
    "tax_per_mu": _("expected tax per mu (10k CNY per mu)"),
    "expected_output": _("expected yearly output (10k CNY)"),
    "expected_tax": _("expected yearly tax (10k CNY)"),
    "expected_jobs": _("expected jobs"),
    "is_fortune500": _("Fortune Global 500"),
    "is_china500": _("China 500"),
    "is_private500": _("China private 500"),
    "is_listed": _("listed company"),
    "is_unicorn": _("unicorn"),
    "is_industry_leader": _("industry leader"),
    "sme_level": _("specialised SME level"),
    "revenue": _("enterprise's annual revenue (10k CNY)"),
    "chain_fit": _("fit with the zone's industry chains"),
    "rd_share": _("R&D spending share (%)"),
    "patents": _("patents held"),
    "high_tech": _("high-tech enterprise"),
    "funding_status": _("funding readiness"),
    "dishonest_party": _("on the dishonest-party list"),
    "unresolved_penalties": _("unresolved environmental or safety penalties"),
    "illegal_land_use": _("illegal land use on record"),
}
FACTS: frozenset[str] = frozenset(FACT_LABELS)

# The zone's floors a scheme carries (万元/亩), by the fact they bound.
FLOOR_LABELS: dict[str, Any] = {
    "investment_intensity": _("investment intensity floor (10k CNY per mu)"),
    "tax_per_mu": _("expected tax per mu floor (10k CNY per mu)"),
}

# Values of coded facts, for sentences (levels criteria and hints).
LEVEL_LABELS: dict[str, dict[str, Any]] = {
    "funding_status": {
        "secured": _("funds in place"),
        "committed": _("financing committed"),
        "partial": _("partly arranged"),
        "unsecured": _("not yet arranged"),
    },
    "sme_level": {
        "national": _("national little giant"),
        "provincial": _("provincial specialised SME"),
        "municipal": _("municipal specialised SME"),
        "none": _("none"),
    },
    "chain_fit": {
        "node": _("on a node of a zone chain"),
        "industry": _("industry among a zone chain's industries"),
        "none": _("outside the zone's chains"),
    },
}


class SchemeError(ValueError):
    """The scheme's data cannot be used; ``errors`` lists every problem, for the user."""

    def __init__(self, errors: Sequence[Any]) -> None:
        self.errors = [str(e) for e in errors]
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class Criterion:
    """One fact scored 0-100 by one method; ``scale`` is how much of the indicator it gives."""

    fact: str
    method: str
    at_least: Decimal | None = None
    low: Decimal | None = None
    high: Decimal | None = None
    bands: tuple[tuple[Decimal, Decimal], ...] = ()
    levels: tuple[tuple[str, Decimal], ...] = ()
    scale: Decimal = HUNDRED
    per_floor: str = ""
    hint: bool = True  # whether "what would change the grade" may suggest raising this fact

    @property
    def factor(self) -> Decimal | None:
        """scale / 100, or None at 100 (the common case, skipped in the hot loop)."""
        return None if self.scale == HUNDRED else self.scale / HUNDRED

    def value(self, fact: Any) -> Decimal:
        """The criterion's value 0-100 for a present fact."""
        method = self.method
        if method == "levels":
            key = fact if type(fact) is str else str(fact)
            for code, value in self.levels:
                if code == key:
                    return value
            return ZERO
        number = fact if type(fact) is Decimal else _number(fact)
        if number is None:
            return ZERO
        if method == "linear":
            low, high = self.low, self.high
            assert low is not None and high is not None
            if number <= low:
                return ZERO
            if number >= high:
                return HUNDRED
            return (number - low) * HUNDRED / (high - low)
        if method == "threshold":
            assert self.at_least is not None
            return HUNDRED if number >= self.at_least else ZERO
        best = ZERO
        for bound, value in self.bands:
            if number >= bound:
                best = value
            else:
                break
        return best


@dataclass(frozen=True)
class Indicator:
    key: str
    name_zh: str
    name_en: str
    weight: Decimal
    criteria: tuple[Criterion, ...]
    combine: str = "sum"
    plan: tuple[tuple[str, Criterion, Decimal | None], ...] = field(default=(), compare=False, repr=False)

    def points(self, normalised: Decimal) -> Decimal:
        return (self.weight * normalised / HUNDRED).quantize(CENT, ROUND_HALF_UP)

    def __post_init__(self) -> None:
        # (fact, criterion, scale factor) once, for the hot loop of a batch.
        object.__setattr__(self, "plan", tuple((c.fact, c, c.factor) for c in self.criteria))


@dataclass(frozen=True)
class Veto:
    """A compliance fact that forces grade D when true."""

    key: str
    fact: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class HardThreshold:
    """A fact below ``minimum`` caps the grade at ``max_grade``."""

    key: str
    fact: str
    minimum: Decimal
    max_grade: str
    floor: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class SchemeSpec:
    indicators: tuple[Indicator, ...]
    vetoes: tuple[Veto, ...] = ()
    thresholds: tuple[HardThreshold, ...] = ()
    floors: Mapping[str, Decimal] = field(default_factory=dict)
    grade_bounds: tuple[Decimal, Decimal, Decimal] = (Decimal("85"), Decimal("70"), Decimal("55"))
    # Which indicators read a fact, to rescore only those when a hint changes one fact.
    by_fact: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def grade_for(self, total: Decimal) -> str:
        a, b, c = self.grade_bounds
        if total >= a:
            return "A"
        if total >= b:
            return "B"
        if total >= c:
            return "C"
        return "D"

    def bound_of(self, grade: str) -> Decimal:
        return dict(zip("ABC", self.grade_bounds, strict=True))[grade]


@dataclass(slots=True)
class Contribution:
    key: str
    points: Decimal
    value: Decimal  # normalised 0-100
    weight: Decimal
    missing: tuple[str, ...] = ()


@dataclass(slots=True)
class Cap:
    key: str
    fact: str
    value: Decimal
    minimum: Decimal
    max_grade: str


@dataclass(slots=True)
class Hint:
    """What would change the grade: clear a veto, lift a cap, or raise a fact."""

    kind: str  # "veto" | "cap" | "raise"
    key: str  # veto, threshold or indicator key
    fact: str
    current: Any
    target: Any
    gain: Decimal
    grade: str  # the grade reached with this change alone

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "fact": self.fact,
            "current": _plain(self.current),
            "target": _plain(self.target),
            "gain": str(self.gain),
            "grade": self.grade,
        }


@dataclass(slots=True)
class ScoreResult:
    total: Decimal
    grade: str
    points_grade: str  # the grade by points alone, before vetoes and caps
    contributions: tuple[Contribution, ...]
    vetoes: tuple[str, ...]
    caps: tuple[Cap, ...]
    missing: tuple[str, ...]
    hints: tuple[Hint, ...] = ()

    def contributions_json(self) -> dict[str, Any]:
        return {
            c.key: {"points": str(c.points), "value": str(c.value), "weight": str(c.weight), "missing": list(c.missing)}
            for c in self.contributions
        }

    def caps_json(self) -> list[dict[str, Any]]:
        return [
            {"key": c.key, "fact": c.fact, "value": str(c.value), "minimum": str(c.minimum), "max_grade": c.max_grade}
            for c in self.caps
        ]

    def hints_json(self) -> list[dict[str, Any]]:
        return [h.as_json() for h in self.hints]


# -- facts --------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    kind = type(value)
    if kind is Decimal:
        return value  # type: ignore[no-any-return]
    if value is None or value == "":
        return None
    if kind is bool:
        return Decimal(1) if value else ZERO
    if kind is int:
        return Decimal(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def per_mu(amount: Any, land: Any) -> Decimal | None:
    """An amount per 亩 (万元/亩), 2 places; None when either is unknown or land is 0."""
    a, m = _number(amount), _number(land)
    if a is None or m is None or m <= 0:
        return None
    return (a / m).quantize(CENT, ROUND_HALF_UP)


def derive_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Add the per-亩 ratios to a project's facts (in place, and returned)."""
    land = facts.get("land_mu")
    facts["investment_intensity"] = per_mu(facts.get("fixed_asset_investment"), land)
    facts["tax_per_mu"] = per_mu(facts.get("expected_tax"), land)
    return facts


def chain_fit(chain_node_id: Any, industry_code: str | None, chain_prefixes: Iterable[str]) -> str | None:
    """``node`` when the project is placed on a chain node, ``industry`` when its industry
    code falls under a node's industry prefixes, ``none`` otherwise; None when the project
    has neither a node nor an industry (unknown)."""
    if chain_node_id:
        return "node"
    if not industry_code:
        return None
    code = str(industry_code)
    return "industry" if any(code.startswith(p) for p in chain_prefixes if p) else "none"


# -- the scheme's data -----------------------------------------------------------------------


def _dec(value: Any, where: str, errors: list[Any]) -> Decimal | None:
    number = _number(value) if not isinstance(value, bool) else None
    if number is None:
        errors.append(_("%(where)s: “%(value)s” is not a number.") % {"where": where, "value": value})
    return number


def _entries(value: Any, where: str, errors: list[Any]) -> list[Mapping[str, Any]]:
    """The entries of a list of sets of fields (criteria, vetoes, thresholds), each malformed
    part named in ``errors``: typed by hand in the scheme editor, it may be any JSON."""
    if value in (None, "", (), []):
        return []
    if not isinstance(value, list | tuple):
        errors.append(_("%(where)s: a list [ … ] is expected.") % {"where": where})
        return []
    good = [v for v in value if isinstance(v, Mapping)]
    if len(good) != len(value):
        errors.append(_("%(where)s: each entry of the list is a set of fields { … }.") % {"where": where})
    return good


def _names(item: Mapping[str, Any]) -> tuple[str, str]:
    name = item.get("name") or {}
    if isinstance(name, str):
        return name, name
    if not isinstance(name, Mapping):
        key = str(item.get("key") or "")
        return key, key
    zh = str(name.get("zh-hans") or name.get("zh") or item.get("key") or "")
    en = str(name.get("en") or zh)
    return zh, en


def _criterion(data: Mapping[str, Any], where: str, floors: Mapping[str, Decimal], errors: list[Any]) -> Criterion:
    fact = str(data.get("fact") or "")
    method = str(data.get("method") or "")
    if fact not in FACTS:
        errors.append(_("%(where)s: unknown fact “%(fact)s”.") % {"where": where, "fact": fact})
    if method not in METHODS:
        errors.append(_("%(where)s: unknown scoring method “%(method)s”.") % {"where": where, "method": method})
    per_floor = str(data.get("per_floor") or "")
    factor = Decimal(1)
    if per_floor:
        if per_floor not in floors:
            errors.append(_("%(where)s: unknown floor “%(floor)s”.") % {"where": where, "floor": per_floor})
        else:
            factor = floors[per_floor]
    scale = _dec(data.get("scale", 100), where, errors) or ZERO
    if not ZERO < scale <= HUNDRED:
        errors.append(_("%(where)s: a criterion's share must be more than 0 and at most 100.") % {"where": where})
    kwargs: dict[str, Any] = {}
    if method == "threshold":
        at_least = _dec(data.get("at_least", 1), where, errors)
        kwargs["at_least"] = (at_least if at_least is not None else ZERO) * factor
    elif method == "linear":
        low = _dec(data.get("low"), where, errors)
        high = _dec(data.get("high"), where, errors)
        if low is not None and high is not None and low >= high:
            errors.append(_("%(where)s: the lower bound must be below the upper bound.") % {"where": where})
        kwargs["low"] = (low if low is not None else ZERO) * factor
        kwargs["high"] = (high if high is not None else HUNDRED) * factor
    elif method == "bands":
        bands: list[tuple[Decimal, Decimal]] = []
        raw_bands = data.get("bands") or ()
        if not isinstance(raw_bands, list | tuple):
            errors.append(_("%(where)s: each band is [lower bound, value].") % {"where": where})
            raw_bands = ()
        for pair in raw_bands:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                errors.append(_("%(where)s: each band is [lower bound, value].") % {"where": where})
                continue
            bound, value = _dec(pair[0], where, errors), _dec(pair[1], where, errors)
            if bound is None or value is None:
                continue
            if not ZERO <= value <= HUNDRED:
                errors.append(_("%(where)s: a band's value must be between 0 and 100.") % {"where": where})
            bands.append((bound * factor, value))
        if not bands:
            errors.append(_("%(where)s: bands need at least one [lower bound, value].") % {"where": where})
        if [b for b, _v in bands] != sorted({b for b, _v in bands}):
            errors.append(_("%(where)s: band bounds must increase.") % {"where": where})
        kwargs["bands"] = tuple(bands)
    elif method == "levels":
        levels: list[tuple[str, Decimal]] = []
        raw = data.get("levels") or {}
        for code, value in raw.items() if isinstance(raw, Mapping) else ():
            number = _dec(value, where, errors)
            if number is None:
                continue
            if not ZERO <= number <= HUNDRED:
                errors.append(_("%(where)s: a level's value must be between 0 and 100.") % {"where": where})
            levels.append((str(code), number))
        if not levels:
            errors.append(_("%(where)s: levels need at least one answer with its value.") % {"where": where})
        kwargs["levels"] = tuple(sorted(levels, key=lambda lv: lv[1]))
    return Criterion(
        fact=fact, method=method, scale=scale, per_floor=per_floor, hint=bool(data.get("hint", True)), **kwargs
    )


def spec_from_data(
    *,
    indicators: Any,
    vetoes: Any = (),
    thresholds: Any = (),
    floors: Mapping[str, Any] | None = None,
    grade_bounds: Sequence[Any] = ("85", "70", "55"),
) -> SchemeSpec:
    """Parse a scheme version's stored data; raise ``SchemeError`` listing every problem:
    weights must add up to 100, grade bounds must fall A > B > C within 0-100, every
    criterion must name a known fact and method with sensible parameters."""
    errors: list[Any] = []
    parsed_floors: dict[str, Decimal] = {}
    for key, value in (floors or {}).items():
        label = FLOOR_LABELS.get(key, key)
        number = _dec(value, str(label), errors)
        if number is not None:
            if number <= 0:
                errors.append(_("%(floor)s must be more than 0.") % {"floor": label})
            parsed_floors[key] = number
    bounds = [_dec(b, str(_("grade bounds")), errors) for b in grade_bounds]
    if len(bounds) != 3 or any(b is None for b in bounds):
        errors.append(_("Give the lower bounds of grades A, B and C."))
        bounds = [Decimal("85"), Decimal("70"), Decimal("55")]
    a, b, c = (x or ZERO for x in bounds)
    if not (HUNDRED >= a > b > c > ZERO):
        errors.append(
            _("Grade bounds must be ordered: 100 ≥ A > B > C > 0 (got %(a)s, %(b)s, %(c)s).") % {"a": a, "b": b, "c": c}
        )

    parsed: list[Indicator] = []
    keys: set[str] = set()
    total_weight = ZERO
    if not isinstance(indicators, list | tuple) or not indicators:
        errors.append(_("A scheme needs at least one indicator."))
        indicators = []
    for i, item in enumerate(indicators, start=1):
        if not isinstance(item, Mapping):
            errors.append(_("Indicator %(n)s is not a set of fields.") % {"n": i})
            continue
        key = str(item.get("key") or "")
        zh, en = _names(item)
        where = zh or key or str(i)
        if not key:
            errors.append(_("Indicator %(n)s has no key.") % {"n": i})
        elif key in keys:
            errors.append(_("Indicator “%(key)s” appears twice.") % {"key": key})
        keys.add(key)
        weight = _dec(item.get("weight"), where, errors)
        if weight is not None:
            if weight < 0:
                errors.append(_("%(where)s: a weight cannot be negative.") % {"where": where})
            total_weight += weight
        combine = str(item.get("combine") or "sum")
        if combine not in COMBINE:
            errors.append(_("%(where)s: criteria combine by “sum” or “max”.") % {"where": where})
        criteria_data = _entries(item.get("criteria"), where, errors)
        if not criteria_data:
            errors.append(_("%(where)s: an indicator needs at least one criterion.") % {"where": where})
        criteria = tuple(_criterion(c, where, parsed_floors, errors) for c in criteria_data)
        parsed.append(Indicator(key, zh, en, weight or ZERO, criteria, combine))
    if parsed and total_weight != HUNDRED:
        errors.append(_("The weights add up to %(total)s, not 100.") % {"total": total_weight})

    parsed_vetoes: list[Veto] = []
    for item in _entries(vetoes, str(_("vetoes")), errors):
        fact = str(item.get("fact") or "")
        zh, en = _names(item)
        if fact not in FACTS:
            errors.append(_("Veto “%(name)s”: unknown fact “%(fact)s”.") % {"name": zh, "fact": fact})
        parsed_vetoes.append(Veto(str(item.get("key") or fact), fact, zh, en))

    parsed_thresholds: list[HardThreshold] = []
    for item in _entries(thresholds, str(_("hard thresholds")), errors):
        fact = str(item.get("fact") or "")
        zh, en = _names(item)
        if fact not in FACTS:
            errors.append(_("Hard threshold “%(name)s”: unknown fact “%(fact)s”.") % {"name": zh, "fact": fact})
        max_grade = str(item.get("max_grade") or "")
        if max_grade not in GRADES:
            errors.append(_("Hard threshold “%(name)s”: the grade cap must be A, B, C or D.") % {"name": zh})
        floor = str(item.get("floor") or "")
        minimum: Decimal | None
        if floor:
            minimum = parsed_floors.get(floor)
            if minimum is None:
                errors.append(_("Hard threshold “%(name)s”: unknown floor “%(floor)s”.") % {"name": zh, "floor": floor})
        else:
            minimum = _dec(item.get("minimum"), zh, errors)
        parsed_thresholds.append(
            HardThreshold(str(item.get("key") or fact), fact, minimum or ZERO, max_grade, floor, zh, en)
        )
    if errors:
        raise SchemeError(errors)
    by_fact: dict[str, list[int]] = {}
    for index, indicator in enumerate(parsed):
        for criterion in indicator.criteria:
            if index not in by_fact.setdefault(criterion.fact, []):
                by_fact[criterion.fact].append(index)
    return SchemeSpec(
        indicators=tuple(parsed),
        vetoes=tuple(parsed_vetoes),
        thresholds=tuple(parsed_thresholds),
        floors=parsed_floors,
        grade_bounds=(a, b, c),
        by_fact={k: tuple(v) for k, v in by_fact.items()},
    )


# -- scoring ---------------------------------------------------------------------------------


def _worse(a: str, b: str) -> str:
    return a if GRADES.index(a) >= GRADES.index(b) else b


def _indicator(
    indicator: Indicator, facts: Mapping[str, Any], changed: str = "", to: Any = None
) -> tuple[Decimal, Decimal, tuple[str, ...]]:
    """(normalised value 0-100, points, missing facts) of one indicator, with the fact
    ``changed`` read as ``to`` (for hints, without copying the facts).  The hot loop of a
    batch: criteria values are summed (or the best one taken) without building lists."""
    total = ZERO
    missing: tuple[str, ...] = ()
    take_max = indicator.combine == "max"
    for name, criterion, factor in indicator.plan:
        fact = to if name == changed else facts.get(name)
        if fact is None or (type(fact) is str and not fact):
            missing += (name,)
            continue
        value = criterion.value(fact)
        if not value:
            continue
        if factor is not None:
            value = value * factor
        if take_max:
            if value > total:
                total = value
        else:
            total += value
    if total > HUNDRED:
        total = HUNDRED
    return (
        total.quantize(CENT, ROUND_HALF_UP),
        (indicator.weight * total / HUNDRED).quantize(CENT, ROUND_HALF_UP),
        missing,
    )


def _caps(scheme: SchemeSpec, facts: Mapping[str, Any]) -> list[Cap]:
    caps = []
    for t in scheme.thresholds:
        value = _number(facts.get(t.fact))
        if value is not None and value < t.minimum:
            caps.append(Cap(t.key, t.fact, value, t.minimum, t.max_grade))
    return caps


def _final_grade(scheme: SchemeSpec, total: Decimal, caps: Iterable[Cap], vetoed: bool) -> str:
    if vetoed:
        return "D"
    grade = scheme.grade_for(total)
    for cap in caps:
        grade = _worse(grade, cap.max_grade)
    return grade


def score(facts: Mapping[str, Any], scheme: SchemeSpec, *, hints: bool = True) -> ScoreResult:
    """Rate one project's facts (derived ratios included) with ``scheme``."""
    contributions: list[Contribution] = []
    missing: list[str] = []
    total = ZERO
    for indicator in scheme.indicators:
        value, points, gaps = _indicator(indicator, facts)
        total += points
        contributions.append(Contribution(indicator.key, points, value, indicator.weight, gaps))
        for fact in gaps:
            if fact not in missing:
                missing.append(fact)
    vetoes = tuple(v.key for v in scheme.vetoes if facts.get(v.fact))
    caps = _caps(scheme, facts)
    grade = _final_grade(scheme, total, caps, bool(vetoes))
    result = ScoreResult(
        total=total,
        grade=grade,
        points_grade=scheme.grade_for(total),
        contributions=tuple(contributions),
        vetoes=vetoes,
        caps=tuple(caps),
        missing=tuple(missing),
    )
    if hints and (grade != "A" or caps):
        result = replace(result, hints=tuple(_hints(facts, scheme, result)))
    return result


def _targets(criterion: Criterion, current: Any, need_value: Decimal | None) -> list[Any]:
    """Values of the criterion's fact that would raise its value, smallest step first.
    ``need_value`` is the criterion value (0-100) that would reach the next grade, if known."""
    method = criterion.method
    if method == "levels":
        now = criterion.value(current) if current not in (None, "") else ZERO
        return [code for code, value in criterion.levels if value > now][-1:]  # the best answer
    number = _number(current)
    if method == "threshold":
        assert criterion.at_least is not None
        if number is None or number < criterion.at_least:
            return [True if criterion.at_least == 1 and criterion.fact in _YES_NO else criterion.at_least]
        return []
    if method == "linear":
        low, high = criterion.low, criterion.high
        assert low is not None and high is not None
        if number is not None and number >= high:
            return []
        if need_value is not None and need_value < HUNDRED:
            target = (low + need_value * (high - low) / HUNDRED).quantize(CENT, ROUND_CEILING)
            if number is None or target > number:
                return [target]
        return [high]
    return [bound for bound, _value in criterion.bands if number is None or bound > number]


# Yes/no facts: a threshold hint says "yes" rather than "at least 1".
_YES_NO = frozenset(
    {"is_fortune500", "is_china500", "is_private500", "is_listed", "is_unicorn", "is_industry_leader", "high_tech"}
)


def _rescored(
    scheme: SchemeSpec, facts: Mapping[str, Any], result: ScoreResult, fact: str, target: Any
) -> tuple[Decimal, str]:
    """(points gained, grade reached) when ``fact`` alone becomes ``target``."""
    gain = ZERO
    for index in scheme.by_fact.get(fact, ()):
        _value, points, _missing = _indicator(scheme.indicators[index], facts, fact, target)
        gain += points - result.contributions[index].points
    caps: Sequence[Cap] = result.caps
    if any(c.fact == fact for c in caps) or any(t.fact == fact for t in scheme.thresholds):
        caps = _caps(scheme, {**facts, fact: target})
    return gain, _final_grade(scheme, result.total + gain, caps, bool(result.vetoes))


def _hints(facts: Mapping[str, Any], scheme: SchemeSpec, result: ScoreResult) -> list[Hint]:
    hints: list[Hint] = []
    without_vetoes = _final_grade(scheme, result.total, result.caps, False)
    for veto in scheme.vetoes:
        if veto.key in result.vetoes:
            grade = without_vetoes if len(result.vetoes) == 1 else "D"
            hints.append(Hint("veto", veto.key, veto.fact, True, False, ZERO, grade))
    for cap in result.caps:
        gain, grade = _rescored(scheme, facts, result, cap.fact, cap.minimum)
        hints.append(Hint("cap", cap.key, cap.fact, cap.value, cap.minimum, gain, grade))
    if result.grade == "A" and not result.caps:
        return hints
    # Raise hints aim at the next grade by points (a capped project's caps are hinted above).
    better = GRADES[max(GRADES.index(result.points_grade) - 1, 0)]
    gap = scheme.bound_of(better) - result.total if result.points_grade != "A" else ZERO
    raises: list[Hint] = []
    seen: set[str] = {h.fact for h in hints}
    for index, indicator in enumerate(scheme.indicators):
        contribution = result.contributions[index]
        if contribution.value >= HUNDRED or indicator.weight <= 0:
            continue
        for criterion in indicator.criteria:
            if not criterion.hint or criterion.fact in seen:
                continue
            current = facts.get(criterion.fact)
            need: Decimal | None = None
            if gap > 0 and criterion.method == "linear" and len(indicator.criteria) == 1:
                need = min(HUNDRED, contribution.value + gap * HUNDRED / indicator.weight)
            # The smallest step that reaches a better grade, else the smallest step that adds.
            best: Hint | None = None
            for target in _targets(criterion, current, need):
                gain, grade = _rescored(scheme, facts, result, criterion.fact, target)
                if gain <= 0:
                    continue
                hint = Hint("raise", indicator.key, criterion.fact, current, target, gain, grade)
                if GRADES.index(grade) < GRADES.index(result.grade):
                    best = hint
                    break
                best = best or hint
            if best is not None:
                seen.add(criterion.fact)
                raises.append(best)
    raises.sort(key=lambda h: (GRADES.index(h.grade), -h.gain))
    return hints + raises[:5]
