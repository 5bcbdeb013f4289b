"""Writes to the project pipeline.  Every stage move goes through ``project_move``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhaoshang.core.audit import acting, record_change, snapshot
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import scope_for
from zhaoshang.projects import rules
from zhaoshang.projects.models import (
    MemberRole,
    Project,
    ProjectContact,
    ProjectCredit,
    ProjectMember,
    Stage,
    StageChange,
)

EDITABLE_FIELDS = (
    "name",
    "enterprise",
    "investor_name",
    "lead_unit",
    "confidential",
    "source",
    "promotion_method",
    "industry",
    "chain_node",
    "description",
    "planned_investment",
    "fixed_asset_investment",
    "contracted_investment",
    "foreign_capital_usd",
    "fx_rate",
    "fx_date",
    "land_mu",
    "expected_output",
    "expected_tax",
    "expected_jobs",
    "incentives_offered",
    "incentives_tied_to_tax",
    "commitment_years",
    "land_needed_mu",
    "floor_area_m2",
    "residential_area_m2",
    "commercial_area_m2",
    "rd_share",
    "patents",
    "high_tech",
    "funding_status",
    "dishonest_party",
    "unresolved_penalties",
    "illegal_land_use",
    "first_contact_on",
    "signed_on",
    "registered_on",
    "land_acquired_on",
    "construction_started_on",
    "production_started_on",
    "full_capacity_on",
    "owner",
)

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


def _prepare(project: Project) -> None:
    project.name = (project.name or "").strip()
    project.investor_name = (project.investor_name or "").strip()
    project.priority_band = rules.priority_band(project.planned_investment)
    if not project.enterprise_id and not project.investor_name:
        raise ValidationError(
            {"investor_name": _("Choose an enterprise from the registry or enter the investor's name.")}
        )
    if project.foreign_capital_usd is not None and (project.fx_rate is None or project.fx_date is None):
        raise ValidationError({"fx_rate": _("Foreign capital needs the exchange rate and its date.")})
    if project.fx_rate is not None and project.fx_rate <= 0:
        raise ValidationError({"fx_rate": _("The exchange rate must be more than 0.")})


def _audit_state(project: Project) -> dict[str, Any]:
    state = snapshot(project)
    state["credits"] = (
        [f"{c.unit_id}:{c.role}:{c.share}" for c in project.credits.order_by("unit_id", "role")] if project.pk else []
    )
    state["members"] = sorted(project.members.values_list("user_id", flat=True)) if project.pk else []
    return state


@transaction.atomic
def project_create(*, data: dict[str, Any], user: Any = None) -> Project:
    """Create a project at the lead stage; the creating user becomes its owner member."""
    project = Project(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    if user is not None and project.owner_id is None and getattr(user, "is_authenticated", False):
        project.owner = user
    _prepare(project)
    project.stage = Stage.LEAD
    project.stage_changed_at = timezone.now()
    project.full_clean()
    with acting(user) as ctx:
        project.save()
        if project.owner_id:
            ProjectMember.objects.create(project=project, user_id=project.owner_id, role=MemberRole.OWNER)
        StageChange.objects.create(
            project=project, user_id=ctx.user_id, user_name=ctx.user_name, from_stage="", to_stage=Stage.LEAD
        )
        record_change(project, action=ChangeAction.CREATE, after=_audit_state(project))
    facts_changed([project.pk])
    return project


def _stage_for_facts(project: Project) -> str | None:
    """The pipeline stage whose facts the project must keep: its stage, or the one it was
    held at while on hold."""
    if project.stage in rules.PIPELINE:
        return project.stage
    if project.stage == rules.ON_HOLD and project.held_at_stage in rules.PIPELINE:
        return project.held_at_stage
    return None


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


@transaction.atomic
def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    """Change a project's facts (not its stage: that is ``project_move``).

    Refused when it would remove a fact the project's stage depends on; the project, in
    the database and in memory, is then left as it was."""
    before = _audit_state(project)
    previous_owner_id = project.owner_id
    original = {key: getattr(project, key) for key in data if key in EDITABLE_FIELDS}
    original_band = project.priority_band
    try:
        for key, value in data.items():
            if key in EDITABLE_FIELDS:
                setattr(project, key, value)
        _prepare(project)
        project.full_clean()
        # A fact may not be removed that the project's current stage depends on.
        stage = _stage_for_facts(project)
        missing = rules.missing_facts(project.facts(), stage) if stage else []
        if stage and missing:
            raise ValidationError(
                _("The project is at stage %(stage)s, which needs: %(facts)s.")
                % {"stage": rules.STAGE_LABELS[stage], "facts": "、".join(str(m) for m in missing)}
            )
    except ValidationError:
        for key, value in original.items():
            setattr(project, key, value)
        project.priority_band = original_band
        raise
    project.save()
    _sync_owner_member(project, previous_owner_id)
    after = _audit_state(project)
    if after != before:
        record_change(project, action=ChangeAction.UPDATE, before=before, after=after)
        facts_changed([project.pk])
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


def gate_errors(project: Project, target: str) -> list[str]:
    """What the registered gates say against ``project`` entering ``target`` (a pipeline
    stage); the project may be unsaved, as when an import creates it at a later stage."""
    if target not in rules.PIPELINE:
        return []
    errors: list[str] = []
    for gate in _GATES:
        errors.extend(gate(project, target))
    return errors


@transaction.atomic
def project_move(*, project: Project, target: str, user: Any, reason: str = "", override: bool = False) -> StageChange:
    """Move a project to another stage, checking the rules and gates of the target, and
    record who moved it, when, from where, to where and why.

    A leader may override the required facts and gates (not the structure of the
    pipeline) with a written reason; the override is recorded and audited."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    errors = move_errors(locked, target, reason)
    structural = [
        str(e)
        for e in rules.check_move(
            current=locked.stage,
            target=target,
            facts={**locked.facts(), **_ALL_FACTS},
            reason=reason,
            resume_stage=locked.held_at_stage or None,
        ).errors
    ]
    overridden = False
    if errors:
        if not override:
            raise MoveRefused(errors)
        if not scope_for(user).is_leader:
            raise PermissionDenied(_("Only a leader may override a stage gate."))
        if structural:
            raise MoveRefused(structural)
        if not reason.strip():
            raise MoveRefused([_("An override needs a written reason.")])
        overridden = True
    before = snapshot(locked)
    source = locked.stage
    if target == rules.ON_HOLD:
        locked.held_at_stage = source
    elif source == rules.ON_HOLD:
        locked.held_at_stage = ""
    if target in rules.SIDE_STATES:
        locked.side_reason = reason.strip()
    elif source in rules.SIDE_STATES:
        locked.side_reason = ""
    locked.stage = target
    locked.stage_changed_at = timezone.now()
    moved_fields = ["stage", "stage_changed_at", "held_at_stage", "side_reason", "updated"]
    locked.save(update_fields=moved_fields)
    # The caller's copy shows the new stage too.
    for name in moved_fields:
        setattr(project, name, getattr(locked, name))
    text = reason.strip()
    if overridden:
        text = _("OVERRIDE by leader: %(reason)s (gates: %(gates)s)") % {"reason": text, "gates": "; ".join(errors)}
    with acting(user) as ctx:
        change = StageChange.objects.create(
            project=locked,
            user_id=ctx.user_id,
            user_name=ctx.user_name,
            from_stage=source,
            to_stage=target,
            reason=text,
            overridden_gates=errors if overridden else [],
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


@transaction.atomic
def credits_set(*, project: Project, shares: list[tuple[Any, str, Decimal | None]]) -> list[ProjectCredit]:
    """Replace the project's credit shares; they must add up to 100 %."""
    errors = rules.credit_share_errors((getattr(u, "pk", u), role, share) for u, role, share in shares)
    if errors:
        raise ValidationError([str(e) for e in errors])
    before = _audit_state(project)
    project.credits.all().delete()
    rows = [
        ProjectCredit(project=project, unit_id=getattr(u, "pk", u), role=role, share=share or Decimal("0"))
        for u, role, share in shares
    ]
    ProjectCredit.objects.bulk_create(rows)
    record_change(
        project, action=ChangeAction.UPDATE, before=before, after=_audit_state(project), message=_("credit shares")
    )
    return rows


@transaction.atomic
def member_add(*, project: Project, user: Any, role: str = MemberRole.MEMBER) -> ProjectMember:
    """Add ``user`` to the project's members (an existing member keeps its role)."""
    before = _audit_state(project)
    member, created = ProjectMember.objects.get_or_create(project=project, user=user, defaults={"role": role})
    if not created:
        return member
    record_change(
        project,
        action=ChangeAction.UPDATE,
        before=before,
        after=_audit_state(project),
        message=_("member added: %(u)s") % {"u": user},
    )
    return member


@transaction.atomic
def member_remove(*, project: Project, user: Any) -> None:
    """Take ``user`` off the project's members."""
    before = _audit_state(project)
    ProjectMember.objects.filter(project=project, user=user).delete()
    record_change(
        project,
        action=ChangeAction.UPDATE,
        before=before,
        after=_audit_state(project),
        message=_("member removed: %(u)s") % {"u": user},
    )


@transaction.atomic
def contact_add(*, project: Project, data: dict[str, Any]) -> ProjectContact:
    """Record a person on the investor's side of the project."""
    contact = ProjectContact(project=project, **data)
    contact.full_clean()
    contact.save()
    record_change(project, action=ChangeAction.UPDATE, message=_("contact added: %(n)s") % {"n": contact.name})
    return contact
