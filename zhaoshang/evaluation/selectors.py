"""Reads of the evaluation: the facts a scheme scores (in bulk), the active scheme version,
the rating procedure's state of a project, the ranking and the comparison."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhaoshang.core.bulk import plain_values
from zhaoshang.evaluation import rules
from zhaoshang.evaluation.models import FastTrack, ReviewMeeting, SchemeVersion, Score

# Project columns read for scoring, in the order ``facts_rows`` unpacks them.
_PROJECT_FACTS = (
    "planned_investment",
    "fixed_asset_investment",
    "land_mu",
    "expected_output",
    "expected_tax",
    "expected_jobs",
    "rd_share",
    "patents",
    "high_tech",
    "funding_status",
    "dishonest_party",
    "unresolved_penalties",
    "illegal_land_use",
)
_ENTERPRISE_FACTS = (
    "enterprise_id",
    "enterprise__is_fortune500",
    "enterprise__is_china500",
    "enterprise__is_private500",
    "enterprise__listing_exchange",
    "enterprise__is_unicorn",
    "enterprise__is_industry_leader",
    "enterprise__sme_level",
    "enterprise__revenue",
)
FACT_COLUMNS = ("id", *_PROJECT_FACTS, "chain_node_id", "industry_id", *_ENTERPRISE_FACTS)


def chain_prefixes() -> tuple[str, ...]:
    """Every industry-code prefix of the zone's chain nodes (one query)."""
    from zhaoshang.enterprises.models import ChainNode

    prefixes: set[str] = set()
    for text in ChainNode.objects.values_list("industry_prefixes", flat=True):
        prefixes.update(p.strip() for p in (text or "").replace("，", ",").split(",") if p.strip())
    return tuple(sorted(prefixes))


class FactReader:
    """Turns rows of ``FACT_COLUMNS`` into the plain facts the rules score.  The chain fit of
    an industry code is worked out once per code, not once per project."""

    def __init__(self, prefixes: Sequence[str]) -> None:
        self.prefixes = tuple(prefixes)
        self._fit: dict[Any, str | None] = {}

    def facts(self, row: Sequence[Any]) -> dict[str, Any]:
        facts = dict(zip(_PROJECT_FACTS, row[1:14], strict=True))
        node, industry = row[14], row[15]
        if node:
            facts["chain_fit"] = "node"
        else:
            fit = self._fit.get(industry, "?")
            if fit == "?":
                fit = self._fit[industry] = rules.chain_fit(None, industry, self.prefixes)
            facts["chain_fit"] = fit
        (enterprise, f500, c500, p500, exchange, unicorn, leader, sme, revenue) = row[16:25]
        if enterprise:
            facts["is_fortune500"] = f500
            facts["is_china500"] = c500
            facts["is_private500"] = p500
            facts["is_listed"] = bool(exchange)
            facts["is_unicorn"] = unicorn
            facts["is_industry_leader"] = leader
            facts["sme_level"] = sme or "none"
            facts["revenue"] = revenue
        land = facts["land_mu"]
        facts["investment_intensity"] = rules.per_mu(facts["fixed_asset_investment"], land)
        facts["tax_per_mu"] = rules.per_mu(facts["expected_tax"], land)
        return facts


def facts_rows(queryset: QuerySet[Any], chunk_size: int = 5000) -> Iterator[tuple[Any, ...]]:
    """The scored columns of every project of ``queryset`` (enterprise joined)."""
    yield from plain_values(queryset.order_by(), FACT_COLUMNS)


def project_facts(project_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Facts of a few projects, by id (two queries: the chain prefixes and the rows)."""
    from zhaoshang.projects.models import Project

    ids = list(project_ids)
    reader = FactReader(chain_prefixes())
    return {row[0]: reader.facts(row) for row in facts_rows(Project.objects.filter(pk__in=ids))}


def hints_for(project_id: int, version: SchemeVersion) -> list[dict[str, Any]]:
    """What would change the project's grade under ``version``, worked out from its current
    facts when a page asks (a few re-scorings of one project: well under a millisecond).
    Scores do not store them: a batch of 100,000 projects would spend most of its time on
    hints nobody reads."""
    facts = project_facts([project_id]).get(project_id)
    if facts is None:
        return []
    return list(rules.score(facts, version.spec(), hints=True).hints_json())


def active_version(user: Any = None) -> SchemeVersion | None:
    """The scheme version scores are computed with now; read within ``user``'s scope when a
    page shows it."""
    qs = SchemeVersion.objects.restrict(user) if user is not None else SchemeVersion.objects.all()
    return qs.select_related("scheme").filter(active=True).order_by("-created").first()  # type: ignore[no-any-return]


def versions(user: Any) -> Any:
    """The scheme's versions the user may see, newest first."""
    return SchemeVersion.objects.restrict(user).select_related("scheme", "created_by").order_by("-number")


# -- the rating procedure ---------------------------------------------------------------------


@dataclass(frozen=True)
class Procedure:
    """Where a project stands in the rating procedure: its latest fast-track confirmation or
    decided meeting (whichever is newer) and whether it clears the project for signing."""

    kind: str  # "" | "fast_track" | "decision"
    fast_track: FastTrack | None = None
    meeting: ReviewMeeting | None = None

    @property
    def cleared(self) -> bool:
        if self.kind == "fast_track":
            return True
        return self.kind == "decision" and self.meeting is not None and self.meeting.is_positive

    @property
    def rejected(self) -> bool:
        return self.kind == "decision" and self.meeting is not None and not self.meeting.is_positive


def procedure_of(project_id: int, user: Any = None) -> Procedure:
    """The latest outcome of the rating procedure for one project (two short queries); read
    within ``user``'s scope when a page shows it."""
    tracks = FastTrack.objects.restrict(user) if user is not None else FastTrack.objects.all()
    meetings = ReviewMeeting.objects.restrict(user) if user is not None else ReviewMeeting.objects.all()
    track = tracks.filter(project_id=project_id).order_by("-confirmed_at", "-id").first()
    meeting = meetings.filter(project_id=project_id).exclude(decision="").order_by("-decided_at", "-id").first()
    if track is None and meeting is None:
        return Procedure("")
    if meeting is None or (
        track is not None and meeting.decided_at is not None and track.confirmed_at >= meeting.decided_at
    ):
        return Procedure("fast_track", fast_track=track)
    return Procedure("decision", meeting=meeting)


# -- ranking and comparison -------------------------------------------------------------------

RANK_COLUMNS = (
    "id",
    "name",
    "stage",
    "confidential",
    "planned_investment",
    "lead_unit__name",
    "chain_node__name",
    "chain_node__chain__name",
    "evaluation_score__total",
    "evaluation_score__grade",
    "evaluation_score__version__number",
)


@dataclass(frozen=True)
class RankRow:
    pk: int
    name: str
    stage: str
    confidential: bool
    planned_investment: Decimal | None
    lead_unit: str
    chain: str
    total: Decimal | None
    grade: str
    version: int | None
    rank: int = 0
    outcome: str = ""

    @property
    def stage_label(self) -> Any:
        from zhaoshang.projects.rules import STAGE_LABELS

        return STAGE_LABELS.get(self.stage, self.stage)


def ranked(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Projects with a score, best first (the score index orders them), as flat rows."""
    return (
        queryset.filter(evaluation_score__isnull=False)
        .order_by("-evaluation_score__total", "-id")
        .values_list(*RANK_COLUMNS)
    )


def rank_rows(rows: Iterable[Sequence[Any]], start: int = 0) -> list[RankRow]:
    out = []
    for i, (pk, name, stage, secret, planned, unit, node, chain, total, grade, version) in enumerate(rows):
        out.append(
            RankRow(
                pk=pk,
                name=name,
                stage=stage,
                confidential=secret,
                planned_investment=planned,
                lead_unit=unit or "",
                chain=f"{chain} · {node}" if node else "",
                total=total,
                grade=grade or "",
                version=version,
                rank=start + i + 1,
            )
        )
    return out


def hint_sentence(hint: dict[str, Any], names: dict[str, str]) -> str:
    """One stored hint as a sentence in the current language."""
    fact = str(rules.FACT_LABELS.get(hint.get("fact", ""), hint.get("fact", "")))
    grade = hint.get("grade", "")
    if hint.get("kind") == "veto":
        return _("Clear the veto “%(veto)s”: the grade would then be %(grade)s.") % {
            "veto": names.get(hint.get("key", ""), hint.get("key", "")),
            "grade": grade,
        }
    current, target = (
        display_value(hint.get("fact", ""), hint.get("current")),
        display_value(hint.get("fact", ""), hint.get("target")),
    )
    gain = Decimal(str(hint.get("gain") or "0"))
    if hint.get("kind") == "cap":
        return _(
            "%(fact)s from %(current)s to at least %(target)s lifts the cap “%(cap)s”, adds %(gain)s points and reaches grade %(grade)s."
        ) % {
            "fact": fact,
            "current": current,
            "target": target,
            "cap": names.get(hint.get("key", ""), hint.get("key", "")),
            "gain": f"{gain:.2f}",
            "grade": grade,
        }
    return _("%(fact)s from %(current)s to at least %(target)s would add %(gain)s points (grade %(grade)s).") % {
        "fact": fact,
        "current": current,
        "target": target,
        "gain": f"{gain:.2f}",
        "grade": grade,
    }


def display_value(fact: str, value: Any) -> str:
    """A fact's value for a page: numbers without trailing zeros, codes by their label."""
    if value is None or value == "":
        return _("(not recorded)")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    labels = rules.LEVEL_LABELS.get(fact)
    if labels and str(value) in labels:
        return str(labels[str(value)])
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return f"{number.normalize():f}" if number == number.to_integral() else f"{number:.2f}"


def scores_for(project_ids: Iterable[int]) -> dict[int, Score]:
    return {s.project_id: s for s in Score.objects.filter(project_id__in=list(project_ids)).select_related("version")}
