"""Writes of the screening app: verdicts for projects, the gate of the pipeline, and changes
to the catalogue (coordinators and leaders only, audited, re-screening every project).

The decisions themselves are the pure functions of ``screening.rules``; this module loads
facts in bulk, calls them and writes the verdicts in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypedDict

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zhaoshang.core.audit import attributed, record_change, record_changes_bulk, snapshot, write_change_rows
from zhaoshang.core.bulk import BatchCount, insert_rows, paused_collector, pipelined_inserts, plain_values
from zhaoshang.core.editing import bump, check_revision, copy_into
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import CHANGE, CREATE, IMPORT, Actor, person, require
from zhaoshang.core.tabular.readers import read_csv, read_xlsx
from zhaoshang.core.tabular.uploads import FileRefused, check_upload
from zhaoshang.enterprises.models import IndustryCode
from zhaoshang.projects import rules as pipeline
from zhaoshang.projects.models import Project
from zhaoshang.screening import rules
from zhaoshang.screening.models import (
    FAMILY_OF_CATEGORY,
    CatalogueEntry,
    CatalogueVersion,
    Provenance,
    Rule,
    Verdict,
)

CHUNK = 2000

# Numeric and yes/no facts the checks read, as Project attributes.
NUMERIC_FACTS: tuple[str, ...] = (
    "fixed_asset_investment",
    "land_mu",
    "expected_tax",
    "incentives_offered",
    "incentives_tied_to_tax",
    "commitment_years",
    "land_needed_mu",
    "floor_area_m2",
    "residential_area_m2",
    "commercial_area_m2",
)
_READ_FIELDS: tuple[str, ...] = (
    "id",
    "industry_id",
    "name",
    "description",
    "investor_name",
    "enterprise__name",
    "enterprise__business_scope",
    *NUMERIC_FACTS,
)

# -- the catalogue ----------------------------------------------------------------------------

_cache: tuple[tuple[int, Any], rules.Compiled] | None = None


def _version_row() -> tuple[int, Any]:
    row = CatalogueVersion.objects.filter(pk=1).values_list("number", "changed").first()
    return (row[0], row[1]) if row else (0, None)


def current_version() -> int:
    """The catalogue's version number (0 before the shipped catalogue is loaded)."""
    return _version_row()[0]


def active_specs() -> list[rules.RuleSpec]:
    """Every active rule and catalogue entry, as the pure rules read them."""
    specs = [r.spec() for r in Rule.objects.filter(active=True).order_by("code")]
    specs += [e.spec() for e in CatalogueEntry.objects.filter(active=True).order_by("id")]
    return specs


def catalogue() -> rules.Compiled:
    """The active catalogue compiled for screening, rebuilt only when its version changes.

    Keyed on the version's number and time, so that a version number reused after a
    rolled-back change does not serve a stale catalogue."""
    global _cache
    key = _version_row()
    if _cache is None or _cache[0] != key:
        _cache = (key, rules.compile_rules(active_specs()))
    return _cache[1]


@transaction.atomic
def bump_version() -> int:
    """Count one more change of the catalogue; every verdict computed later records it."""
    version, _created = CatalogueVersion.objects.select_for_update().get_or_create(pk=1, defaults={"number": 0})
    version.number += 1
    version.save(update_fields=["number", "changed"])
    return version.number


# -- facts and verdicts -----------------------------------------------------------------------


def _facts_from_row(row: Sequence[Any]) -> dict[str, Any]:
    _pk, industry, name, description, investor, ent_name, scope, *numbers = row
    facts: dict[str, Any] = dict(zip(NUMERIC_FACTS, numbers, strict=True))
    facts["industry_id"] = industry
    facts["name"] = name
    facts["description"] = description
    facts["enterprise_name"] = ent_name or investor or ""
    facts["business_scope"] = scope or ""
    return facts


def project_facts(project: Project) -> dict[str, Any]:
    """The facts of a project object (saved or not) as the screening reads them."""
    enterprise = project.enterprise if project.enterprise_id else None
    facts: dict[str, Any] = {name: getattr(project, name) for name in NUMERIC_FACTS}
    facts["industry_id"] = project.industry_id
    facts["name"] = project.name
    facts["description"] = project.description
    facts["enterprise_name"] = enterprise.name if enterprise is not None else project.investor_name
    facts["business_scope"] = enterprise.business_scope if enterprise is not None else ""
    return facts


def screen_project(project: Project) -> rules.VerdictResult:
    """The verdict for a project's current facts, computed without writing anything."""
    return rules.screen(project_facts(project), catalogue())


def verdict_now(project: Project) -> Verdict:
    """The project's verdict worked out from its current facts, not stored (for a page that
    shows a project screened before it had a verdict)."""
    result = screen_project(project)
    return Verdict(
        project_id=project.pk,
        outcome=result.outcome,
        hits=result.hits_json(),
        unchecked=result.unchecked_json(),
        catalogue_version=current_version(),
        computed=timezone.now(),
    )


def _fact_rows(ids: Sequence[int]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        yield from plain_values(Project.objects.filter(pk__in=chunk).order_by(), _READ_FIELDS)


def _write(rows: list[tuple[Any, ...]], *, replace: Sequence[int]) -> None:
    """Replace the verdicts of ``replace`` with ``rows`` (delete, then insert in bulk)."""
    for start in range(0, len(replace), 900):
        Verdict.objects.filter(project_id__in=replace[start : start + 900]).delete()
    insert_rows(Verdict._meta.db_table, _verdict_columns(), rows)


_VERDICT_COLUMNS = ("project", "outcome", "hits", "unchecked", "catalogue_version", "computed")


def _verdict_columns() -> list[str]:
    by_name = {f.name: f.column for f in Verdict._meta.concrete_fields}
    return [by_name[name] for name in _VERDICT_COLUMNS]


def _encoder() -> Callable[[Any], str]:
    return lambda value: orjson.dumps(value).decode()


def _verdict_rows(
    rows: Iterable[Sequence[Any]], compiled: rules.Compiled, version: int, stamp: Any
) -> Iterator[tuple[Any, ...]]:
    encode = _encoder()
    screen = rules.screen
    for row in rows:
        result = screen(_facts_from_row(row), compiled)
        hits = encode(result.hits_json()) if result.hits else "[]"
        unchecked = encode(result.unchecked_json()) if result.unchecked else "[]"
        yield (row[0], result.outcome, hits, unchecked, version, stamp)


@transaction.atomic
def screen_projects(ids: Iterable[int]) -> dict[int, str]:
    """Compute and store the verdicts of these projects; return their outcomes."""
    wanted = sorted({int(pk) for pk in ids})
    if not wanted:
        return {}
    compiled = catalogue()
    version = current_version()
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    facts = list(_fact_rows(wanted))
    rows = list(_verdict_rows(facts, compiled, version, stamp))
    old = _outcomes_now(wanted)
    _write(rows, replace=wanted)
    _record_outcome_changes(old, rows, facts, version)
    return {row[0]: row[1] for row in rows}


def _outcomes_now(ids: Sequence[int] | None = None) -> dict[int, str]:
    """The stored outcomes (of these projects, or of every project)."""
    if ids is None:
        return dict(Verdict.objects.values_list("project_id", "outcome"))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        found.update(
            Verdict.objects.filter(project_id__in=ids[start : start + 900]).values_list("project_id", "outcome")
        )
    return found


OUTCOME_WORDS = {
    rules.PASS: gettext_lazy("pass"),
    rules.WARN: gettext_lazy("warning"),
    rules.BLOCK: gettext_lazy("blocked"),
}


def _record_outcome_changes(
    old: Mapping[int, str], rows: Sequence[Sequence[Any]], facts: Sequence[Sequence[Any]], version: int
) -> int:
    """A history entry on every project whose screening outcome changed (a project screened
    for the first time has no outcome to change from): verdicts themselves are derived data,
    but a project that becomes blocked, or stops being, is worth a line in its history."""
    names = {row[0]: row[2] for row in facts}
    changes = []
    for row in rows:
        pk, outcome = row[0], row[1]
        before = old.get(pk)
        if before is None or before == outcome:
            continue
        message = _("screening: %(old)s → %(new)s (catalogue version %(version)s)") % {
            "old": OUTCOME_WORDS.get(before, before),
            "new": OUTCOME_WORDS.get(outcome, outcome),
            "version": version,
        }
        changes.append(
            (
                message,
                (
                    Project,
                    pk,
                    names.get(pk, ""),
                    ChangeAction.UPDATE,
                    {"screening": before},
                    {"screening": outcome},
                    None,
                ),
            )
        )
    by_message: dict[str, list[Any]] = {}
    for message, entry in changes:
        by_message.setdefault(message, []).append(entry)
    for message, entries in by_message.items():
        write_change_rows(entries, message=message)
    return len(changes)


@transaction.atomic
def screen_all(progress: Callable[[int], None] | None = None) -> BatchCount:
    """Re-screen every project against the current catalogue; return how many.

    Reads every project's facts in one query, screens them with the pure rules chunk by
    chunk and writes the verdicts in bulk.  ``progress(n)`` is told after each chunk how many
    projects it held."""
    compiled = catalogue()
    version = current_version()
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    old = _outcomes_now()
    Verdict.objects.all().delete()
    columns = _verdict_columns()
    done = changed = 0
    # Millions of short-lived objects: the cyclic collector would rescan the growing heap
    # again and again (as in the scoring batch); nothing here makes reference cycles.
    with paused_collector():
        # Every project's facts first, then the rules chunk by chunk while a writer thread
        # stores the previous chunk's verdicts: no read has to wait for a write.
        every = plain_values(Project.objects.order_by("pk"), _READ_FIELDS)
        chunks = [every[start : start + CHUNK * 5] for start in range(0, len(every), CHUNK * 5)]
        with pipelined_inserts():
            for rows in chunks:
                verdicts = list(_verdict_rows(rows, compiled, version, stamp))
                insert_rows(Verdict._meta.db_table, columns, verdicts)
                if old:
                    changed += _record_outcome_changes(old, verdicts, rows, version)
                done += len(rows)
                if progress is not None:
                    progress(len(rows))
    return BatchCount(done, changed)


def projects_with_outcome(outcome: str) -> Any:
    """The ids of the projects whose verdict is ``outcome``, as a subquery other mechanisms'
    lists can filter on (``pk__in=``) without reading screening's tables themselves."""
    return Verdict.objects.filter(outcome=outcome).values("project_id")


@transaction.atomic
def outcomes(project_ids: Iterable[int]) -> dict[int, str]:
    """ "pass", "warn" or "block" for each of these projects, computing and storing a verdict
    for any that has none yet.  Ids of projects that do not exist are left out."""
    wanted = sorted({int(pk) for pk in project_ids})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 900):
        found.update(
            Verdict.objects.filter(project_id__in=wanted[start : start + 900]).values_list("project_id", "outcome")
        )
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        found.update(screen_projects(missing))
    return found


def screening_listener(project_ids: list[int]) -> None:
    """Registered with the pipeline: the verdicts follow every change of facts."""
    screen_projects(project_ids)


# -- the gate ---------------------------------------------------------------------------------

_AFTER_NEGOTIATING = frozenset(pipeline.PIPELINE[pipeline.PIPELINE.index(pipeline.NEGOTIATING) + 1 :])


def gate(project: Project, target: str) -> list[str]:
    """Registered with the pipeline: a project the screening blocks may not move past
    negotiating.  The verdict is computed from the project's current facts (the object may
    be unsaved, as in an import), so a stale stored verdict never lets one through.

    Moving back (a correction) is not stopped: it takes the project away from signing."""
    if target not in _AFTER_NEGOTIATING:
        return []
    if project.stage in pipeline.PIPELINE and pipeline.PIPELINE.index(target) <= pipeline.PIPELINE.index(project.stage):
        return []
    result = screen_project(project)
    if result.outcome != rules.BLOCK:
        return []
    english = (get_language() or "").startswith("en")
    by_rule: dict[str, list[rules.Hit]] = {}
    for hit in result.blocks:
        by_rule.setdefault(hit.rule, []).append(hit)
    refusals = []
    for code, hits in by_rule.items():
        refusals.append(
            _("Screening blocks this project (%(rule)s): %(message)s [%(facts)s]")
            % {
                "rule": code,
                "message": hits[0].message_en if english else hits[0].message_zh,
                "facts": "; ".join(f"{rules.FACT_LABELS.get(h.fact, h.fact)}: {h.value}" for h in hits),
            }
        )
    return refusals


# -- the catalogue: rules -----------------------------------------------------------------------


class RuleFields(TypedDict, total=False):
    """What an editor gives for a rule (lists may come as text, as the form types them)."""

    code: str
    family: str
    category: str
    kind: str
    basis: str
    provenance: str
    item_number: str
    item_text: str
    source: str
    industry_prefixes: list[str] | str
    keywords: list[str] | str
    keyword_facts: list[str] | str
    except_terms: list[str] | str
    numeric_check: str
    params: dict[str, Any]
    message_zh: str
    message_en: str
    active: bool


RULE_FIELDS: tuple[str, ...] = tuple(RuleFields.__annotations__)
_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,59}$")
_SPLIT_RE = re.compile(r"[,，、;；\s]+")


def split_list(value: Any, separators: re.Pattern[str] = _SPLIT_RE) -> list[str]:
    """A list typed as text ("3041, 3011" or one per line) or given as a list, cleaned:
    items stripped, empty and repeated ones left out."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else separators.split(str(value))
    out: list[str] = []
    for item in items:
        text = str(item).strip()
        if text and text not in out:
            out.append(text)
    return out


# Keywords may contain spaces ("P2P 平台" is unusual but allowed), so only the list
# separators split them: commas, the Chinese enumeration comma, semicolons, new lines.
_KEYWORD_SPLIT_RE = re.compile(r"[,，、;；\n\r]+")


def _split_keywords(value: Any) -> list[str]:
    return split_list(value, _KEYWORD_SPLIT_RE)


EDITOR_ONLY = gettext_lazy("Only coordinators and leaders may change the screening catalogue.")


def require_editor(user: Actor, target: Any = Rule, action: str = CHANGE) -> None:
    """Only coordinators and leaders change the catalogue (the catalogue models' rule)."""
    require(user, action, target, str(EDITOR_ONLY))


def prefix_errors(prefixes: Sequence[str]) -> list[str]:
    """Industry prefixes that are not GB/T 4754-2017 codes."""
    if not prefixes:
        return []
    known = set(IndustryCode.objects.filter(code__in=list(prefixes)).values_list("code", flat=True))
    return [p for p in prefixes if p not in known]


def keyword_errors(keywords: Sequence[str]) -> list[str]:
    return [
        _("“%(keyword)s” is too short: a keyword needs at least 2 characters.") % {"keyword": k}
        for k in keywords
        if len(k) < 2
    ] + [
        _("“%(keyword)s” is too long: at most 50 characters.") % {"keyword": k[:20] + "…"}
        for k in keywords
        if len(k) > 50
    ]


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k in RULE_FIELDS}
    if "code" in values:
        values["code"] = str(values["code"] or "").strip().upper()
    if "industry_prefixes" in values:
        values["industry_prefixes"] = [p.upper() for p in split_list(values["industry_prefixes"])]
    for key in ("keywords", "except_terms"):
        if key in values:
            values[key] = _split_keywords(values[key])
    if "keyword_facts" in values:
        values["keyword_facts"] = [f for f in split_list(values["keyword_facts"])]
    for key in ("basis", "item_number", "item_text", "source", "message_zh", "message_en"):
        if key in values:
            values[key] = str(values[key] or "").strip()
    if "numeric_check" in values:
        values["numeric_check"] = str(values["numeric_check"] or "").strip()
    return values


def _params_text(params: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items()}


def _validate(rule: Rule) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not _CODE_RE.match(rule.code or ""):
        add("code", _("Use capital letters, digits and hyphens, e.g. 3NO-OVERCAP-GLASS."))
    expected_family = FAMILY_OF_CATEGORY.get(rule.category)
    if expected_family and not rule.family:
        rule.family = expected_family
    elif expected_family and rule.family != expected_family:
        add("family", _("This category belongs to the other family."))
    unknown = prefix_errors(rule.industry_prefixes)
    if unknown:
        add(
            "industry_prefixes",
            _("Not GB/T 4754-2017 codes: %(codes)s.") % {"codes": "、".join(unknown)},
        )
    for message in keyword_errors(rule.keywords):
        add("keywords", message)
    for message in keyword_errors(rule.except_terms):
        add("except_terms", message)
    bad_facts = [f for f in rule.keyword_facts if f not in rules.KEYWORD_FACTS]
    if bad_facts:
        add("keyword_facts", _("Unknown text facts: %(facts)s.") % {"facts": "、".join(bad_facts)})
    if rule.keywords and not rule.keyword_facts:
        rule.keyword_facts = list(rules.KEYWORD_FACTS)
    given = rule.params or {}
    if rule.numeric_check:
        values, problems = rules.check_params(rule.numeric_check, given)
        for problem in problems:
            kind, _sep, name = problem.partition(":")
            if kind == "unknown-check":
                add("numeric_check", _("Unknown numeric check."))
            elif kind == "unknown-param":
                add("params", _("The check has no parameter “%(name)s”.") % {"name": name})
            else:
                add("params", _("“%(name)s” must be a number of 0 or more.") % {"name": name})
        if not problems:
            rule.params = _params_text(values)
    elif given:
        add("params", _("Parameters need a numeric check."))
    if not (rule.industry_prefixes or rule.keywords or rule.numeric_check):
        add(
            "industry_prefixes",
            _("A rule needs something to match: industry codes, keywords or a numeric check."),
        )
    if rule.provenance == Provenance.QUOTED:
        if not rule.item_number or not rule.item_text:
            add("item_text", _("A quoted catalogue item needs its item number and its exact wording."))
        if not rule.source:
            add("source", _("Say where the quoted wording was taken from."))
    elif rule.item_number or rule.item_text:
        add(
            "item_text",
            _("Only a quoted catalogue item carries an item number and wording; otherwise leave them empty."),
        )
    if errors:
        raise ValidationError(errors)


def _after_catalogue_change(user: Actor) -> Any:
    """A new catalogue version; every project is screened again in a job once the change
    commits (the pipeline's gate screens a project's current facts with the catalogue as it
    is, so nothing waits for the job to be right)."""
    bump_version()
    return request_rescreen(user)


def request_rescreen(user: Actor) -> Any:
    """Every project screened again against the catalogue as it is, as a job once the current
    transaction commits (its page shows the progress)."""
    from zhaoshang.jobs.services import enqueue
    from zhaoshang.screening.jobs import RESCREEN

    return enqueue(RESCREEN, user=person(user))


@attributed
@transaction.atomic
def rule_create(*, data: RuleFields, user: Actor) -> Rule:
    """Add a rule to the catalogue (coordinators and leaders), then re-screen every project."""
    require_editor(user, Rule, CREATE)
    values = _normalise(data)
    rule = Rule(**values)
    rule.added_by = person(user)
    _validate(rule)
    rule.full_clean()
    rule.save()
    record_change(rule, action=ChangeAction.CREATE, after=snapshot(rule))
    _after_catalogue_change(user)
    return rule


@attributed
@transaction.atomic
def rule_update(*, rule: Rule, data: RuleFields, user: Actor, revision: int | None = None) -> Rule:
    """Change a rule (coordinators and leaders), then re-screen every project.  The rule is
    read again, locked, inside the transaction; a save started from an older ``revision`` is
    refused (``StaleEdit``).  A refused change leaves the rule as it was."""
    locked = Rule.objects.select_for_update().get(pk=rule.pk)
    require_editor(user, locked)
    check_revision(locked, revision)
    before = snapshot(locked)
    values = _normalise(data)
    values.pop("code", None)  # verdicts name the rule by its code: it does not change
    for key, value in values.items():
        setattr(locked, key, value)
    _validate(locked)
    locked.full_clean()
    after = snapshot(locked)
    if after == before:
        return rule
    bump(locked)
    locked.save()
    record_change(locked, action=ChangeAction.UPDATE, before=before, after=after)
    copy_into(rule, locked)
    _after_catalogue_change(user)
    return rule


@attributed
@transaction.atomic
def rule_set_active(*, rule: Rule, active: bool, user: Actor, reason: str = "") -> Rule:
    """Deactivate (or reactivate) a rule, with an optional reason in the change log."""
    locked = Rule.objects.select_for_update().get(pk=rule.pk)
    require_editor(user, locked)
    if locked.active == active:
        copy_into(rule, locked)
        return rule
    before = snapshot(locked)
    locked.active = active
    bump(locked)
    locked.save(update_fields=["active", "updated", "revision"])
    record_change(locked, action=ChangeAction.UPDATE, before=before, after=snapshot(locked), message=reason.strip())
    copy_into(rule, locked)
    _after_catalogue_change(user)
    return rule


def rule_deactivate(*, rule: Rule, user: Actor, reason: str = "") -> Rule:
    """Take a rule out of the screening (kept, with its history)."""
    return rule_set_active(rule=rule, active=False, user=user, reason=reason)


@attributed
@transaction.atomic
def entry_set_active(*, entry: CatalogueEntry, active: bool, user: Actor) -> CatalogueEntry:
    """Take a catalogue entry out of the screening or back in."""
    locked = CatalogueEntry.objects.select_for_update().get(pk=entry.pk)
    require_editor(user, locked)
    if locked.active == active:
        copy_into(entry, locked)
        return entry
    before = snapshot(locked)
    locked.active = active
    bump(locked)
    locked.save(update_fields=["active", "updated", "revision"])
    record_change(locked, action=ChangeAction.UPDATE, before=before, after=snapshot(locked))
    copy_into(entry, locked)
    _after_catalogue_change(user)
    return entry


@attributed
@transaction.atomic
def entries_import(
    *, user: Actor, creates: Sequence[CatalogueEntry], updates: Sequence[tuple[CatalogueEntry, dict[str, Any]]]
) -> int:
    """The catalogue's entries from an import sheet (checked by ``screening.io``): new ones
    and changed ones (each with its state before), audited, then one new catalogue version
    and every project re-screened.  Returns how many entries were written."""
    require_editor(user, CatalogueEntry, IMPORT)
    if not creates and not updates:
        return 0
    created = CatalogueEntry.objects.bulk_create(list(creates))
    for entry, _before in updates:
        bump(entry)
        entry.save()
    record_changes_bulk(
        [(e, ChangeAction.CREATE, None, snapshot(e)) for e in created]
        + [(e, ChangeAction.UPDATE, before, snapshot(e)) for e, before in updates],
        message=_("catalogue import"),
    )
    _after_catalogue_change(user)
    return len(created) + len(updates)


# -- pre-screening a list of candidates --------------------------------------------------------


class Candidate(TypedDict):
    """One row of a candidate list as pre-screened: its sheet row, name, verdict and hits."""

    row: int
    name: str
    verdict: str
    hits: list[dict[str, str]]


def prescreen(data: bytes, filename: str) -> list[Candidate]:
    """Screen every row of a candidate list (CSV or XLSX, headers of
    ``rules.CANDIDATE_COLUMNS`` in the first row) against the current catalogue, saving
    nothing.  Rows come back in file order, blank rows left out; a hit names its rule, kind,
    basis and the fact that fired it ("项目名称：电解铝").  Raises ``FileRefused`` for a
    file that cannot be read or has none of the columns."""
    kind = check_upload(data, filename)
    table = read_xlsx(data) if kind == "xlsx" else read_csv(data)
    if not table:
        raise FileRefused(_("The file has no data rows under the header."))
    header = rules.candidate_header(table[0])
    if not header:
        raise FileRefused(
            _("The first row names none of the columns: %(columns)s.") % {"columns": "、".join(rules.CANDIDATE_COLUMNS)}
        )
    compiled = catalogue()
    out: list[Candidate] = []
    for number, cells in enumerate(table[1:], start=2):
        if rules.is_blank_row(cells):
            continue
        facts = rules.candidate_facts(cells, header)
        result = rules.screen(facts, compiled)
        out.append(
            Candidate(
                row=number,
                name=str(facts.get("name") or ""),
                verdict=result.outcome,
                hits=[
                    {
                        "rule": h.rule,
                        "kind": h.kind,
                        "basis": h.basis,
                        "fact": f"{rules.FACT_LABELS.get(h.fact, h.fact)}：{h.value}",
                    }
                    for h in result.hits
                ],
            )
        )
    return out
