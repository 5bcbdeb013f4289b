"""Writes to the enterprise registry: the only writer of enterprises, for one record or a
whole sheet.

Every service is keyword-only, atomic, permitted through ``core.scoping.require`` whoever
calls it, versioned (``core.editing``) and audited.  The rules it applies are the pure
functions of ``enterprises.rules`` and the registry reads of ``enterprises.selectors`` (the
duplicate rule, references), which the import calls in batch; the import hands its checked
rows to ``EnterpriseBulkWrite``, the same service in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhaoshang.core.audit import attributed, record_change, snapshot, write_change_rows
from zhaoshang.core.bulk import execute, insert_rows
from zhaoshang.core.editing import bump, check_revision, copy_into
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import CHANGE, CREATE, IMPORT, MERGE, VIEW, Actor, require, scope_for
from zhaoshang.core.tabular.writing import Ref, RowWriter, delete_where_in, log_changes, reserve_ids, update_rows
from zhaoshang.core.values import credit_code_problem, normalize_credit_code
from zhaoshang.enterprises import rules, search_index
from zhaoshang.enterprises.models import (
    ChainNode,
    Enterprise,
    EnterpriseContact,
    EnterpriseFields,
    EnterpriseRanking,
    RankingList,
)
from zhaoshang.enterprises.selectors import duplicates_by_key

EDITABLE_FIELDS = Enterprise.EDITABLE_FIELDS
RANKING_FLAGS = (
    ("is_fortune500", RankingList.FORTUNE500),
    ("is_china500", RankingList.CHINA500),
    ("is_private500", RankingList.PRIVATE500),
)


class PossibleDuplicate(ValidationError):
    """A record with the same name key is in the registry and the user has not confirmed
    that this is a different enterprise."""

    def __init__(self, candidates: Sequence[Enterprise]) -> None:
        self.candidates = list(candidates)
        names = "、".join(c.name for c in self.candidates[:5])
        super().__init__(
            _(
                "A similar enterprise already exists: %(names)s. Open it instead, or confirm that this is a different enterprise."
            )
            % {"names": names},
            code="possible_duplicate",
        )


# A listener hears which enterprises changed (edited, merged), inside the writing
# transaction; the pipeline uses it to refresh what it derives from their projects.
Listener = Callable[[list[int]], None]
_LISTENERS: list[Listener] = []


def register_listener(listener: Listener) -> None:
    """Call ``listener(enterprise_ids)`` whenever those enterprises change (once per listener)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def enterprises_changed(enterprise_ids: Iterable[int]) -> None:
    ids = sorted({int(pk) for pk in enterprise_ids})
    if not ids:
        return
    for listener in _LISTENERS:
        listener(ids)


def clean_credit_code(value: str | None) -> str | None:
    """The normalised credit code, or None when blank; raises with the reason when invalid."""
    code = normalize_credit_code(value or "")
    if not code:
        return None
    problem = credit_code_problem(code)
    if problem is not None:
        raise ValidationError({"credit_code": problem})
    return code


def _prepare(enterprise: Enterprise) -> None:
    """Derived and normalised values, as the import computes them for its rows."""
    enterprise.name = (enterprise.name or "").strip()
    enterprise.former_names = rules.normalise_former_names(enterprise.former_names)
    enterprise.name_key = rules.duplicate_key(enterprise.name)
    enterprise.search_grams = rules.index_text(enterprise.name, enterprise.former_names)
    enterprise.credit_code = clean_credit_code(enterprise.credit_code)
    enterprise.hq_province = rules.province_short(enterprise.hq_province)


def _flags_from(lists: Iterable[str]) -> dict[str, bool]:
    present = set(lists)
    return {flag: code in present for flag, code in RANKING_FLAGS}


def _refresh_flags(enterprise: Enterprise) -> None:
    for flag, value in _flags_from(enterprise.rankings.values_list("list", flat=True)).items():
        setattr(enterprise, flag, value)


def _check_duplicates(user: Actor, enterprise: Enterprise, confirm_not_duplicate: bool) -> None:
    if enterprise.credit_code:
        clash = Enterprise.objects.filter(credit_code=enterprise.credit_code).exclude(pk=enterprise.pk).first()
        if clash is not None:
            raise ValidationError(
                {
                    "credit_code": _("An enterprise with credit code %(code)s already exists: %(name)s.")
                    % {"code": enterprise.credit_code, "name": clash.name}
                }
            )
    if confirm_not_duplicate:
        return
    same = duplicates_by_key([enterprise.name_key], exclude_ids=[enterprise.pk] if enterprise.pk else [])
    ids = [pk for pk, _name in same.get(enterprise.name_key, [])]
    if ids:
        raise PossibleDuplicate(list(Enterprise.objects.restrict(user, VIEW).filter(pk__in=ids).order_by("pk")))


def _attribution(user: Actor, unit_id: int | None, current: int | None) -> None:
    from zhaoshang.org.selectors import attribution_errors

    errors = attribution_errors(user, unit_id, current=current)
    if errors:
        raise ValidationError({"owner_unit": errors})


def _audit_state(enterprise: Enterprise) -> dict[str, Any]:
    state = snapshot(enterprise)
    state["chain_nodes"] = sorted(enterprise.chain_nodes.values_list("id", flat=True)) if enterprise.pk else []
    return state


@attributed
@transaction.atomic
def enterprise_create(
    *,
    user: Actor,
    data: EnterpriseFields,
    chain_nodes: Iterable[ChainNode] = (),
    confirm_not_duplicate: bool = False,
) -> Enterprise:
    """Add an enterprise to the registry after validation and the duplicate check.  Without a
    recording unit it is the user's own unit."""
    require(user, CREATE, Enterprise)
    enterprise = Enterprise(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    if enterprise.owner_unit_id is None:
        enterprise.owner_unit_id = scope_for(user).default_unit_id
    _attribution(user, enterprise.owner_unit_id, None)
    _prepare(enterprise)
    enterprise.full_clean(exclude=["name_key"], validate_unique=False)
    _check_duplicates(user, enterprise, confirm_not_duplicate)
    enterprise.save()
    nodes = list(chain_nodes)
    if nodes:
        enterprise.chain_nodes.set(nodes)
    record_change(enterprise, action=ChangeAction.CREATE, after=_audit_state(enterprise))
    return enterprise


@attributed
@transaction.atomic
def enterprise_update(
    *,
    user: Actor,
    enterprise: Enterprise,
    data: EnterpriseFields,
    chain_nodes: Iterable[ChainNode] | None = None,
    confirm_not_duplicate: bool = False,
    revision: int | None = None,
) -> Enterprise:
    """Change an enterprise's facts.  The record is read again, locked, inside the
    transaction; a save started from an older ``revision`` is refused (``StaleEdit``); only
    the fields given are written.  A renamed record meets the duplicate check again."""
    locked: Enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    require(user, CHANGE, locked)
    check_revision(locked, revision)
    before = _audit_state(locked)
    old_names = (locked.name, locked.former_names)
    old_unit = locked.owner_unit_id
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(locked, key, value)
    _attribution(user, locked.owner_unit_id, old_unit)
    _prepare(locked)
    locked.full_clean(exclude=["name_key"], validate_unique=False)
    renamed = old_names != (locked.name, locked.former_names)
    _check_duplicates(user, locked, confirm_not_duplicate or not renamed)
    nodes = sorted(n.pk for n in chain_nodes) if chain_nodes is not None else before["chain_nodes"]
    after = {**snapshot(locked), "chain_nodes": nodes}
    if after == before:
        copy_into(enterprise, locked)
        return enterprise
    changed = [
        f.name for f in Enterprise._meta.concrete_fields if f.name in after and before.get(f.name) != after.get(f.name)
    ]
    bump(locked)
    locked.save(update_fields=[*changed, "name_key", "search_grams", "updated", "revision"])
    if chain_nodes is not None:
        locked.chain_nodes.set(nodes)
    record_change(locked, action=ChangeAction.UPDATE, before=before, after=after)
    enterprises_changed([locked.pk])
    copy_into(enterprise, locked)
    return enterprise


def _locked_for_change(user: Actor, enterprise: Enterprise) -> Enterprise:
    locked: Enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    require(user, CHANGE, locked)
    return locked


def _save_flags(locked: Enterprise) -> None:
    _refresh_flags(locked)
    bump(locked)
    locked.save(update_fields=["is_fortune500", "is_china500", "is_private500", "updated", "revision"])


@attributed
@transaction.atomic
def ranking_set(*, user: Actor, enterprise: Enterprise, list: str, year: int, rank: int) -> EnterpriseRanking:
    """Record (or correct) the enterprise's place on a ranking list in a year."""
    locked = _locked_for_change(user, enterprise)
    before = {**_audit_state(locked), "rankings": _ranking_texts(locked)}
    ranking, _created = EnterpriseRanking.objects.update_or_create(
        enterprise=locked, list=list, year=year, defaults={"rank": rank}
    )
    ranking.full_clean()
    _save_flags(locked)
    after = {**_audit_state(locked), "rankings": _ranking_texts(locked)}
    record_change(locked, action=ChangeAction.UPDATE, before=before, after=after, message=str(ranking))
    enterprises_changed([locked.pk])
    copy_into(enterprise, locked)
    return ranking


@attributed
@transaction.atomic
def ranking_delete(*, user: Actor, ranking: EnterpriseRanking) -> None:
    """Remove a ranking place and recompute the enterprise's tag flags."""
    locked = _locked_for_change(user, ranking.enterprise)
    before = {**_audit_state(locked), "rankings": _ranking_texts(locked)}
    label = str(ranking)
    ranking.delete()
    _save_flags(locked)
    after = {**_audit_state(locked), "rankings": _ranking_texts(locked)}
    record_change(
        locked,
        action=ChangeAction.UPDATE,
        before=before,
        after=after,
        message=_("ranking removed: %(r)s") % {"r": label},
    )
    enterprises_changed([locked.pk])


def _ranking_texts(enterprise: Enterprise) -> list[str]:
    return [
        f"{code}:{year}:{rank}" for code, year, rank in sorted(enterprise.rankings.values_list("list", "year", "rank"))
    ]


@attributed
@transaction.atomic
def contact_create(*, user: Actor, enterprise: Enterprise, data: dict[str, str], unit: Any = None) -> EnterpriseContact:
    """Record a person at the enterprise on behalf of ``unit`` (by default the user's own),
    a unit the user works in."""
    require(user, VIEW, enterprise)
    require(user, CREATE, EnterpriseContact)
    unit_id = getattr(unit, "pk", unit) if unit is not None else scope_for(user).default_unit_id
    if unit_id is None:
        raise ValidationError(_("You work in no unit, so a contact cannot be recorded for one."))
    _attribution(user, unit_id, None)
    contact = EnterpriseContact(enterprise=enterprise, unit_id=unit_id, **data)
    contact.full_clean()
    contact.save()
    record_change(contact, action=ChangeAction.CREATE)
    return contact


def _references(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is Enterprise and model is not Enterprise
    ]


def references_to(enterprise: Enterprise) -> int:
    """How many records of every app point at the enterprise (what a merge would move)."""
    return sum(
        model._base_manager.filter(**{fk.name: enterprise}).count()
        for model in apps.get_models()
        for fk in _references(model)
    )


@attributed
@transaction.atomic
def enterprise_merge(*, user: Actor, keep: Enterprise, absorb: Enterprise) -> Enterprise:
    """Fold ``absorb`` into ``keep``: every reference moves (each moved record gets a history
    entry), the absorbed name becomes a former name, and the absorbed record stays (marked
    merged) so its history is kept."""
    if keep.pk == absorb.pk:
        raise ValidationError(_("An enterprise cannot be merged into itself."))
    # Lock both and read their stored state: a second merge of the same record (another
    # tab, a stale object) must see the first one.
    locked = {e.pk: e for e in Enterprise.objects.select_for_update().filter(pk__in=[keep.pk, absorb.pk])}
    keep, absorb = locked[keep.pk], locked[absorb.pk]
    if absorb.merged_into_id:
        raise ValidationError(_("This enterprise has already been merged."))
    if keep.merged_into_id:
        raise ValidationError(_("An enterprise cannot be merged into one that was itself merged."))
    require(user, MERGE, keep)
    require(user, MERGE, absorb)
    before_keep = {**_audit_state(keep), "rankings": _ranking_texts(keep)}
    before_absorb = {**_audit_state(absorb), "rankings": _ranking_texts(absorb)}
    moved: dict[str, int] = {}
    history: list[tuple[type[models.Model], Any, str, str, dict[str, Any], dict[str, Any], int | None]] = []
    # Every foreign key that points at Enterprise, in any app, is moved, so later apps
    # (projects, activities…) are covered without this service knowing them.
    for model in apps.get_models():
        for fk in _references(model):
            if model is EnterpriseRanking:
                existing = set(EnterpriseRanking.objects.filter(enterprise=keep).values_list("list", "year"))
                for r in EnterpriseRanking.objects.filter(enterprise=absorb):
                    if (r.list, r.year) in existing:
                        r.delete()
                    else:
                        r.enterprise = keep
                        r.save(update_fields=["enterprise"])
                continue
            rows = model._base_manager.filter(**{fk.name: absorb})
            audited = hasattr(model, "revision")
            found = list(rows.values_list("pk", flat=True))
            if not found:
                continue
            texts = {o.pk: str(o) for o in model._base_manager.filter(pk__in=found)} if audited else {}
            changes: dict[str, Any] = {fk.name: keep.pk}
            if audited:
                changes["revision"] = models.F("revision") + 1
                changes["updated"] = timezone.now()
            model._base_manager.filter(pk__in=found).update(**changes)
            moved[model._meta.label] = len(found)
            if audited:
                revisions = dict(model._base_manager.filter(pk__in=found).values_list("pk", "revision"))
                message = _("moved to %(name)s (#%(id)s) by the merge of %(old)s (#%(old_id)s)") % {
                    "name": keep.name,
                    "id": keep.pk,
                    "old": absorb.name,
                    "old_id": absorb.pk,
                }
                history.extend(
                    (
                        model,
                        pk,
                        texts.get(pk, ""),
                        ChangeAction.UPDATE,
                        {fk.name: absorb.pk},
                        {fk.name: keep.pk},
                        revisions.get(pk),
                    )
                    for pk in found
                )
                write_change_rows(history, message=message)
                history = []
    keep.chain_nodes.add(*absorb.chain_nodes.all())
    absorb.chain_nodes.clear()
    # Records merged earlier into the absorbed one now point at the survivor directly.
    Enterprise.objects.filter(merged_into=absorb).update(merged_into=keep)
    names = keep.former_name_list()
    for name in [absorb.name, *absorb.former_name_list()]:
        if name and name != keep.name and name not in names:
            names.append(name)
    keep.former_names = "\n".join(names)
    if not keep.credit_code and absorb.credit_code:
        code = absorb.credit_code
        absorb.credit_code = None
        absorb.save(update_fields=["credit_code"])
        keep.credit_code = code
    for attr in (
        "registered_capital",
        "hq_province",
        "hq_city",
        "industry_id",
        "listing_exchange",
        "ticker",
        "sme_level",
        "revenue",
        "employees",
        "business_scope",
    ):
        if not getattr(keep, attr) and getattr(absorb, attr):
            setattr(keep, attr, getattr(absorb, attr))
    keep.is_unicorn = keep.is_unicorn or absorb.is_unicorn
    keep.is_industry_leader = keep.is_industry_leader or absorb.is_industry_leader
    _refresh_flags(keep)
    keep.search_grams = rules.index_text(keep.name, keep.former_names)
    bump(keep)
    keep.save()
    absorb.merged_into = keep
    # A merged record is no longer searched: its names live on as the survivor's.
    absorb.search_grams = ""
    _refresh_flags(absorb)
    bump(absorb)
    absorb.save(
        update_fields=[
            "merged_into",
            "search_grams",
            "is_fortune500",
            "is_china500",
            "is_private500",
            "updated",
            "revision",
        ]
    )
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(moved.items()))
    record_change(
        keep,
        action=ChangeAction.MERGE,
        before=before_keep,
        after={**_audit_state(keep), "rankings": _ranking_texts(keep)},
        message=_("absorbed %(name)s (#%(id)s) %(moved)s") % {"name": absorb.name, "id": absorb.pk, "moved": summary},
    )
    record_change(
        absorb,
        action=ChangeAction.MERGE,
        before=before_absorb,
        after={**_audit_state(absorb), "rankings": _ranking_texts(absorb)},
        message=_("merged into %(name)s (#%(id)s)") % {"name": keep.name, "id": keep.pk},
    )
    enterprises_changed([keep.pk])
    return keep


# -- the same service in bulk: an import's checked rows ----------------------------------------


@dataclass
class NewEnterprise:
    """A checked new row of an import: its values by sheet key, its name key and folded name
    (computed once by the check), recording unit, chain nodes and rankings."""

    values: dict[str, Any]
    key: str
    folded: str
    owner: int | None
    nodes: tuple[int, ...]
    rankings: tuple[tuple[str, int, int], ...]


@dataclass
class EnterpriseChange:
    """A checked change of an existing record: the record with its new values set, its
    states before and after for the history, and its new chain nodes and rankings (None:
    unchanged)."""

    enterprise: Enterprise
    before: dict[str, Any]
    after: dict[str, Any]
    nodes: tuple[int, ...] | None
    rankings: tuple[tuple[str, int, int], ...] | None


def ranking_state(rankings: Iterable[tuple[str, int, int]]) -> list[str]:
    """Rankings as the history keeps them."""
    return [f"{code}:{year}:{rank}" for code, year, rank in sorted(rankings)]


def ranking_flags(rankings: Iterable[tuple[str, int, int]]) -> dict[str, bool]:
    """The tag flags that follow from a record's rankings."""
    return _flags_from(code for code, _year, _rank in rankings)


@dataclass
class EnterpriseBulkWrite:
    """The registry's bulk writer, for an import: new records a part at a time (``add``,
    while the next part is checked), then the changes of existing records (``finish``).

    Inside the import's transaction.  The rows come checked by the same rules as the form's
    (``rules``, ``selectors.duplicates_by_key``, ``core.values.credit_code_problem``, the
    units the user may attribute work to); the targets of changes were read through
    ``restrict(user, "change")``."""

    user: Actor
    sheet_keys: dict[str, str]  # sheet key -> attname of the model field it fills
    new_rows: int
    writer: RowWriter = field(init=False)
    row_keys: list[Any] = field(init=False)
    ids: list[int] = field(default_factory=list)
    written: int = 0
    index: search_index.BulkIndex = field(default_factory=lambda: search_index.BulkIndex(connection))

    def __post_init__(self) -> None:
        require(self.user, IMPORT, Enterprise)
        self.writer = RowWriter(Enterprise, timezone.now())
        at = self.writer.index
        self.row_keys = self.writer.keys_for({k: at[a] for k, a in self.sheet_keys.items()})

    def add(self, creates: Sequence[NewEnterprise]) -> None:
        """Write these new records with their links, rankings and history."""
        if not creates:
            return
        writer = self.writer
        if not self.ids:
            # Before the first insert, so that no read waits on the writer thread.
            self.ids = reserve_ids(Enterprise, self.new_rows)
            for sql, params in self.index.pause():
                execute(sql, params)
        part_ids = self.ids[self.written : self.written + len(creates)]
        self.written += len(creates)
        at = writer.index
        row_keys = self.row_keys
        i_key, i_former, i_owner, i_grams = at["name_key"], at["former_names"], at["owner_unit_id"], at["search_grams"]
        flag_slots = [(at[flag], code) for flag, code in RANKING_FLAGS]
        links: list[tuple[int, int]] = []
        rankings: list[tuple[int, str, int, int]] = []
        entries: list[tuple[Ref, str, dict[str, Any] | None, dict[str, Any] | None]] = []
        rows: list[list[Any]] = []
        for pk, create in zip(part_ids, creates, strict=True):
            # Straight into the table's row: no model instance for a new record.
            values = create.values
            row = writer.row(values, row_keys)
            row[i_key] = create.key
            former = row[i_former]
            if former:
                row[i_former] = former = rules.normalise_former_names(former)
            row[i_grams] = rules.index_text_of_folded(create.folded, former)
            row[i_owner] = create.owner
            if create.rankings:
                lists = {code for code, _year, _rank in create.rankings}
                for i, code in flag_slots:
                    row[i] = code in lists
            rows.append(row)
            if create.nodes:
                links.extend((pk, node) for node in create.nodes)
            if create.rankings:
                rankings.extend((pk, code, year, rank) for code, year, rank in create.rankings)
            # Given values only, as audit.creation_state keeps them (an empty list is left out).
            after = writer.creation(row)
            if create.nodes:
                after["chain_nodes"] = sorted(create.nodes)
            if create.rankings:
                after["rankings"] = ranking_state(create.rankings)
            entries.append((Ref(Enterprise, pk, values["name"], 1), ChangeAction.CREATE, None, after))
        writer.insert(part_ids, rows)
        # The database's full-text index picks the grams up from the rows just written.
        for sql, params in self.index.index(part_ids[0], part_ids[-1]):
            execute(sql, params)
        log_changes(entries, given=True)
        insert_rows(Enterprise.chain_nodes.through._meta.db_table, ("enterprise_id", "chainnode_id"), links)
        insert_rows(EnterpriseRanking._meta.db_table, ("enterprise_id", "list", "year", "rank"), rankings)

    def finish(self, updates: Sequence[EnterpriseChange]) -> None:
        """The search index's trigger back on, then the changes of existing records."""
        writer = self.writer
        now = timezone.now()
        if self.ids:  # the new rows were written, the trigger paused
            for sql, params in self.index.resume():
                execute(sql, params)
        links: list[tuple[int, int]] = []
        rankings: list[tuple[int, str, int, int]] = []
        entries: list[tuple[Ref, str, dict[str, Any] | None, dict[str, Any] | None]] = []
        if updates:
            stamp = writer.stamp
            columns = [f.column for f in writer.fields if f.name != "created"]
            attnames = [f.attname for f in writer.fields if f.name != "created"]
            rows = []
            for upd in updates:
                e = upd.enterprise
                e.updated = now
                bump(e)
                rows.append([stamp if a == "updated" else getattr(e, a) for a in attnames] + [e.pk])
                entries.append((Ref(Enterprise, e.pk, e.name, e.revision), ChangeAction.UPDATE, upd.before, upd.after))
            update_rows(Enterprise._meta.db_table, columns, rows)
            relinked = [u for u in updates if u.nodes is not None]
            delete_where_in(
                Enterprise.chain_nodes.through._meta.db_table, "enterprise_id", [u.enterprise.pk for u in relinked]
            )
            links.extend((u.enterprise.pk, node) for u in relinked for node in u.nodes or ())
            reranked = [u for u in updates if u.rankings is not None]
            delete_where_in(EnterpriseRanking._meta.db_table, "enterprise_id", [u.enterprise.pk for u in reranked])
            rankings.extend(
                (u.enterprise.pk, code, year, rank) for u in reranked for code, year, rank in u.rankings or ()
            )
        insert_rows(Enterprise.chain_nodes.through._meta.db_table, ("enterprise_id", "chainnode_id"), links)
        insert_rows(EnterpriseRanking._meta.db_table, ("enterprise_id", "list", "year", "rank"), rankings)
        log_changes(entries)
        enterprises_changed([u.enterprise.pk for u in updates])
