"""Writes to the enterprise registry.  Each service is keyword-only, atomic and audited."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhaoshang.core.audit import record_change, snapshot
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.values import credit_code_is_valid, normalize_credit_code
from zhaoshang.enterprises import rules
from zhaoshang.enterprises.models import (
    ChainNode,
    Enterprise,
    EnterpriseContact,
    EnterpriseRanking,
    RankingList,
)
from zhaoshang.enterprises.selectors import find_duplicates

EDITABLE_FIELDS = (
    "name",
    "former_names",
    "credit_code",
    "registered_capital",
    "hq_province",
    "hq_city",
    "industry",
    "listing_exchange",
    "ticker",
    "is_unicorn",
    "is_industry_leader",
    "sme_level",
    "revenue",
    "employees",
    "business_scope",
    "notes",
    "owner_unit",
)


class PossibleDuplicate(ValidationError):
    """Raised when a near-identical enterprise exists and the user has not confirmed."""

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
    """Normalised credit code, or None; raises a bilingual-ready message when invalid."""
    code = normalize_credit_code(value or "")
    if not code:
        return None
    if not credit_code_is_valid(code):
        raise ValidationError(
            {
                "credit_code": _(
                    "%(code)s is not a valid unified social credit code (check character per GB 32100-2015)."
                )
                % {"code": code}
            }
        )
    return code


def _prepare(enterprise: Enterprise) -> None:
    enterprise.name = (enterprise.name or "").strip()
    enterprise.name_key = rules.name_key(enterprise.name)
    enterprise.search_grams = rules.index_text(enterprise.name, enterprise.former_names)
    enterprise.credit_code = clean_credit_code(enterprise.credit_code)
    enterprise.hq_province = rules.province_short(enterprise.hq_province)


def _refresh_flags(enterprise: Enterprise) -> None:
    lists = set(enterprise.rankings.values_list("list", flat=True))
    enterprise.is_fortune500 = RankingList.FORTUNE500 in lists
    enterprise.is_china500 = RankingList.CHINA500 in lists
    enterprise.is_private500 = RankingList.PRIVATE500 in lists


def _check_duplicates(enterprise: Enterprise, confirm_not_duplicate: bool) -> None:
    if enterprise.credit_code:
        clash = Enterprise.objects.filter(credit_code=enterprise.credit_code).exclude(pk=enterprise.pk).first()
        if clash is not None:
            raise ValidationError(
                {
                    "credit_code": _("An enterprise with credit code %(code)s already exists: %(name)s.")
                    % {"code": enterprise.credit_code, "name": clash.name}
                }
            )
    if not confirm_not_duplicate:
        candidates = find_duplicates(name=enterprise.name, exclude_id=enterprise.pk)
        if candidates:
            raise PossibleDuplicate(candidates)


@transaction.atomic
def enterprise_create(
    *,
    data: dict[str, Any],
    chain_nodes: Iterable[ChainNode] = (),
    confirm_not_duplicate: bool = False,
) -> Enterprise:
    """Add an enterprise to the registry after validation and the duplicate check."""
    enterprise = Enterprise(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    _prepare(enterprise)
    enterprise.full_clean(exclude=["name_key"], validate_unique=False)
    _check_duplicates(enterprise, confirm_not_duplicate)
    enterprise.save()
    nodes = list(chain_nodes)
    if nodes:
        enterprise.chain_nodes.set(nodes)
    record_change(enterprise, action=ChangeAction.CREATE, after=_audit_state(enterprise))
    return enterprise


def _audit_state(enterprise: Enterprise) -> dict[str, Any]:
    state = snapshot(enterprise)
    state["chain_nodes"] = sorted(enterprise.chain_nodes.values_list("id", flat=True))
    return state


@transaction.atomic
def enterprise_update(
    *,
    enterprise: Enterprise,
    data: dict[str, Any],
    chain_nodes: Iterable[ChainNode] | None = None,
    confirm_not_duplicate: bool = True,
) -> Enterprise:
    """Change an enterprise's facts; the old state goes to the change log."""
    before = _audit_state(enterprise)
    old_names = (enterprise.name, enterprise.former_names)
    for key, value in data.items():
        if key in EDITABLE_FIELDS:
            setattr(enterprise, key, value)
    _prepare(enterprise)
    enterprise.full_clean(exclude=["name_key"], validate_unique=False)
    name_changed = old_names != (enterprise.name, enterprise.former_names)
    _check_duplicates(enterprise, confirm_not_duplicate or not name_changed)
    enterprise.save()
    if chain_nodes is not None:
        enterprise.chain_nodes.set(list(chain_nodes))
    after = _audit_state(enterprise)
    if after != before:
        record_change(enterprise, action=ChangeAction.UPDATE, before=before, after=after)
        enterprises_changed([enterprise.pk])
    return enterprise


@transaction.atomic
def ranking_set(*, enterprise: Enterprise, list: str, year: int, rank: int) -> EnterpriseRanking:
    """Record (or correct) the enterprise's place on a ranking list in a year."""
    before = _audit_state(enterprise)
    ranking, _created = EnterpriseRanking.objects.update_or_create(
        enterprise=enterprise, list=list, year=year, defaults={"rank": rank}
    )
    ranking.full_clean()
    _refresh_flags(enterprise)
    enterprise.save(update_fields=["is_fortune500", "is_china500", "is_private500", "updated"])
    after = _audit_state(enterprise)
    record_change(enterprise, action=ChangeAction.UPDATE, before=before, after=after, message=str(ranking))
    enterprises_changed([enterprise.pk])
    return ranking


@transaction.atomic
def ranking_delete(*, ranking: EnterpriseRanking) -> None:
    """Remove a ranking place and recompute the enterprise's tag flags."""
    enterprise = ranking.enterprise
    label = str(ranking)
    ranking.delete()
    _refresh_flags(enterprise)
    enterprise.save(update_fields=["is_fortune500", "is_china500", "is_private500", "updated"])
    record_change(enterprise, action=ChangeAction.UPDATE, message=_("ranking removed: %(r)s") % {"r": label})
    enterprises_changed([enterprise.pk])


@transaction.atomic
def contact_create(*, enterprise: Enterprise, unit: Any, data: dict[str, Any]) -> EnterpriseContact:
    """Record a person at the enterprise on behalf of ``unit``."""
    contact = EnterpriseContact(enterprise=enterprise, unit=unit, **data)
    contact.full_clean()
    contact.save()
    record_change(contact, action=ChangeAction.CREATE)
    return contact


@transaction.atomic
def enterprise_merge(*, keep: Enterprise, absorb: Enterprise) -> Enterprise:
    """Fold ``absorb`` into ``keep``: every reference moves, the absorbed name becomes a
    former name, and the absorbed record stays (marked merged) so its history is kept."""
    if keep.pk == absorb.pk:
        raise ValidationError(_("An enterprise cannot be merged into itself."))
    # Lock both and read their stored state: a second merge of the same record (another
    # tab, a stale object) must see the first one.
    list(Enterprise.objects.select_for_update().filter(pk__in=[keep.pk, absorb.pk]))
    keep.refresh_from_db()
    absorb.refresh_from_db()
    if absorb.merged_into_id:
        raise ValidationError(_("This enterprise has already been merged."))
    if keep.merged_into_id:
        raise ValidationError(_("An enterprise cannot be merged into one that was itself merged."))
    from django.apps import apps

    before_keep = _audit_state(keep)
    before_absorb = _audit_state(absorb)
    moved: dict[str, int] = {}
    # Every foreign key that points at Enterprise, in any app, is moved, so later apps
    # (projects, activities…) are covered without this service knowing them.
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Enterprise and model is not Enterprise:
                if model is EnterpriseRanking:
                    existing = set(EnterpriseRanking.objects.filter(enterprise=keep).values_list("list", "year"))
                    for r in EnterpriseRanking.objects.filter(enterprise=absorb):
                        if (r.list, r.year) in existing:
                            r.delete()
                        else:
                            r.enterprise = keep
                            r.save(update_fields=["enterprise"])
                    continue
                n = model._default_manager.filter(**{field.name: absorb}).update(**{field.name: keep})
                if n:
                    moved[model._meta.label] = n
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
    keep.save()
    absorb.merged_into = keep
    # A merged record is no longer searched: its names live on as the survivor's.
    absorb.search_grams = ""
    _refresh_flags(absorb)
    absorb.save(
        update_fields=["merged_into", "search_grams", "is_fortune500", "is_china500", "is_private500", "updated"]
    )
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(moved.items()))
    record_change(
        keep,
        action=ChangeAction.MERGE,
        before=before_keep,
        after=_audit_state(keep),
        message=_("absorbed %(name)s (#%(id)s) %(moved)s") % {"name": absorb.name, "id": absorb.pk, "moved": summary},
    )
    record_change(
        absorb,
        action=ChangeAction.MERGE,
        before=before_absorb,
        after=_audit_state(absorb),
        message=_("merged into %(name)s (#%(id)s)") % {"name": keep.name, "id": keep.pk},
    )
    enterprises_changed([keep.pk])
    return keep
