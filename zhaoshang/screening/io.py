"""Entries of the national Industrial Structure Adjustment Catalogue (2024) as a sheet.

Coordinators (and leaders) import the restricted (限制类) and eliminated (淘汰类) items the
zone screens by: one row per item, with its section and number, its exact wording, where the
wording was taken from, and what the screening should look for (industry codes, keywords).
A row with the class, section and item number of an entry already recorded updates it.  The
import is all or nothing; afterwards the catalogue gets a new version and every project is
re-screened.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.audit import snapshot
from zhaoshang.core.scoping import IMPORT, Scope, may
from zhaoshang.core.tabular.engine import CREATE, UPDATE, Plan, Report, Resource, SheetRow, register_resource
from zhaoshang.core.tabular.kinds import Choice, Column, Text
from zhaoshang.enterprises.models import IndustryCode
from zhaoshang.screening.models import CatalogueEntry, EntryClass, Provenance
from zhaoshang.screening.services import _split_keywords, entries_import, keyword_errors, split_list

CLASS_NAMES: dict[str, str] = {EntryClass.RESTRICTED: "限制类", EntryClass.ELIMINATED: "淘汰类"}

COLUMNS: tuple[Column, ...] = (
    Column(
        "entry_class",
        "类别",
        _("class"),
        Choice(EntryClass.choices, CLASS_NAMES, {"限制": EntryClass.RESTRICTED, "淘汰": EntryClass.ELIMINATED}),
        required=True,
        help=_("限制类 (restricted: the screening warns) or 淘汰类 (eliminated: the screening blocks)."),
        width=10,
    ),
    Column(
        "section",
        "章节",
        _("section"),
        Text(100),
        required=True,
        help=_("As the catalogue names it, e.g. 一、农林牧渔业."),
        aliases=("行业",),
        width=18,
    ),
    Column("item_number", "条目序号", _("item number"), Text(20), required=True, aliases=("序号",), width=10),
    Column(
        "wording",
        "条目原文",
        _("wording"),
        Text(2000),
        required=True,
        help=_("The item's exact wording, copied from the source; never paraphrased."),
        aliases=("原文", "条目内容"),
        width=50,
    ),
    Column(
        "industry_prefixes",
        "行业代码",
        _("industry code prefixes"),
        Text(500),
        help=_("GB/T 4754-2017 codes the item concerns, separated by commas, e.g. 2022, 2023."),
        width=16,
    ),
    Column(
        "keywords",
        "关键词",
        _("keywords"),
        Text(1000),
        help=_(
            "Words that point to the item in a project's name, description or the enterprise's business scope, separated by 、 or commas."
        ),
        width=24,
    ),
    Column(
        "source",
        "出处",
        _("source of the wording"),
        Text(1000),
        required=True,
        help=_("Where the wording was taken from: the document and page, or the web address."),
        width=30,
    ),
    Column(
        "active",
        "是否启用",
        _("active"),
        Choice(
            [("yes", _("yes")), ("no", _("no"))],
            {"yes": "是", "no": "否"},
            {"启用": "yes", "停用": "no", "y": "yes", "n": "no", "1": "yes", "0": "no", "true": "yes", "false": "no"},
        ),
        help=_("是 or 否; empty means 是."),
        width=8,
    ),
)


@dataclass
class _Data:
    creates: list[CatalogueEntry] = field(default_factory=list)
    updates: list[tuple[CatalogueEntry, dict[str, Any]]] = field(default_factory=list)


class CatalogueEntryResource(Resource):
    """Import and export of catalogue entries (coordinators and leaders only)."""

    name = "screening_entries"
    model = CatalogueEntry
    columns = COLUMNS
    title = _("catalogue entries")
    list_url = "screening:entries"
    sheet_title = "目录条目"

    def plan(self, rows: list[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report) -> Plan:
        plan = Plan()
        data = _Data()
        plan.data = data
        if not may(user, IMPORT, CatalogueEntry):
            for row in rows:
                report(
                    row.number,
                    "entry_class",
                    gettext("Only coordinators and leaders may change the screening catalogue."),
                )
            return plan
        existing = {(e.entry_class, e.section, e.item_number): e for e in CatalogueEntry.objects.all()}
        wanted_codes = {code.upper() for row in rows for code in split_list(row.values.get("industry_prefixes") or "")}
        known_codes = set(IndustryCode.objects.filter(code__in=sorted(wanted_codes)).values_list("code", flat=True))
        seen: dict[tuple[str, str, str], int] = {}
        user_id = user.pk if getattr(user, "is_authenticated", False) else None
        for row in rows:
            values = row.values
            if {"entry_class", "section", "item_number", "wording", "source"} & row.failed:
                continue
            key = (values["entry_class"], values["section"].strip(), values["item_number"].strip())
            if key in seen:
                report(
                    row.number,
                    "item_number",
                    gettext("Row %(row)s already gives this class, section and item number.") % {"row": seen[key]},
                )
                continue
            seen[key] = row.number
            prefixes = [p.upper() for p in split_list(values.get("industry_prefixes") or "")]
            unknown = [p for p in prefixes if p not in known_codes]
            if unknown:
                report(
                    row.number,
                    "industry_prefixes",
                    gettext("Not GB/T 4754-2017 codes: %(codes)s.") % {"codes": "、".join(unknown)},
                )
            keywords = _split_keywords(values.get("keywords") or "")
            for message in keyword_errors(keywords):
                report(row.number, "keywords", message)
            if not prefixes and not keywords:
                report(
                    row.number,
                    "keywords",
                    gettext("Give industry codes or keywords, or the screening can never find this item."),
                )
            active = values.get("active") != "no"
            attrs = {
                "entry_class": key[0],
                "section": key[1],
                "item_number": key[2],
                "wording": values["wording"].strip(),
                "industry_prefixes": prefixes,
                "keywords": keywords,
                "source": values["source"].strip(),
                "active": active,
            }
            entry = existing.get(key)
            if entry is None:
                data.creates.append(CatalogueEntry(provenance=Provenance.QUOTED, added_by_id=user_id, **attrs))
                plan.actions[row.number] = CREATE
                continue
            plan.actions[row.number] = UPDATE
            before = snapshot(entry)
            for name, value in attrs.items():
                setattr(entry, name, value)
            if snapshot(entry) == before:
                plan.unchanged += 1
                continue
            data.updates.append((entry, before))
        return plan

    def write(self, plan: Plan, *, user: Any) -> None:
        data: _Data = plan.data
        entries_import(user=user, creates=data.creates, updates=data.updates)

    def export_rows(self, queryset: Any) -> Iterator[Sequence[Any]]:
        for e in queryset.order_by("entry_class", "section", "id").iterator(chunk_size=1000):
            yield (
                e.entry_class,
                e.section,
                e.item_number,
                e.wording,
                ", ".join(e.industry_prefixes or []),
                "、".join(e.keywords or []),
                e.source,
                "yes" if e.active else "no",
            )


register_resource("screening_entries", CatalogueEntryResource())
