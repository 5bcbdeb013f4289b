"""Writes to the project pipeline: the only writer of projects, for one record or a sheet.

Every service is keyword-only, atomic, permitted through ``core.scoping.require`` whoever
calls it (a view, an import, a command, a job), versioned (``core.editing``) and audited.  The
decisions are the pure functions of ``projects.rules`` (``project_errors``, ``check_move``,
``move_effects``, ``kept_facts_errors``) plus the gates later mechanisms register; the import
calls the same functions for every row and hands its checked rows to ``ProjectBulkWrite``.
Every stage move of a single project goes through ``project_move``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhaoshang.core.audit import acting, attributed, current_context, record_change, snapshot
from zhaoshang.core.bulk import insert_rows
from zhaoshang.core.editing import bump, check_revision, copy_into
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import CHANGE, CREATE, IMPORT, MOVE, OVERRIDE, Actor, may, require, scope_for
from zhaoshang.core.tabular.writing import Ref, RowWriter, log_changes, reserve_ids, update_rows
from zhaoshang.projects import rules
from zhaoshang.projects.models import (
    MemberRole,
    Project,
    ProjectContact,
    ProjectCredit,
    ProjectFields,
    ProjectMember,
    Stage,
    StageChange,
)

EDITABLE_FIELDS = Project.EDITABLE_FIELDS

# A gate looks at a project and the stage it is asked to enter and returns the reasons it
# may not (empty when it may).  Later mechanisms (screening, evaluation) register theirs.
Gate = Callable[[Project, str], list[str]]
_GATES: list[Gate] = []


def register_gate(gate: Gate) -> None:
    """Add a gate every move into a pipeline stage must pass (once, however often called)."""
    if gate not in _GATES:
        _GATES.append(gate)


# A listener hears which projects' facts changed (created, edited, imported, or their
# enterprise edited), inside the writing transaction, so that what it derives from the facts
# (screening verdicts, scores) is never out of step with them.
Listener = Callable[[list[int]], None]
_LISTENERS: list[Listener] = []


def register_listener(listener: Listener) -> None:
    """Call ``listener(project_ids)`` whenever those projects' facts change (once per listener)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def facts_changed(project_ids: Iterable[int]) -> None:
    """Tell every listener that these projects' facts changed."""
    ids = sorted({int(pk) for pk in project_ids})
    if not ids:
        return
    for listener in _LISTENERS:
        listener(ids)


def enterprise_listener(enterprise_ids: list[int]) -> None:
    """An enterprise's facts are its projects' facts too (strength, business scope)."""
    facts_changed(Project.objects.filter(enterprise_id__in=enterprise_ids).values_list("pk", flat=True))


class MoveRefused(ValidationError):
    """The move broke a rule; ``reasons`` lists every one, for the user."""

    def __init__(self, errors: Iterable[Any]) -> None:
        self.reasons = [str(e) for e in errors]
        super().__init__(self.reasons, code="move_refused")


def values_of(project: Project) -> dict[str, Any]:
    """A project's plain values by attname, as the rules read them."""
    return {f.attname: getattr(project, f.attname) for f in Project._meta.concrete_fields}


def check_facts(project: Project) -> None:
    """The one validation of a project's facts, on the object about to be saved: its values
    normalised (``rules.normalise``) and every rule of ``rules.project_errors`` and
    ``rules.kept_facts_errors`` applied; raises with every problem."""
    values = values_of(project)
    rules.normalise(values)
    project.name = values["name"]
    project.investor_name = values["investor_name"]
    project.priority_band = values["priority_band"]
    errors: dict[str, list[Any]] = {}
    for name, message in rules.project_errors(values):
        errors.setdefault(name, []).append(message)
    kept = rules.kept_facts_errors(project.facts(), project.stage, project.held_at_stage)
    if kept:
        errors.setdefault("__all__", []).extend(kept)
    if errors:
        raise ValidationError(errors)


def _attribution(user: Actor, unit_id: int | None, current: int | None) -> None:
    from zhaoshang.org.selectors import attribution_errors

    errors = attribution_errors(user, unit_id, current=current)
    if errors:
        raise ValidationError({"lead_unit": errors})


def audit_state(
    project: Project, credits: Sequence[str] | None = None, members: Sequence[int] | None = None
) -> dict[str, Any]:
    """The project's state as the history keeps it: its fields, credit shares and members."""
    state = snapshot(project)
    if credits is None:
        credits = (
            [f"{c.unit_id}:{c.role}:{c.share}" for c in project.credits.order_by("unit_id", "role")]
            if project.pk
            else []
        )
    if members is None:
        members = sorted(project.members.values_list("user_id", flat=True)) if project.pk else []
    state["credits"] = list(credits)
    state["members"] = sorted(members)
    return state


def _stage_change_values(
    project_id: int, source: str, target: str, reason: str, overridden: Sequence[str]
) -> dict[str, Any]:
    ctx = current_context()
    return {
        "project_id": project_id,
        "user_id": ctx.user_id,
        "user_name": ctx.user_name,
        "from_stage": source,
        "to_stage": target,
        "reason": reason,
        "overridden_gates": list(overridden),
    }


@attributed
@transaction.atomic
def project_create(*, user: Actor, data: ProjectFields) -> Project:
    """Create a project at the lead stage; the creating user becomes its owner member."""
    require(user, CREATE, Project)
    project = Project(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    if project.owner_id is None and getattr(user, "pk", None) is not None:
        project.owner_id = user.pk
    _attribution(user, project.lead_unit_id, None)
    project.stage = Stage.LEAD
    project.stage_changed_at = timezone.now()
    check_facts(project)
    project.full_clean()
    with acting(user):
        project.save()
        if project.owner_id:
            ProjectMember.objects.create(project=project, user_id=project.owner_id, role=MemberRole.OWNER)
        StageChange.objects.create(**_stage_change_values(project.pk, "", Stage.LEAD, "", []))
        record_change(project, action=ChangeAction.CREATE, after=audit_state(project))
    facts_changed([project.pk])
    return project


def _sync_owner_member(project: Project, previous_owner_id: int | None) -> None:
    # The officer in charge is always a member, so a confidential project stays visible
    # to the one who may change it.
    if project.owner_id == previous_owner_id:
        return
    if previous_owner_id:
        ProjectMember.objects.filter(project=project, user_id=previous_owner_id, role=MemberRole.OWNER).update(
            role=MemberRole.MEMBER
        )
    if project.owner_id:
        ProjectMember.objects.update_or_create(
            project=project, user_id=project.owner_id, defaults={"role": MemberRole.OWNER}
        )


def _locked(user: Actor, project: Project, action: str) -> Project:
    """The project read again inside the transaction, locked, after the permission check."""
    locked: Project = Project.objects.select_for_update().get(pk=project.pk)
    require(user, action, locked)
    return locked


@attributed
@transaction.atomic
def project_update(*, user: Actor, project: Project, data: ProjectFields, revision: int | None = None) -> Project:
    """Change a project's facts (never its stage: that is ``project_move``).

    The project is read again, locked, inside the transaction: its state before comes from
    there, a save started from an older ``revision`` is refused (``StaleEdit``), and only the
    fields given are written.  Refused when it would remove a fact the project's stage
    depends on; nothing is then changed."""
    locked = _locked(user, project, CHANGE)
    check_revision(locked, revision)
    before = audit_state(locked)
    previous_owner_id = locked.owner_id
    previous_unit = locked.lead_unit_id
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(locked, key, value)
    _attribution(user, locked.lead_unit_id, previous_unit)
    check_facts(locked)
    locked.full_clean()
    after_fields = snapshot(locked)
    changed = [name for name, value in after_fields.items() if before.get(name) != value]
    if not changed:
        copy_into(project, locked)
        return project
    bump(locked)
    locked.save(update_fields=[*changed, "priority_band", "updated", "revision"])
    _sync_owner_member(locked, previous_owner_id)
    record_change(locked, action=ChangeAction.UPDATE, before=before, after=audit_state(locked))
    facts_changed([locked.pk])
    copy_into(project, locked)
    return project


def move_errors(project: Project, target: str, reason: str = "") -> list[str]:
    """Everything that stops ``project`` from entering ``target`` (rules plus gates)."""
    check = rules.check_move(
        current=project.stage,
        target=target,
        facts=project.facts(),
        reason=reason,
        resume_stage=project.held_at_stage or None,
    )
    errors = [str(e) for e in check.errors]
    errors.extend(gate_errors(project, target))
    return errors


def structural_errors(project: Project, target: str, reason: str) -> list[str]:
    """The pipeline's structure only (what no override lifts): the move checked as if every
    required fact were there."""
    return [
        str(e)
        for e in rules.check_move(
            current=project.stage,
            target=target,
            facts={**project.facts(), **_ALL_FACTS},
            reason=reason,
            resume_stage=project.held_at_stage or None,
        ).errors
    ]


def gate_errors(project: Project, target: str) -> list[str]:
    """What the registered gates say against ``project`` entering ``target`` (a pipeline
    stage); the project may be unsaved, as when an import creates it at a later stage."""
    if target not in rules.PIPELINE:
        return []
    errors: list[str] = []
    for gate in _GATES:
        errors.extend(gate(project, target))
    return errors


@attributed
@transaction.atomic
def project_move(
    *, user: Actor, project: Project, target: str, reason: str = "", override: bool = False
) -> StageChange:
    """Move a project to another stage, checking the rules and gates of the target, and
    record who moved it, when, from where, to where and why.

    A leader may override the required facts and gates (not the structure of the
    pipeline) with a written reason; the override is recorded and audited."""
    locked = _locked(user, project, MOVE)
    errors = move_errors(locked, target, reason)
    overridden = False
    if errors:
        if not override:
            raise MoveRefused(errors)
        if not may(user, OVERRIDE, locked):
            raise PermissionDenied(_("Only a leader may override a stage gate."))
        structural = structural_errors(locked, target, reason)
        if structural:
            raise MoveRefused(structural)
        if not reason.strip():
            raise MoveRefused([_("An override needs a written reason.")])
        overridden = True
    before = snapshot(locked)
    source = locked.stage
    for name, value in rules.move_effects(current=source, target=target, reason=reason).items():
        setattr(locked, name, value)
    locked.stage_changed_at = timezone.now()
    bump(locked)
    moved_fields = ["stage", "stage_changed_at", "held_at_stage", "side_reason", "updated", "revision"]
    locked.save(update_fields=moved_fields)
    copy_into(project, locked)
    text = reason.strip()
    if overridden:
        text = _("OVERRIDE by leader: %(reason)s (gates: %(gates)s)") % {"reason": text, "gates": "; ".join(errors)}
    change = StageChange.objects.create(
        **_stage_change_values(locked.pk, source, target, text, errors if overridden else [])
    )
    record_change(
        locked,
        action=ChangeAction.MOVE,
        before=before,
        after=snapshot(locked),
        message=f"{source} → {target}. {text}".strip(),
    )
    return change


# Facts assumed present when checking only the structure of a move (for overrides).
_ALL_FACTS: dict[str, Any] = {req.field: Decimal("1") for reqs in rules.STAGE_REQUIREMENTS.values() for req in reqs}


@attributed
@transaction.atomic
def credits_set(*, user: Actor, project: Project, shares: list[tuple[Any, str, Decimal | None]]) -> list[ProjectCredit]:
    """Replace the project's credit shares; they must add up to 100 %."""
    locked = _locked(user, project, CHANGE)
    errors = rules.credit_share_errors((getattr(u, "pk", u), role, share) for u, role, share in shares)
    if errors:
        raise ValidationError([str(e) for e in errors])
    before = audit_state(locked)
    locked.credits.all().delete()
    rows = [
        ProjectCredit(project=locked, unit_id=getattr(u, "pk", u), role=role, share=share or Decimal("0"))
        for u, role, share in shares
    ]
    ProjectCredit.objects.bulk_create(rows)
    _touch(locked)
    record_change(
        locked, action=ChangeAction.UPDATE, before=before, after=audit_state(locked), message=_("credit shares")
    )
    return rows


def _touch(project: Project) -> None:
    """A change of what hangs on the project (credits, members, contacts) is a new revision
    of it: an edit opened before it is shown the change."""
    bump(project)
    project.save(update_fields=["updated", "revision"])


@attributed
@transaction.atomic
def member_add(*, user: Actor, project: Project, member: Any, role: str = MemberRole.MEMBER) -> ProjectMember:
    """Add ``member`` to the project's members (an existing member keeps its role)."""
    locked = _locked(user, project, CHANGE)
    before = audit_state(locked)
    record, created = ProjectMember.objects.get_or_create(project=locked, user=member, defaults={"role": role})
    if not created:
        return record
    _touch(locked)
    record_change(
        locked,
        action=ChangeAction.UPDATE,
        before=before,
        after=audit_state(locked),
        message=_("member added: %(u)s") % {"u": member},
    )
    return record


@attributed
@transaction.atomic
def member_remove(*, user: Actor, project: Project, member: Any) -> None:
    """Take ``member`` off the project's members.  The officer in charge stays a member while
    in charge (whoever may change a project may see it): change the officer first."""
    locked = _locked(user, project, CHANGE)
    if locked.owner_id == getattr(member, "pk", member):
        raise ValidationError(
            _("%(u)s is the officer in charge; choose another officer in charge before removing them.") % {"u": member}
        )
    before = audit_state(locked)
    deleted, _rows = ProjectMember.objects.filter(project=locked, user=member).delete()
    if not deleted:
        return
    _touch(locked)
    record_change(
        locked,
        action=ChangeAction.UPDATE,
        before=before,
        after=audit_state(locked),
        message=_("member removed: %(u)s") % {"u": member},
    )


@attributed
@transaction.atomic
def contact_add(*, user: Actor, project: Project, data: Mapping[str, str]) -> ProjectContact:
    """Record a person on the investor's side of the project."""
    locked = _locked(user, project, CHANGE)
    contact = ProjectContact(project=locked, **data)
    contact.full_clean()
    contact.save()
    _touch(locked)
    record_change(locked, action=ChangeAction.UPDATE, message=_("contact added: %(n)s") % {"n": contact.name})
    return contact


# -- the same service in bulk: an import's checked rows ----------------------------------------


@dataclass
class NewProject:
    """A checked new row: its plain values by attname (normalised, ``stage`` set) and the
    reason given for starting past lead."""

    values: dict[str, Any]
    reason: str


@dataclass
class ProjectChange:
    """A checked change of an existing project: the project with its new values set, its
    state before, its state after the facts changed (None: unchanged) and its move: the
    stage it left, the reason, and the states before and after the move (the new stage is
    on the project)."""

    project: Project
    before: dict[str, Any]
    after: dict[str, Any] | None
    moved_from: str | None = None
    reason: str = ""
    move_states: tuple[dict[str, Any], dict[str, Any]] | None = None


@dataclass
class ProjectBulkWrite:
    """The pipeline's bulk writer, for an import, inside its transaction.  Rows come checked by
    the rules the single services apply (``check_facts``'s rules, ``move_errors`` with the
    gates, ``rules.move_effects``); changed projects were read through ``restrict(user,
    "change")``.  Moves write their stage history and change log as ``project_move`` does."""

    user: Actor
    default_reason: str = ""
    created: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        require(self.user, IMPORT, Project)

    def write(self, creates: Sequence[NewProject], changes: Sequence[ProjectChange]) -> None:
        now = timezone.now()
        writer = RowWriter(Project, now)
        stamp = writer.stamp
        ids = reserve_ids(Project, len(creates))
        rows: list[list[Any]] = []
        owners: list[tuple[int, int, str]] = []
        moves: list[tuple[Any, ...]] = []
        entries: list[tuple[Ref, str, dict[str, Any] | None, dict[str, Any] | None]] = []
        history_columns = ("project_id", "user_id", "user_name", "from_stage", "to_stage", "reason", "overridden_gates")

        def stage_change(pk: int, source: str, target: str, reason: str) -> tuple[Any, ...]:
            values = _stage_change_values(pk, source, target, reason or self.default_reason, [])
            values["overridden_gates"] = "[]"
            return (stamp, *(values[c] for c in history_columns))

        for pk, create in zip(ids, creates, strict=True):
            attrs = create.values
            attrs["stage_changed_at"] = stamp
            row = writer.row(attrs)
            rows.append(row)
            owner = attrs.get("owner_id")
            if owner:
                owners.append((pk, owner, MemberRole.OWNER))
            moves.append(stage_change(pk, "", attrs["stage"], create.reason))
            after = writer.creation(row)
            after["stage_changed_at"] = now.isoformat()
            after["credits"] = []
            after["members"] = [owner] if owner else []
            entries.append((Ref(Project, pk, attrs["name"], 1), ChangeAction.CREATE, None, after))
        writer.insert(ids, rows)
        self.created = list(ids)

        columns = [f.column for f in writer.fields if f.name != "created"]
        attnames = [f.attname for f in writer.fields if f.name != "created"]
        updates = []
        for change in changes:
            project = change.project
            bump(project)
            moved = change.moved_from is not None
            values = [
                stamp if a == "updated" or (moved and a == "stage_changed_at") else getattr(project, a)
                for a in attnames
            ]
            updates.append([*values, project.pk])
            ref = Ref(Project, project.pk, project.name, project.revision)
            if change.after is not None:
                entries.append((ref, ChangeAction.UPDATE, change.before, change.after))
            if change.moved_from is not None and change.move_states is not None:
                moves.append(stage_change(project.pk, change.moved_from, project.stage, change.reason))
                entries.append((ref, ChangeAction.MOVE, *change.move_states))
        update_rows(Project._meta.db_table, columns, updates)
        insert_rows(ProjectMember._meta.db_table, ("project_id", "user_id", "role"), owners)
        insert_rows(StageChange._meta.db_table, ("time", *history_columns), moves)
        log_changes(entries)
        # Screening verdicts and scores follow the imported facts in the same transaction.
        facts_changed([*ids, *(c.project.pk for c in changes if c.after is not None)])


def owner_for(user: Actor) -> int | None:
    """The officer in charge of a project the user creates: the user (not the system)."""
    pk = getattr(user, "pk", None)
    return pk if pk is not None and scope_for(user).authenticated else None
