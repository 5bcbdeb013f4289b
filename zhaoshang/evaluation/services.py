"""Writes of the evaluation: scheme versions, scores, and the simplified rating procedure.

- ``scheme_version_create`` adds a numbered version (coordinators and leaders), activates it
  and re-scores every project;
- ``score_projects(ids)`` and ``score_all()`` compute scores in bulk and follow every change
  of a project's facts (registered as a listener of the pipeline);
- ``fast_track_confirm``, ``meeting_create``, ``opinion_set``, ``meeting_decide`` and
  ``condition_done`` are the rating procedure; ``signing_gate`` (registered as a gate) lets a
  project be signed only after a positive decision or a fast-track confirmation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhaoshang.core.audit import attributed, record_change, snapshot, write_change_rows
from zhaoshang.core.bulk import BatchCount, insert_rows, paused_collector, pipelined_inserts
from zhaoshang.core.editing import bump
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import CHANGE, CREATE, OPINE, RATE, Actor, may, person, require
from zhaoshang.evaluation import rules, selectors
from zhaoshang.evaluation.models import (
    Decision,
    FastTrack,
    Opinion,
    ProjectCondition,
    ReviewMeeting,
    ReviewOpinion,
    Scheme,
    SchemeVersion,
    Score,
)
from zhaoshang.projects import rules as pipeline

if TYPE_CHECKING:
    from zhaoshang.projects.models import Project

DEFAULT_SCHEME_FILE = Path(__file__).resolve().parent / "data" / "default_scheme.json"
CHUNK = 5000


def default_scheme_data() -> dict[str, Any]:
    """The default scheme shipped with the app (also loaded by the data migration)."""
    return json.loads(DEFAULT_SCHEME_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# -- schemes ----------------------------------------------------------------------------------


def _version_errors(
    *,
    indicators: Any,
    vetoes: Any,
    hard_thresholds: Any,
    intensity_floor: Any,
    tax_floor: Any,
    grade_bounds: Sequence[Any],
) -> list[str]:
    try:
        rules.spec_from_data(
            indicators=indicators,
            vetoes=vetoes,
            thresholds=hard_thresholds,
            floors={"investment_intensity": intensity_floor, "tax_per_mu": tax_floor},
            grade_bounds=grade_bounds,
        )
    except rules.SchemeError as exc:
        return exc.errors
    return []


def _ensure_default() -> SchemeVersion:
    """The active version, loading the shipped default when the database has none (the data
    migration loads it; a flushed test database may not have it)."""
    version = selectors.active_version()
    if version is not None:
        return version
    data = default_scheme_data()
    scheme, created = Scheme.objects.get_or_create(name=data["name"]["zh-hans"])
    if created:
        record_change(scheme, action=ChangeAction.CREATE)
    number = (scheme.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    a, b, c = (Decimal(str(x)) for x in data["grade_bounds"])
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=number,
        indicators=data["indicators"],
        vetoes=data["vetoes"],
        hard_thresholds=data["hard_thresholds"],
        intensity_floor=Decimal(str(data["floors"]["investment_intensity"])),
        tax_floor=Decimal(str(data["floors"]["tax_per_mu"])),
        grade_a=a,
        grade_b=b,
        grade_c=c,
        note=data.get("note", ""),
        active=True,
    )
    record_change(version, action=ChangeAction.CREATE)
    return version


@attributed
@transaction.atomic
def scheme_version_create(
    *,
    user: Actor,
    indicators: list[dict[str, Any]],
    vetoes: list[dict[str, Any]],
    hard_thresholds: list[dict[str, Any]],
    intensity_floor: Decimal,
    tax_floor: Decimal,
    grade_bounds: Sequence[Decimal],
    note: str = "",
) -> SchemeVersion:
    """Add a new version of the scheme, make it the active one, and re-score every project
    in a job (``request_rescore``) once this commits.

    Only coordinators and leaders may.  Refused, with every problem listed and nothing
    changed, when the weights do not add up to 100, the grade bounds are not ordered, or a
    criterion is malformed."""
    require(user, CREATE, SchemeVersion, _("Only coordinators and leaders may change the scoring scheme."))
    errors = _version_errors(
        indicators=indicators,
        vetoes=vetoes,
        hard_thresholds=hard_thresholds,
        intensity_floor=intensity_floor,
        tax_floor=tax_floor,
        grade_bounds=grade_bounds,
    )
    if errors:
        raise ValidationError(errors)
    current = _ensure_default()
    scheme = current.scheme
    number = (scheme.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    before = snapshot(current)
    SchemeVersion.objects.filter(pk=current.pk).update(active=False)
    current.active = False
    record_change(current, action=ChangeAction.UPDATE, before=before, after=snapshot(current))
    a, b, c = grade_bounds
    version = SchemeVersion(
        scheme=scheme,
        number=number,
        indicators=indicators,
        vetoes=vetoes,
        hard_thresholds=hard_thresholds,
        intensity_floor=intensity_floor,
        tax_floor=tax_floor,
        grade_a=a,
        grade_b=b,
        grade_c=c,
        note=note.strip(),
        created_by=person(user),
        active=True,
    )
    version.full_clean()
    version.save()
    record_change(version, action=ChangeAction.CREATE, message=_("scheme version %(n)s") % {"n": number})
    request_rescore(user)
    return version


def request_rescore(user: Actor) -> Any:
    """Every project scored again with the scheme in force, as a job once the change commits
    (its page shows the progress); scores already computed stay until then."""
    from zhaoshang.evaluation.jobs import RESCORE
    from zhaoshang.jobs.services import enqueue

    return enqueue(RESCORE, user=person(user))


# -- scores -----------------------------------------------------------------------------------

_SPECS: dict[tuple[int, str], rules.SchemeSpec] = {}


def _spec(version: SchemeVersion) -> rules.SchemeSpec:
    # Versions never change once written, so the parsed spec is kept per version (keyed with
    # its creation time too, so that a test database reusing an id is not confused).
    key = (version.pk, version.created.isoformat() if version.created else "")
    spec = _SPECS.get(key)
    if spec is None:
        spec = _SPECS[key] = version.spec()
    return spec


try:  # orjson encodes the scores' JSON several times faster; the standard library otherwise
    import orjson

    def _dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

except ImportError:  # pragma: no cover

    def _dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)


_SCORE_COLUMNS = (
    "project_id",
    "version_id",
    "total",
    "grade",
    "contributions",
    "vetoes",
    "caps",
    "missing",
    "computed_at",
)


def _score_rows(
    rows: Iterable[Sequence[Any]], reader: selectors.FactReader, spec: rules.SchemeSpec, version_id: int, now: Any
) -> list[tuple[Any, ...]]:
    empty = "[]"
    out: list[tuple[Any, ...]] = []
    for row in rows:
        result = rules.score(reader.facts(row), spec, hints=False)
        out.append(
            (
                row[0],
                version_id,
                result.total,
                result.grade,
                _dumps(result.contributions_json()),
                _dumps(result.vetoes) if result.vetoes else empty,
                _dumps(result.caps_json()) if result.caps else empty,
                _dumps(result.missing) if result.missing else empty,
                now,
            )
        )
    return out


def _write(out: list[tuple[Any, ...]]) -> None:
    by_attname = {f.attname: f.column for f in Score._meta.concrete_fields}
    insert_rows(Score._meta.db_table, [by_attname[name] for name in _SCORE_COLUMNS], out)


def _now_for_db() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _grades_now(ids: Sequence[int] | None = None) -> dict[int, tuple[str, Any]]:
    """The stored (grade, total) of these projects, or of every project."""
    qs = Score.objects.all() if ids is None else Score.objects.filter(project_id__in=list(ids))
    return {pk: (grade, total) for pk, grade, total in qs.values_list("project_id", "grade", "total")}


def _record_grade_changes(
    old: dict[int, tuple[str, Any]], rows: Sequence[Sequence[Any]], version: SchemeVersion
) -> int:
    """A history entry on every project whose grade changed (a project scored for the first
    time has no grade to change from): scores are derived data, but a grade that moves is
    worth a line in the project's history."""
    from zhaoshang.projects.models import Project

    changed = []
    for row in rows:
        pk, total, grade = row[0], row[2], row[3]
        before = old.get(pk)
        if before is not None and before[0] != grade:
            changed.append((pk, before, (grade, total)))
    if not changed:
        return 0
    names = dict(Project.objects.filter(pk__in=[pk for pk, _b, _a in changed]).values_list("pk", "name"))
    message = _("score with scheme version %(n)s") % {"n": version.number}
    write_change_rows(
        [
            (
                Project,
                pk,
                names.get(pk, ""),
                ChangeAction.UPDATE,
                {"grade": before[0], "score": str(before[1])},
                {"grade": after[0], "score": str(after[1])},
                None,
            )
            for pk, before, after in changed
        ],
        message=message,
    )
    return len(changed)


@transaction.atomic
def score_projects(project_ids: Iterable[int], *, version: SchemeVersion | None = None) -> int:
    """(Re)compute the scores of these projects with the active version; returns how many.
    Registered as a listener of the pipeline, so scores follow every change of facts."""
    from zhaoshang.projects.models import Project

    ids = sorted({int(pk) for pk in project_ids})
    if not ids:
        return 0
    version = version or _ensure_default()
    spec = _spec(version)
    reader = selectors.FactReader(selectors.chain_prefixes())
    now = _now_for_db()
    written = 0
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        out = _score_rows(selectors.facts_rows(Project.objects.filter(pk__in=chunk)), reader, spec, version.pk, now)
        old = _grades_now(chunk)
        Score.objects.filter(project_id__in=chunk).delete()
        _write(out)
        _record_grade_changes(old, out, version)
        written += len(out)
    return written


@transaction.atomic
def score_all(
    progress: Callable[[int, int], None] | None = None, *, version: SchemeVersion | None = None
) -> BatchCount:
    """Re-score every project with the active version in one batch: the facts are read in
    chunks of plain rows (enterprise joined, chain fit from one query of prefixes), scored by
    the pure rules and written as plain rows; ``progress(done, total)`` after each chunk.
    Every grade that changed goes to its project's history."""
    from zhaoshang.projects.models import Project

    version = version or _ensure_default()
    spec = _spec(version)
    reader = selectors.FactReader(selectors.chain_prefixes())
    total = Project.objects.count() if progress is not None else 0
    now = _now_for_db()
    old = _grades_now()
    Score.objects.all().delete()
    done = changed = 0
    # The batch makes millions of short-lived objects; the cyclic collector would rescan the
    # growing heap again and again (measured: it doubled the time of 100,000 projects).
    with paused_collector():
        # Every project's facts first, then the rules chunk by chunk while a writer thread
        # stores the previous chunk's scores: no read has to wait for a write.
        rows = list(selectors.facts_rows(Project.objects.all(), chunk_size=CHUNK))
        with pipelined_inserts():
            for start in range(0, len(rows), CHUNK):
                batch = rows[start : start + CHUNK]
                out = _score_rows(batch, reader, spec, version.pk, now)
                _write(out)
                if old:
                    changed += _record_grade_changes(old, out, version)
                done += len(batch)
                if progress is not None:
                    progress(done, total)
    if progress is not None:
        progress(done, total)
    return BatchCount(done, changed)


def facts_listener(project_ids: list[int]) -> None:
    """Scores follow the projects' facts (registered with the pipeline)."""
    score_projects(project_ids)


# -- screening, through its service ------------------------------------------------------------


def screening_outcomes(project_ids: Iterable[int]) -> dict[int, str]:
    """ "pass" | "warn" | "block" per project, from the screening app's service.  Without that
    app nothing is known, and a project without a known "pass" is not fast-tracked."""
    try:
        from zhaoshang.screening.services import outcomes  # type: ignore[attr-defined]
    except ImportError:
        return {}
    return dict(outcomes(list(project_ids)))


def screening_projects_with(outcome: str) -> Any:
    """Ids of the projects screened with ``outcome`` (a subquery), from screening's service."""
    from zhaoshang.screening.services import projects_with_outcome

    return projects_with_outcome(outcome)


# -- the rating procedure -----------------------------------------------------------------------


# Screening's outcome codes as the user reads them (the same words as screening's own).
OUTCOME_LABELS = {"pass": gettext_lazy("pass"), "warn": gettext_lazy("warning"), "block": gettext_lazy("blocked")}


def fast_track_errors(project: Project) -> list[str]:
    """Why ``project`` cannot be fast-tracked now (empty when it can): it must be at review,
    graded A by its current score without a veto, and screened "pass" (no warning)."""
    errors: list[str] = []
    if project.stage != pipeline.REVIEW:
        errors.append(_("Only a project at review can be fast-tracked."))
    score = Score.objects.filter(project_id=project.pk).first()
    if score is None:
        errors.append(_("The project has no score yet."))
    else:
        if score.vetoes:
            errors.append(_("A compliance veto applies to the project."))
        if score.grade != "A":
            errors.append(_("The project is graded %(grade)s; fast track needs grade A.") % {"grade": score.grade})
    outcome = screening_outcomes([project.pk]).get(project.pk, "")
    if outcome != "pass":
        errors.append(
            _("The screening outcome is “%(outcome)s”; fast track needs a pass without warnings.")
            % {"outcome": OUTCOME_LABELS.get(outcome, outcome) if outcome else _("unknown")}
        )
    if selectors.procedure_of(project.pk).cleared:
        errors.append(_("The project is already cleared for signing."))
    return errors


@attributed
@transaction.atomic
def fast_track_confirm(*, project: Project, user: Actor) -> FastTrack:
    """A coordinator confirms in one click that an eligible project skips the review meeting."""
    from zhaoshang.projects.models import Project

    locked = Project.objects.select_for_update().get(pk=project.pk)
    require(user, RATE, locked, _("Only coordinators and leaders may confirm a fast track."))
    errors = fast_track_errors(locked)
    if errors:
        raise ValidationError(errors)
    score = Score.objects.get(project_id=locked.pk)
    track = FastTrack(
        project=locked,
        confirmed_by=person(user),
        confirmed_at=timezone.now(),
        total=score.total,
        grade=score.grade,
        version_id=score.version_id,
    )
    track.full_clean()
    track.save()
    record_change(track, action=ChangeAction.CREATE, message=_("fast track confirmed"))
    record_change(locked, action=ChangeAction.UPDATE, before=snapshot(locked), message=_("fast track confirmed"))
    return track


@attributed
@transaction.atomic
def meeting_create(*, project: Project, user: Actor, date: dt.date, members: Sequence[Any]) -> ReviewMeeting:
    """Convene a review meeting (联审会) on a project at review, with its members."""
    require(user, RATE, project, _("Only coordinators and leaders may convene a review meeting."))
    if project.stage != pipeline.REVIEW:
        raise ValidationError(_("A review meeting is held for a project at review."))
    people = {m.pk: m for m in members if m is not None}
    if not people:
        raise ValidationError(_("A review meeting needs at least one member."))
    meeting = ReviewMeeting(project=project, date=date, created_by=person(user))
    meeting.full_clean()
    meeting.save()
    meeting.members.set(list(people.values()))
    after = {**snapshot(meeting), "members": sorted(people)}
    record_change(meeting, action=ChangeAction.CREATE, after=after)
    return meeting


@attributed
@transaction.atomic
def opinion_set(
    *, meeting: ReviewMeeting, member: Any, user: Actor, opinion: str, conditions: str = ""
) -> ReviewOpinion:
    """Record (or change, until the decision) a member's opinion.  A member records their
    own; the coordinator may record one on a member's behalf."""
    meeting = ReviewMeeting.objects.select_for_update().get(pk=meeting.pk)
    require(user, OPINE, meeting, _("A member records their own opinion."))
    if getattr(user, "pk", None) != member.pk and not may(user, RATE, meeting):
        raise PermissionDenied(_("A member records their own opinion."))
    if meeting.is_decided:
        raise ValidationError(_("The meeting has decided; opinions can no longer change."))
    if not meeting.members.filter(pk=member.pk).exists():
        raise ValidationError(_("%(member)s is not a member of this meeting.") % {"member": member})
    if opinion not in Opinion.values:
        raise ValidationError(_("Choose approve, approve with conditions or reject."))
    conditions = (conditions or "").strip()
    if opinion == Opinion.APPROVE_WITH_CONDITIONS and not conditions:
        raise ValidationError(_("Approving with conditions needs the conditions."))
    existing = ReviewOpinion.objects.filter(meeting=meeting, member=member).first()
    before = snapshot(existing) if existing is not None else None
    record = existing or ReviewOpinion(meeting=meeting, member=member)
    record.opinion = opinion
    record.conditions = conditions
    record.full_clean()
    record.save()
    record_change(record, action=ChangeAction.UPDATE if existing else ChangeAction.CREATE, before=before)
    return record


@attributed
@transaction.atomic
def meeting_decide(
    *, meeting: ReviewMeeting, user: Actor, decision: str, reason: str = "", conditions: str = ""
) -> ReviewMeeting:
    """Record the meeting's decision once every member has given an opinion.  The conditions
    of an approval with conditions (one per line) become follow-up items on the project."""
    meeting = ReviewMeeting.objects.select_for_update().select_related("project").get(pk=meeting.pk)
    require(user, RATE, meeting, _("Only coordinators and leaders may record a review decision."))
    if meeting.is_decided:
        raise ValidationError(_("The meeting has already decided."))
    errors: list[str] = []
    if decision not in Decision.values:
        errors.append(_("Choose approved, approved with conditions or rejected."))
    given = set(meeting.opinions.values_list("member_id", flat=True))
    waiting = [str(m) for m in meeting.members.all() if m.pk not in given]
    if waiting:
        errors.append(_("Opinions are still missing from: %(members)s.") % {"members": "、".join(waiting)})
    lines = [line.strip() for line in (conditions or "").splitlines() if line.strip()]
    if decision == Decision.APPROVED_WITH_CONDITIONS and not lines:
        errors.append(_("An approval with conditions needs the conditions, one per line."))
    if decision == Decision.REJECTED and not reason.strip():
        errors.append(_("A rejection needs its reason."))
    if errors:
        raise ValidationError(errors)
    before = snapshot(meeting)
    meeting.decision = decision
    meeting.decision_reason = reason.strip()
    meeting.conditions = "\n".join(lines) if decision == Decision.APPROVED_WITH_CONDITIONS else ""
    meeting.decided_by = person(user)
    meeting.decided_at = timezone.now()
    meeting.save(update_fields=["decision", "decision_reason", "conditions", "decided_by", "decided_at", "updated"])
    record_change(meeting, action=ChangeAction.UPDATE, before=before, message=_("review decision"))
    for line in meeting.condition_lines():
        condition = ProjectCondition.objects.create(project=meeting.project, text=line, meeting=meeting)
        record_change(condition, action=ChangeAction.CREATE)
    return meeting


@attributed
@transaction.atomic
def condition_done(*, condition: ProjectCondition, user: Actor, done: bool = True) -> ProjectCondition:
    """Mark a follow-up condition as met (or reopen it)."""
    condition = ProjectCondition.objects.select_for_update().get(pk=condition.pk)
    require(user, CHANGE, condition, _("You may not change this project's conditions."))
    before = snapshot(condition)
    condition.done = done
    condition.done_by = person(user) if done else None
    condition.done_at = timezone.now() if done else None
    bump(condition)
    condition.save(update_fields=["done", "done_by", "done_at", "updated", "revision"])
    record_change(condition, action=ChangeAction.UPDATE, before=before)
    return condition


# -- the signing gate ---------------------------------------------------------------------------

_SIGNED_AT = pipeline.PIPELINE.index(pipeline.SIGNED)


def signing_gate(project: Project, target: str) -> list[str]:
    """A project crossing into signed (or any later stage) needs a positive review decision
    or a fast-track confirmation; a rejection refuses with its reason.

    Not gated: an unsaved project (an import creating it directly at a later stage: history
    decided before the platform) and a project already at or past signed (it was signed)."""
    if target not in pipeline.PIPELINE or pipeline.PIPELINE.index(target) < _SIGNED_AT:
        return []
    if project.pk is None:
        return []
    current = project.held_at_stage if project.stage == pipeline.ON_HOLD else project.stage
    if current in pipeline.PIPELINE and pipeline.PIPELINE.index(current) >= _SIGNED_AT:
        return []
    procedure = selectors.procedure_of(project.pk)
    if procedure.cleared:
        return []
    if procedure.rejected and procedure.meeting is not None:
        return [
            _("The review meeting of %(date)s rejected the project: %(reason)s")
            % {"date": procedure.meeting.date.isoformat(), "reason": procedure.meeting.decision_reason}
        ]
    return [_("Signing needs a positive review-meeting decision or a fast-track confirmation.")]
