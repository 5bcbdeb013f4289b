"""Pure screening rules: a project's facts against the zone's catalogue of don'ts.

Imports no model and runs no query.  The services read facts into plain mappings, turn the
catalogue (rules and catalogue entries) into ``RuleSpec`` values and call ``screen``.

A rule fires when any of its matchers fires:

- an industry prefix: the project's GB/T 4754-2017 code starts with it (a section letter
  matches every code of that section);
- a keyword: it occurs in one of the rule's text facts (project name, description, the
  enterprise's name or business scope), folded first (``fold``: traditional and regional
  characters as simplified, full width as half width, case);
- a numeric check with editable parameters (``CHECKS``).  A check whose facts are unknown
  never fires: unknown is not bad.  The verdict lists such rules as "could not be checked".

Only the project's own facts block.  The investor's name and business scope are context: a
block rule found only there gives a warning (``Hit.context`` is ``INVESTOR``), asking the
reviewer to confirm the project itself does not do it: a glass maker's power station adds no
glass.

Batch speed comes from compiling the catalogue once (``compile_rules``): every keyword of
every rule goes into one regular expression scanned once over the joined text facts, and
prefixes are looked up in a dict, so a project costs a few dict lookups, one regex scan and
the numeric checks, whatever the number of rules.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

PASS = "pass"  # noqa: S105 - an outcome, not a password
WARN = "warn"
BLOCK = "block"
OUTCOMES = (PASS, WARN, BLOCK)
_SEVERITY = {PASS: 0, WARN: 1, BLOCK: 2}

# Text facts keywords are looked for in, in this order.
KEYWORD_FACTS: tuple[str, ...] = ("name", "description", "enterprise_name", "business_scope")
PROJECT_TEXT_FACTS: tuple[str, ...] = ("name", "description")
ENTERPRISE_TEXT_FACTS: tuple[str, ...] = ("enterprise_name", "business_scope")
# Facts that are the investor's, not the project's: they may warn, never block.
CONTEXT_FACTS: frozenset[str] = frozenset(ENTERPRISE_TEXT_FACTS)
INVESTOR = "investor"  # Hit.context of a block rule found only in the investor's facts
INDUSTRY_FACT = "industry_id"
YES_NO_FACTS: frozenset[str] = frozenset({"incentives_tied_to_tax"})

FACT_LABELS: dict[str, Any] = {
    "industry_id": _("industry code"),
    "name": _("project name"),
    "description": _("project description"),
    "enterprise_name": _("enterprise name"),
    "business_scope": _("business scope"),
    "fixed_asset_investment": _("fixed-asset investment"),
    "land_mu": _("land (mu)"),
    "expected_tax": _("expected yearly tax"),
    "incentives_offered": _("incentives offered"),
    "incentives_tied_to_tax": _("incentives tied to tax paid"),
    "commitment_years": _("committed period (years)"),
    "land_needed_mu": _("land needed (mu)"),
    "floor_area_m2": _("total floor area"),
    "residential_area_m2": _("residential floor area"),
    "commercial_area_m2": _("commercial floor area"),
    "investment_intensity": _("investment intensity (10k CNY/mu)"),
    "tax_per_mu": _("expected tax per mu (10k CNY/mu)"),
    "non_industrial_share": _("residential and commercial share of floor area"),
}

# GB/T 4754-2017 sections by the first two digits of a code (divisions 01–97).
_SECTION_RANGES: tuple[tuple[int, int, str], ...] = (
    (1, 5, "A"),
    (6, 12, "B"),
    (13, 43, "C"),
    (44, 46, "D"),
    (47, 50, "E"),
    (51, 52, "F"),
    (53, 60, "G"),
    (61, 62, "H"),
    (63, 65, "I"),
    (66, 69, "J"),
    (70, 70, "K"),
    (71, 72, "L"),
    (73, 75, "M"),
    (76, 79, "N"),
    (80, 82, "O"),
    (83, 83, "P"),
    (84, 85, "Q"),
    (86, 90, "R"),
    (91, 96, "S"),
    (97, 97, "T"),
)


def section_of(code: str | None) -> str:
    """The section letter of a GB/T 4754-2017 code of any level ("" when unknown)."""
    if not code:
        return ""
    if code[0].isalpha():
        return code[0].upper()
    if len(code) < 2 or not code[:2].isdigit():
        return ""
    division = int(code[:2])
    for low, high, letter in _SECTION_RANGES:
        if low <= division <= high:
            return letter
    return ""


# Full-width ASCII (Ｐ２Ｐ, ＡＢＣ) and the ideographic space as their plain forms: the part of
# NFKC that matters for matching keywords, at a fraction of its cost on Chinese text (whose
# full-width punctuation makes nearly every text "not normalised").
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@lru_cache(maxsize=1)
def _to_simplified() -> tuple[Callable[[str], str], re.Pattern[str]]:
    """OpenCC's conversion of traditional characters and of Taiwan and Hong Kong forms and
    phrases (矽 → 硅, 軟體 → 软件, 裏 → 里) to simplified, and a pattern of every character
    it changes.  The pattern is found once by converting each character of the CJK blocks:
    most texts hold none of them and skip the conversion, which costs about as much as the
    rest of a project's screening."""
    import opencc

    chain = [opencc.OpenCC(config) for config in ("tw2sp", "hk2s", "t2s")]
    blocks = [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00)]
    chars = [chr(code) for code in blocks]
    changed: set[str] = set()
    for converter in chain:
        converted = converter.convert("\n".join(chars)).split("\n")
        changed.update(c for c, out in zip(chars, converted, strict=True) if c != out)

    def convert(text: str) -> str:
        for converter in chain:
            text = converter.convert(text)
        return text

    return convert, re.compile("[" + re.escape("".join(sorted(changed))) + "]")


def fold(text: str) -> str:
    """Text as keywords are matched: traditional and regional characters as simplified
    (年產 → 年产, 電解鋁 → 电解铝), full-width letters, digits and signs as plain ASCII, and
    case-folded.  Keywords, exception terms and facts all go through it."""
    if not text:
        return ""
    if not text.isascii():
        text = text.translate(_WIDTH)
        convert, traditional = _to_simplified()
        if traditional.search(text) is not None:
            text = convert(text)
    return text.casefold()


# -- numbers --------------------------------------------------------------------------------


def number(value: Any) -> Decimal | None:
    """A fact as a Decimal, or None when unknown (blank, not a number, not finite)."""
    cls = value.__class__
    if cls is Decimal:
        return value if value.is_finite() else None
    if cls is int:
        return Decimal(value)
    if value is None or value == "" or cls is bool:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


_CENT = Decimal("0.01")


def _shown(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


# -- numeric checks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """An editable threshold of a numeric check."""

    name: str
    label: Any
    default: Decimal
    help: Any = ""


class Finding(NamedTuple):
    """What a numeric check says about a project.

    ``fired`` with the fact and value that triggered it; or ``missing`` facts that kept
    it from being checked; or neither (checked, nothing wrong, or not applicable)."""

    fired: bool = False
    fact: str = ""
    value: str = ""
    detail: str = ""
    missing: tuple[str, ...] = ()


OK = Finding()


@dataclass(frozen=True)
class Check:
    """A named numeric test on project facts with editable parameters.

    ``evaluate`` reads facts already prepared by ``screen``: every numeric fact a Decimal
    or None (unknown), yes/no facts as given."""

    name: str
    label: Any
    facts: tuple[str, ...]
    params: tuple[Param, ...]
    evaluate: Callable[[Mapping[str, Any], Mapping[str, Decimal]], Finding]

    def defaults(self) -> dict[str, Decimal]:
        return {p.name: p.default for p in self.params}


def _missing(facts: Mapping[str, Any], names: Iterable[str]) -> tuple[str, ...]:
    return tuple(name for name in names if facts.get(name) is None)


def _incentives_exceed_return(facts: Mapping[str, Any], p: Mapping[str, Decimal]) -> Finding:
    incentives = facts.get("incentives_offered")
    tax = facts.get("expected_tax")
    years = facts.get("commitment_years")
    if incentives is None or tax is None or years is None:
        return Finding(missing=_missing(facts, ("incentives_offered", "expected_tax", "commitment_years")))
    limit = p["ratio"] * tax * years
    if incentives > limit:
        return Finding(
            fired=True,
            fact="incentives_offered",
            value=_shown(incentives),
            detail=f"{_shown(incentives)} > {p['ratio']} × {_shown(tax)} × {years} = {_shown(limit)}",
        )
    return OK


def _incentives_tied_to_tax(facts: Mapping[str, Any], p: Mapping[str, Decimal]) -> Finding:
    if facts.get("incentives_tied_to_tax") is True:
        return Finding(fired=True, fact="incentives_tied_to_tax", value="✓")
    return OK


def _per_mu_below(numerator: str, shown_as: str) -> Callable[[Mapping[str, Any], Mapping[str, Decimal]], Finding]:
    def evaluate(facts: Mapping[str, Any], p: Mapping[str, Decimal]) -> Finding:
        amount = facts.get(numerator)
        land = facts.get("land_mu")
        if amount is None or land is None:
            return Finding(missing=_missing(facts, (numerator, "land_mu")))
        if land <= 0:
            return OK  # no land asked: nothing per mu to judge
        per_mu = amount / land
        limit = p["floor"] * p["fraction"]
        if per_mu < limit:
            return Finding(
                fired=True,
                fact=shown_as,
                value=_shown(per_mu),
                detail=f"{_shown(per_mu)} < {p['fraction']} × {p['floor']} = {_shown(limit)}",
            )
        return OK

    return evaluate


def _land_beyond_need(facts: Mapping[str, Any], p: Mapping[str, Decimal]) -> Finding:
    land = facts.get("land_mu")
    need = facts.get("land_needed_mu")
    if land is None or need is None:
        return Finding(missing=_missing(facts, ("land_mu", "land_needed_mu")))
    limit = need * p["factor"]
    if land > limit:
        return Finding(
            fired=True,
            fact="land_mu",
            value=_shown(land),
            detail=f"{_shown(land)} > {p['factor']} × {_shown(need)} = {_shown(limit)}",
        )
    return OK


def _non_industrial_floor_share(facts: Mapping[str, Any], p: Mapping[str, Decimal]) -> Finding:
    floor = facts.get("floor_area_m2")
    if floor is None:
        return Finding(missing=("floor_area_m2",))
    if floor <= 0:
        return OK
    residential = facts.get("residential_area_m2")
    commercial = facts.get("commercial_area_m2")
    if residential is None and commercial is None:
        return Finding(missing=("residential_area_m2", "commercial_area_m2"))
    # A known part alone may already exceed the share: the unknown one can only add to it.
    known = (residential or 0) + (commercial or 0)
    share = known / floor
    if share > p["share"]:
        return Finding(
            fired=True,
            fact="non_industrial_share",
            value=_shown(share * 100) + "%",
            detail=f"{_shown(Decimal(known))} / {_shown(floor)} = {_shown(share)} > {p['share']}",
        )
    if residential is None:
        return Finding(missing=("residential_area_m2",))
    if commercial is None:
        return Finding(missing=("commercial_area_m2",))
    return OK


CHECKS: dict[str, Check] = {
    c.name: c
    for c in (
        Check(
            "incentives_exceed_return",
            _("Incentives exceed what the project returns over its committed period"),
            ("incentives_offered", "expected_tax", "commitment_years"),
            (
                Param(
                    "ratio",
                    _("share of the period's tax the incentives may reach"),
                    Decimal("1"),
                    _("Fires when incentives offered > ratio × expected yearly tax × committed years."),
                ),
            ),
            _incentives_exceed_return,
        ),
        Check(
            "incentives_tied_to_tax",
            _("Incentives calculated from the tax the project pays"),
            ("incentives_tied_to_tax",),
            (),
            _incentives_tied_to_tax,
        ),
        Check(
            "intensity_below_floor",
            _("Investment intensity far below the zone's floor"),
            ("fixed_asset_investment", "land_mu"),
            (
                Param("floor", _("zone's floor (10k CNY/mu)"), Decimal("300")),
                Param(
                    "fraction",
                    _("far below: fraction of the floor"),
                    Decimal("0.5"),
                    _("Fires when fixed-asset investment ÷ land < fraction × floor."),
                ),
            ),
            _per_mu_below("fixed_asset_investment", "investment_intensity"),
        ),
        Check(
            "tax_per_mu_below_floor",
            _("Expected tax per mu far below the zone's floor"),
            ("expected_tax", "land_mu"),
            (
                Param("floor", _("zone's floor (10k CNY/mu per year)"), Decimal("25")),
                Param(
                    "fraction",
                    _("far below: fraction of the floor"),
                    Decimal("0.5"),
                    _("Fires when expected yearly tax ÷ land < fraction × floor."),
                ),
            ),
            _per_mu_below("expected_tax", "tax_per_mu"),
        ),
        Check(
            "land_beyond_need",
            _("Land asked far beyond what the plant needs"),
            ("land_mu", "land_needed_mu"),
            (
                Param(
                    "factor",
                    _("allowed multiple of the land needed"),
                    Decimal("1.5"),
                    _("Fires when land asked > factor × land needed."),
                ),
            ),
            _land_beyond_need,
        ),
        Check(
            "non_industrial_floor_share",
            _("Residential and commercial floor area take a large share"),
            ("floor_area_m2", "residential_area_m2", "commercial_area_m2"),
            (
                Param(
                    "share",
                    _("largest share of floor area (0–1)"),
                    Decimal("0.5"),
                    _("Fires when (residential + commercial) ÷ total floor area > share."),
                ),
            ),
            _non_industrial_floor_share,
        ),
    )
}


def check_params(check: str, given: Mapping[str, Any]) -> tuple[dict[str, Decimal], list[str]]:
    """The check's parameters with defaults filled in, and problems with ``given``.

    Problems name an unknown check, an unknown parameter, or a value that is not a
    number ≥ 0 (the services turn them into messages)."""
    if not check:
        return {}, [f"unknown-param:{name}" for name in given]
    spec = CHECKS.get(check)
    if spec is None:
        return {}, [f"unknown-check:{check}"]
    values = spec.defaults()
    problems: list[str] = []
    for name, raw in given.items():
        if name not in values:
            problems.append(f"unknown-param:{name}")
            continue
        value = number(raw)
        if value is None or value < 0:
            problems.append(f"bad-value:{name}")
            continue
        values[name] = value
    return values, problems


# -- rules and verdicts ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """One rule as the screening reads it (from a Rule or a catalogue entry)."""

    code: str
    kind: str  # BLOCK or WARN
    basis: str = ""
    message_zh: str = ""
    message_en: str = ""
    family: str = ""
    category: str = ""
    industry_prefixes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    keyword_facts: tuple[str, ...] = KEYWORD_FACTS
    # A keyword found inside one of these terms does not count ("电石" in "导电石墨").
    except_terms: tuple[str, ...] = ()
    check: str = ""
    params: tuple[tuple[str, Decimal], ...] = ()

    def param_values(self) -> dict[str, Decimal]:
        spec = CHECKS.get(self.check)
        values = spec.defaults() if spec else {}
        values.update(self.params)
        return values


class Hit(NamedTuple):
    """A rule that fired: which fact triggered it, with what value, and why it matters."""

    rule: str
    kind: str
    fact: str
    value: str
    basis: str
    message_zh: str
    message_en: str
    detail: str = ""
    family: str = ""
    category: str = ""
    # INVESTOR: a block rule found in the investor's facts only, given as a warning.
    context: str = ""

    def as_dict(self) -> dict[str, str]:
        return self._asdict()


class Unchecked(NamedTuple):
    """A rule (or a matcher of it) that could not be checked for lack of facts."""

    rule: str
    facts: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "facts": list(self.facts)}


@dataclass(frozen=True)
class VerdictResult:
    outcome: str
    hits: tuple[Hit, ...] = ()
    unchecked: tuple[Unchecked, ...] = ()

    @property
    def blocks(self) -> tuple[Hit, ...]:
        return tuple(h for h in self.hits if h.kind == BLOCK)

    def hits_json(self) -> list[dict[str, str]]:
        return [h.as_dict() for h in self.hits]

    def unchecked_json(self) -> list[dict[str, Any]]:
        return [u.as_dict() for u in self.unchecked]


class Compiled(Sequence[RuleSpec]):
    """A catalogue prepared for screening many projects: one keyword pattern, a prefix
    table and the list of numeric checks."""

    def __init__(self, rules: Iterable[RuleSpec]) -> None:
        self.rules: tuple[RuleSpec, ...] = tuple(rules)
        by_prefix: dict[str, list[int]] = {}
        by_keyword: dict[str, list[int]] = {}
        self.checked: list[tuple[int, Check, dict[str, Decimal]]] = []
        self.prefix_rules: list[int] = []
        for index, rule in enumerate(self.rules):
            for prefix in rule.industry_prefixes:
                key = prefix.strip().upper()
                if key:
                    by_prefix.setdefault(key, []).append(index)
            if rule.industry_prefixes:
                self.prefix_rules.append(index)
            for keyword in rule.keywords:
                key = fold(keyword.strip())
                if key:
                    by_keyword.setdefault(key, []).append(index)
            if rule.check:
                spec = CHECKS.get(rule.check)
                if spec is not None:
                    self.checked.append((index, spec, rule.param_values()))
        self.by_prefix = {k: tuple(v) for k, v in by_prefix.items()}
        self.has_sections = any(k.isalpha() for k in self.by_prefix)
        self.numeric_facts = tuple(sorted({f for _i, c, _p in self.checked for f in c.facts if f not in YES_NO_FACTS}))
        self.max_prefix = max((len(k) for k in self.by_prefix), default=0)
        # Longest keywords first, so that at one position the longest one matches; every
        # shorter keyword that starts at the same position is one of its prefixes, found
        # through ``implied``.  The scan restarts one character after each match, so a
        # keyword starting inside another is found too.
        keywords = sorted(by_keyword, key=lambda k: (-len(k), k))
        self.by_keyword = {k: tuple(v) for k, v in by_keyword.items()}
        self.implied = {k: tuple(s for s in keywords if k.startswith(s)) for k in keywords}
        self.pattern = re.compile("|".join(re.escape(k) for k in keywords)) if keywords else None
        self.fact_sets = [frozenset(r.keyword_facts) for r in self.rules]
        self.exceptions = [tuple(fold(t.strip()) for t in r.except_terms if t.strip()) for r in self.rules]

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, index: Any) -> Any:
        return self.rules[index]


def compile_rules(rules: Iterable[RuleSpec]) -> Compiled:
    """Prepare a catalogue once for screening many projects."""
    return Compiled(rules)


@lru_cache(maxsize=16)
def _compiled(rules: tuple[RuleSpec, ...]) -> Compiled:
    return Compiled(rules)


def _excerpt(text: str, start: int, end: int, width: int = 12) -> str:
    left = max(start - width, 0)
    right = min(end + width, len(text))
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def _excepted(text: str, offset: int, keyword: str, terms: tuple[str, ...]) -> bool:
    """Whether the keyword found at ``offset`` is part of one of the exception terms."""
    for term in terms:
        at = term.find(keyword)
        while at >= 0:
            start = offset - at
            if start >= 0 and text.startswith(term, start):
                return True
            at = term.find(keyword, at + 1)
    return False


_OUTCOME_BY_SEVERITY = {0: PASS, 1: WARN, 2: BLOCK}


def screen(facts: Mapping[str, Any], rules: Sequence[RuleSpec] | Compiled) -> VerdictResult:
    """Screen one project's facts against the rules: outcome, hits, and what could not be checked.

    ``facts`` holds the project's facts by name (``industry_id``, the text facts of
    ``KEYWORD_FACTS`` and the numeric facts the checks read).  Pass a ``Compiled``
    catalogue when screening many projects."""
    catalogue = rules if rules.__class__ is Compiled else _compiled(tuple(rules))
    specs = catalogue.rules
    # (rule index, fact, value, detail) of every matcher that fired; turned into hits at the end.
    fired: list[tuple[int, str, str, str]] = []
    unchecked: list[Unchecked] = []

    code = str(facts.get(INDUSTRY_FACT) or "").strip().upper()
    if code:
        by_prefix = catalogue.by_prefix
        for i in range(1, min(len(code), catalogue.max_prefix) + 1):
            for index in by_prefix.get(code[:i], ()):
                fired.append((index, INDUSTRY_FACT, code, ""))
        section = section_of(code) if catalogue.has_sections else ""
        if section and section != code[:1]:
            for index in by_prefix.get(section, ()):
                fired.append((index, INDUSTRY_FACT, code, ""))
    else:
        unchecked.extend(Unchecked(specs[i].code, (INDUSTRY_FACT,)) for i in catalogue.prefix_rules)

    pattern = catalogue.pattern
    if pattern is not None:
        # One fold and one scan for the four text facts, joined by a separator no keyword
        # holds; positions map back to the fact through ``starts``.
        joined = fold("\x1f".join([str(facts.get(name) or "") for name in KEYWORD_FACTS]))
        match = pattern.search(joined) if len(joined) > len(KEYWORD_FACTS) - 1 else None
        if match is not None:
            parts = joined.split("\x1f")
            starts: list[int] = []
            pos = 0
            for text in parts:
                starts.append(pos)
                pos += len(text) + 1
            by_keyword = catalogue.by_keyword
            implied = catalogue.implied
            fact_sets = catalogue.fact_sets
            exceptions = catalogue.exceptions
            search = pattern.search
            while match is not None:
                start = match.start()
                field_index = bisect_right(starts, start) - 1
                name = KEYWORD_FACTS[field_index]
                text = parts[field_index]
                offset = start - starts[field_index]
                for keyword in implied[match.group()]:
                    for index in by_keyword[keyword]:
                        if name in fact_sets[index] and not _excepted(text, offset, keyword, exceptions[index]):
                            fired.append((index, name, keyword, _excerpt(text, offset, offset + len(keyword))))
                match = search(joined, start + 1)

    checked = catalogue.checked
    if checked:
        prepared: dict[str, Any] = {name: number(facts.get(name)) for name in catalogue.numeric_facts}
        for name in YES_NO_FACTS:
            prepared[name] = facts.get(name)
    for index, check, params in checked:
        finding = check.evaluate(prepared, params)
        if finding.fired:
            fired.append((index, finding.fact, finding.value, finding.detail))
        elif finding.missing:
            unchecked.append(Unchecked(specs[index].code, finding.missing))

    if not fired:
        return VerdictResult(PASS, (), tuple(unchecked))
    hits: list[Hit] = []
    seen: set[tuple[int, str]] = set()
    severity = 0
    for index, fact, value, detail in fired:
        if (index, fact) in seen:
            continue  # one hit per rule and fact: the first value found
        seen.add((index, fact))
        rule = specs[index]
        kind, context = rule.kind, ""
        if kind == BLOCK and fact in CONTEXT_FACTS:
            kind, context = WARN, INVESTOR
        hits.append(
            Hit(
                rule.code,
                kind,
                fact,
                value,
                rule.basis,
                rule.message_zh,
                rule.message_en,
                detail,
                rule.family,
                rule.category,
                context,
            )
        )
        severity = max(severity, _SEVERITY.get(kind, 1))
    return VerdictResult(_OUTCOME_BY_SEVERITY[severity], tuple(hits), tuple(unchecked))


# -- pre-screening a list of candidates -------------------------------------------------------

# The columns of a candidate list (批量预甄别), by their header in the first row, and the fact
# each one gives.  Any may be missing or blank: what is unknown is not checked.
CANDIDATE_COLUMNS: dict[str, str] = {
    "项目名称": "name",
    "投资方": "enterprise_name",
    "投资方经营范围": "business_scope",
    "行业代码": "industry_id",
    "总投资（万元）": "planned_investment",
    "固定资产投资（万元）": "fixed_asset_investment",
    "用地（亩）": "land_mu",
    "项目简介": "description",
    "总建筑面积（平方米）": "floor_area_m2",
    "住宅建筑面积（平方米）": "residential_area_m2",
}
_HEADER_FOLD = str.maketrans({"(": "（", ")": "）", " ": None, "\u3000": None})
_CODE = re.compile(r"^\s*([A-Za-z]|\d{2,4})(?:\.0+)?(?=\s|$|[^\d])")


def candidate_header(cells: Sequence[Any]) -> dict[int, str]:
    """Which fact each position of a header row gives (half-width brackets and spaces
    allowed: "总投资(万元)" is "总投资（万元）")."""
    known = {h.translate(_HEADER_FOLD): fact for h, fact in CANDIDATE_COLUMNS.items()}
    found: dict[int, str] = {}
    for position, cell in enumerate(cells):
        fact = known.get(str(cell or "").strip().translate(_HEADER_FOLD))
        if fact is not None and fact not in found.values():
            found[position] = fact
    return found


def candidate_facts(cells: Sequence[Any], header: Mapping[int, str]) -> dict[str, Any]:
    """The facts of one candidate row: texts as written, numbers as ``number`` reads them,
    the industry code from "3041", "3041 平板玻璃制造" or a number cell (3041.0)."""
    facts: dict[str, Any] = {}
    for position, fact in header.items():
        raw = cells[position] if position < len(cells) else None
        if fact == INDUSTRY_FACT:
            match = _CODE.match(str(raw or ""))
            facts[fact] = match.group(1).upper() if match else ""
        elif fact in PROJECT_TEXT_FACTS or fact in ENTERPRISE_TEXT_FACTS:
            facts[fact] = "" if raw is None else str(raw).strip()
        else:
            facts[fact] = number(raw)
    return facts


def is_blank_row(cells: Sequence[Any]) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in cells)
