"""The enterprise registry as a sheet: its columns, how rows match records, and the bulk write.

A row updates an existing enterprise when it gives the enterprise's ID or a credit code
already in the registry; any other row creates one.  A new row whose name is near-identical
(same name key) to an enterprise in the registry or to another row of the file is refused,
so that duplicates are not imported blind; giving the existing record's ID or credit code
turns it into an update.  Everything that needs the database is loaded once, in batches,
before the rows are checked, so the check costs the same per row at 100 rows or 100,000.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.audit import snapshot
from zhaoshang.core.editing import locked_when_writing
from zhaoshang.core.scoping import Scope
from zhaoshang.core.tabular.engine import CREATE, UPDATE, Plan, Report, Resource, SheetRow, register_resource
from zhaoshang.core.tabular.export import exported_columns
from zhaoshang.core.tabular.kinds import (
    SLOW,
    Bool,
    CellError,
    Choice,
    Column,
    Failures,
    Integer,
    Kind,
    Lookup,
    Money,
    Text,
    finish_slow,
    fold,
)
from zhaoshang.core.tabular.writing import attname, chunks, fetch_where_in
from zhaoshang.core.values import credit_code_problem, normalize_credit_code, plain_valid_credit_code
from zhaoshang.enterprises import rules
from zhaoshang.enterprises.models import (
    ChainNode,
    Enterprise,
    EnterpriseRanking,
    Exchange,
    IndustryCode,
    RankingList,
    SmeLevel,
)
from zhaoshang.enterprises.selectors import duplicates_by_key
from zhaoshang.enterprises.services import (
    EnterpriseBulkWrite,
    EnterpriseChange,
    NewEnterprise,
    ranking_flags,
    ranking_state,
)
from zhaoshang.org.selectors import attributable_unit_ids

# Coded values as a Chinese sheet writes them (templates and exports use the first name).
EXCHANGE_NAMES: dict[str, str] = {
    Exchange.SSE: "上海证券交易所",
    Exchange.SZSE: "深圳证券交易所",
    Exchange.BSE: "北京证券交易所",
    Exchange.HKEX: "香港联合交易所",
    Exchange.NASDAQ: "纳斯达克",
    Exchange.NYSE: "纽约证券交易所",
    Exchange.OTHER: "其他交易所",
}
EXCHANGE_ALIASES = {
    "上交所": "SSE",
    "深交所": "SZSE",
    "北交所": "BSE",
    "港交所": "HKEX",
    "纽交所": "NYSE",
    "其他": "OTHER",
}
SME_NAMES: dict[str, str] = {
    SmeLevel.NATIONAL: "国家级专精特新“小巨人”",
    SmeLevel.PROVINCIAL: "省级专精特新",
    SmeLevel.MUNICIPAL: "市级专精特新",
}
SME_ALIASES = {
    "国家级": "national",
    "小巨人": "national",
    "国家级小巨人": "national",
    "省级": "provincial",
    "市级": "municipal",
}
RANKING_NAMES: dict[str, str] = {
    RankingList.FORTUNE500: "世界500强",
    RankingList.CHINA500: "中国500强",
    RankingList.PRIVATE500: "民营500强",
}
RANKING_ALIASES = {
    "财富世界500强": "fortune500",
    "fortuneglobal500": "fortune500",
    "中国企业500强": "china500",
    "中国民营企业500强": "private500",
    "民营企业500强": "private500",
}

_LIST_SEP = re.compile(r"[;；\n]+")
_RANK_SEP = re.compile(r"[:：]")


class CreditCode(Kind):
    """A unified social credit code, normalised as the registry keeps it and checked by the
    one check of GB 32100-2015 (``core.values.credit_code_problem``), as in the form."""

    def parse(self, value: Any) -> str:
        code = normalize_credit_code(str(value))
        problem = credit_code_problem(code)
        if problem is not None:
            raise CellError(problem)
        return code

    def parse_column(self, parse: Any, values: Sequence[Any]) -> tuple[list[Any], Failures]:
        # A code as the registry keeps it, which the one check accepts at once, is taken as
        # it is; every other cell goes through ``parse`` (normalised, then checked).
        out = [value if value.__class__ is str and plain_valid_credit_code(value) else SLOW for value in values]
        return finish_slow(out, values, parse, self.empty)


def industry_key(text: str) -> str:
    """ "3911", "C3911" and "3911 计算机整机制造" all mean the class 3911."""
    parts = unicodedata.normalize("NFKC", text).split()
    token = parts[0].upper() if parts else ""
    if len(token) > 1 and token[0].isalpha() and token[1:].isdigit():
        token = token[1:]
    return token


def chain_node_key(text: str) -> str:
    return fold(text).replace("·", "/").replace("\\", "/")


class ChainNodes(Kind):
    """Chain nodes written as 链名/环节名, several separated by semicolons."""

    empty: Any = ()
    repeats = True

    def bind(self, lookups: Mapping[str, Any]) -> Any:
        table: Mapping[str, int] = lookups["chain_nodes"]

        def parse(value: Any) -> tuple[int, ...]:
            ids: list[int] = []
            for item in _LIST_SEP.split(str(value)):
                item = item.strip()
                if not item:
                    continue
                node = table.get(chain_node_key(item))
                if node is None:
                    raise CellError(
                        gettext("No chain node “%(value)s”; write it as chain/node, e.g. 新一代信息技术/网络安全.")
                        % {"value": item}
                    )
                if node not in ids:
                    ids.append(node)
            return tuple(ids)

        return parse

    def to_cell(self, value: Any) -> Any:
        return ";".join(value or ())

    def options(self, lists: Mapping[str, Sequence[str]]) -> Sequence[str] | None:
        return lists.get("chain_nodes")


class Rankings(Kind):
    """Places on ranking lists as list:year:rank, several separated by semicolons."""

    empty: Any = ()
    repeats = True

    def __init__(self) -> None:
        self.lists = Choice(RankingList.choices, RANKING_NAMES, RANKING_ALIASES)

    def parse(self, value: Any) -> tuple[tuple[str, int, int], ...]:
        found: dict[tuple[str, int], int] = {}
        for item in _LIST_SEP.split(str(value)):
            item = item.strip()
            if not item:
                continue
            parts = [p.strip() for p in _RANK_SEP.split(item)]
            bad = gettext("“%(value)s” is not a ranking; write list:year:rank, e.g. 世界500强:2024:120.") % {
                "value": item
            }
            if len(parts) != 3:
                raise CellError(bad)
            try:
                code = self.lists.parse(parts[0])
                year = Integer(1900, 2100).parse(parts[1])
                rank = Integer(1, 100_000).parse(parts[2])
            except CellError as exc:
                raise CellError(bad) from exc
            if (code, year) in found:
                raise CellError(
                    gettext("%(list)s %(year)s is given twice.") % {"list": RANKING_NAMES[code], "year": year}
                )
            found[(code, year)] = rank
        return tuple(sorted((code, year, rank) for (code, year), rank in found.items()))

    def to_cell(self, value: Any) -> Any:
        return ";".join(f"{RANKING_NAMES.get(code, code)}:{year}:{rank}" for code, year, rank in value or ())


class Province(Text):
    """Kept in the short form the registry filters by (河南省 → 河南), as the form does."""

    repeats = True

    def parse(self, value: Any) -> str:
        return rules.province_short(super().parse(value))


COLUMNS: tuple[Column, ...] = (
    Column(
        "id",
        "编号",
        _("ID"),
        Integer(1),
        help=_("Leave empty for a new enterprise; give the ID to update one."),
        width=9,
    ),
    Column("name", "企业名称", _("name"), Text(200), required=True, width=32),
    Column("former_names", "曾用名", _("former names"), Text(), help=_("Several separated by semicolons."), width=20),
    Column(
        "credit_code",
        "统一社会信用代码",
        _("unified social credit code"),
        CreditCode(),
        help=_("18 characters; a code already in the registry updates that enterprise."),
        aliases=("信用代码", "社会信用代码"),
        width=22,
    ),
    Column(
        "registered_capital",
        "注册资本（万元）",
        _("registered capital (10k CNY)"),
        Money(),
        aliases=("注册资本",),
        width=14,
    ),
    Column("hq_province", "总部所在省份", _("headquarters province"), Province(20), aliases=("省份",), width=10),
    Column("hq_city", "总部所在城市", _("headquarters city"), Text(40), aliases=("城市",), width=10),
    Column(
        "industry",
        "行业代码",
        _("industry"),
        Lookup("industries", _("“%(value)s” is not a GB/T 4754-2017 industry code."), key=industry_key),
        help=_("GB/T 4754-2017 code of any level, e.g. 3911 or C39."),
        aliases=("国民经济行业分类", "行业"),
        width=24,
    ),
    Column(
        "listing_exchange",
        "上市交易所",
        _("exchange"),
        Choice(Exchange.choices, EXCHANGE_NAMES, EXCHANGE_ALIASES),
        width=14,
    ),
    Column("ticker", "股票代码", _("ticker"), Text(16), width=10),
    Column("is_unicorn", "独角兽", _("unicorn"), Bool(), width=8),
    Column("is_industry_leader", "行业龙头", _("industry leader"), Bool(), aliases=("头部企业",), width=8),
    Column(
        "sme_level",
        "专精特新等级",
        _("specialised SME level"),
        Choice(SmeLevel.choices, SME_NAMES, SME_ALIASES),
        aliases=("专精特新",),
        width=16,
    ),
    Column(
        "revenue",
        "年营业收入（万元）",
        _("annual revenue (10k CNY)"),
        Money(),
        aliases=("营业收入", "年营业收入"),
        width=16,
    ),
    Column("employees", "员工人数", _("employees"), Integer(0), width=10),
    Column("business_scope", "经营范围", _("business scope"), Text(), width=30),
    Column("notes", "备注", _("notes"), Text(), width=20),
    Column(
        "chain_nodes",
        "产业链环节",
        _("chain nodes"),
        ChainNodes(),
        help=_("As chain/node, several separated by semicolons."),
        width=24,
    ),
    Column(
        "owner_unit",
        "录入单位",
        _("recorded by unit"),
        Lookup("units", _("No unit is named “%(value)s”.")),
        help=_("Empty: your own unit."),
        width=16,
    ),
    Column(
        "rankings",
        "榜单排名",
        _("rankings"),
        Rankings(),
        help=_("As list:year:rank, several separated by semicolons, e.g. 世界500强:2024:120;中国500强:2024:33."),
        width=28,
    ),
    Column(
        "confirm_not_duplicate",
        "确认非重复",
        _("confirmed as a different enterprise"),
        Bool(),
        help=_(
            "是: the registry already has an enterprise of (nearly) the same name, and this row is a different one."
        ),
        exported=False,
        width=10,
    ),
)

# Sheet columns that fill a plain field of the model, by column key -> attname (the recording
# unit is given separately, as the owner of a new record).
_FIELD_ATTNAMES = {
    col.key: attname(Enterprise, col.key)
    for col in COLUMNS
    if col.key in Enterprise.EDITABLE_FIELDS and col.key != "owner_unit"
}


@dataclass
class _Data:
    """An enterprise import's plan: what ``plan`` found for the whole sheet, and what the
    parts checked, for the registry's bulk writer (``services.EnterpriseBulkWrite``)."""

    # From the whole sheet: each row's target (None: a new record), name key and folded name.
    targets: dict[int, int | None] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)
    folded: dict[int, str] = field(default_factory=dict)
    new_rows: int = 0
    default_unit: int | None = None
    units: frozenset[int] = frozenset()
    # The records to update, with their chain nodes and rankings as they are.
    instances: dict[int, Enterprise] = field(default_factory=dict)
    nodes_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    ranks_of: dict[int, list[tuple[str, int, int]]] = field(default_factory=lambda: defaultdict(list))
    field_keys: list[str] = field(default_factory=list)
    creates: list[NewEnterprise] = field(default_factory=list)
    updates: list[EnterpriseChange] = field(default_factory=list)
    write: EnterpriseBulkWrite | None = None


class EnterpriseResource(Resource):
    """Import and export of the enterprise registry."""

    name = "enterprises"
    model = Enterprise
    columns = COLUMNS
    title = _("enterprises")
    list_url = "enterprises:list"
    sheet_title = "企业"
    # Which record a row means, and whether it duplicates another, depends on these alone:
    # the other columns are checked and written a part at a time.
    key_columns = frozenset({"id", "credit_code", "name", "confirm_not_duplicate"})

    # -- lookups ------------------------------------------------------------------------

    def lookups(self, *, user: Any) -> dict[str, Any]:
        from zhaoshang.org.models import Unit

        return {
            "industries": {code: code for code in IndustryCode.objects.values_list("code", flat=True)},
            "units": {fold(name): pk for pk, name in Unit.objects.filter(active=True).values_list("id", "name")},
            "chain_nodes": {
                chain_node_key(f"{chain}/{node}"): pk
                for pk, chain, node in ChainNode.objects.values_list("id", "chain__name", "name")
            },
        }

    def template_lists(self, *, user: Any) -> dict[str, Sequence[str]]:
        from zhaoshang.org.selectors import attributable_units

        return {
            "industries": [f"{c} {n}" for c, n in IndustryCode.objects.order_by("code").values_list("code", "name")],
            "units": list(attributable_units(user).values_list("name", flat=True)),
            "chain_nodes": [
                f"{chain}/{node}"
                for chain, node in ChainNode.objects.order_by(
                    "chain__sort_order", "chain__name", "sort_order", "id"
                ).values_list("chain__name", "name")
            ],
        }

    # -- checking -----------------------------------------------------------------------

    def plan(self, rows: list[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report) -> Plan:
        plan = Plan()
        data = _Data()
        plan.data = data

        # Credit codes given twice in the file: an error on every row that has it.
        code_rows: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            code = row.values.get("credit_code")
            if code:
                code_rows[code].append(row.number)
        for code, numbers in code_rows.items():
            if len(numbers) > 1:
                text = "、".join(str(n) for n in numbers)
                for n in numbers:
                    report(
                        n,
                        "credit_code",
                        gettext("The credit code %(code)s appears in more than one row (rows %(rows)s).")
                        % {"code": code, "rows": text},
                    )

        # Existing records named by ID or by credit code, loaded in batches.
        wanted_ids = sorted({row.values["id"] for row in rows if row.values.get("id")})
        existing: dict[int, tuple[str | None, int | None, str]] = {}
        code_owner: dict[str, int] = {}
        fields = ("id", "credit_code", "merged_into_id", "name")
        for pk, code, merged, name in fetch_where_in(Enterprise, "id", wanted_ids, fields):
            existing[pk] = (code, merged, name)
            if code:
                code_owner[code] = pk
        for pk, code, merged, name in fetch_where_in(Enterprise, "credit_code", code_rows, fields):
            existing[pk] = (code, merged, name)
            code_owner[code] = pk
        changeable: set[int] = set()
        for chunk in chunks(sorted(existing)):
            changeable.update(
                Enterprise.objects.restrict(user, "change").filter(pk__in=chunk).values_list("id", flat=True)
            )

        # Decide each row's target.
        targets: dict[int, int | None] = {}
        target_rows: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            if "id" in row.failed or "credit_code" in row.failed:
                continue  # which record the row means is unknown; its cell error says why
            values = row.values
            pk = values.get("id")
            code = values.get("credit_code")
            target: int | None = None
            if pk:
                if pk not in existing or pk not in changeable:
                    report(row.number, "id", gettext("No enterprise with ID %(id)s that you may change.") % {"id": pk})
                    row.failed.add("id")
                    continue
                if existing[pk][1]:
                    report(
                        row.number,
                        "id",
                        gettext("Enterprise ID %(id)s was merged into ID %(into)s; update that one instead.")
                        % {"id": pk, "into": existing[pk][1]},
                    )
                    row.failed.add("id")
                    continue
                owner = code_owner.get(code) if code else None
                if owner is not None and owner != pk:
                    report(
                        row.number,
                        "credit_code",
                        gettext("The credit code %(code)s already belongs to %(name)s (ID %(id)s).")
                        % {"code": code, "name": existing[owner][2], "id": owner},
                    )
                    row.failed.add("credit_code")
                target = pk
            elif code and code in code_owner:
                owner = code_owner[code]
                if owner not in changeable:
                    report(
                        row.number,
                        "credit_code",
                        gettext(
                            "%(name)s (credit code %(code)s) is already in the registry, recorded by another unit; you may not change it."
                        )
                        % {"name": existing[owner][2], "code": code},
                    )
                    row.failed.add("credit_code")
                    continue
                if existing[owner][1]:
                    report(
                        row.number,
                        "credit_code",
                        gettext(
                            "The enterprise with credit code %(code)s was merged into ID %(into)s; update that one instead."
                        )
                        % {"code": code, "into": existing[owner][1]},
                    )
                    row.failed.add("credit_code")
                    continue
                target = owner
            targets[row.number] = target
            if target is not None:
                target_rows[target].append(row.number)
        for numbers in target_rows.values():
            if len(numbers) > 1:
                text = "、".join(str(n) for n in numbers)
                for n in numbers:
                    report(n, "id", gettext("Rows %(rows)s change the same enterprise.") % {"rows": text})

        # Records to update, with their chain nodes and rankings, for the change log.  Read
        # locked when the import writes, so that nobody changes them between check and write.
        update_ids = sorted({t for t in targets.values() if t is not None})
        through = Enterprise.chain_nodes.through
        for chunk in chunks(update_ids):
            data.instances.update((e.pk, e) for e in locked_when_writing(Enterprise.objects.filter(pk__in=chunk)))
            for eid, nid in through.objects.filter(enterprise_id__in=chunk).values_list(
                "enterprise_id", "chainnode_id"
            ):
                data.nodes_of[eid].append(nid)
            for eid, lst, year, rank in EnterpriseRanking.objects.filter(enterprise_id__in=chunk).values_list(
                "enterprise_id", "list", "year", "rank"
            ):
                data.ranks_of[eid].append((lst, year, rank))

        # The duplicate rule (rules.duplicate_key), as the form applies it: a new row, or a
        # row that renames a record, whose name has the key of another record in the
        # registry or of another row of the file, unless the row confirms it is different.
        # A row's folded name is kept: a new record's search grams start from it.
        keys: dict[int, str] = {}
        folded: dict[int, str] = {}
        key_rows: dict[str, list[int]] = defaultdict(list)
        checked: dict[int, str] = {}  # row number -> key to check against the registry
        for row in rows:
            name = row.values.get("name")
            if not name or row.number not in targets:
                continue
            folded[row.number] = fold_name = rules.fold_name(name)
            keys[row.number] = key = rules.key_of_folded(fold_name)
            target = targets[row.number]
            if row.values.get("confirm_not_duplicate"):
                continue
            if target is None or data.instances[target].name_key != key:
                checked[row.number] = key
                key_rows[key].append(row.number)
        registry = duplicates_by_key(checked.values())
        for number, key in checked.items():
            target = targets[number]
            others = [(pk, name) for pk, name in registry.get(key, []) if pk != target]
            if others:
                pk, name = others[0]
                report(
                    number,
                    "name",
                    gettext(
                        "A similar enterprise is already in the registry: %(name)s (ID %(id)s). To update it, give its ID "
                        "or credit code; if it is a different enterprise, write 是 in the column 确认非重复."
                    )
                    % {"name": name, "id": pk},
                )
            same_file = [n for n in key_rows[key] if n != number]
            if same_file:
                report(
                    number,
                    "name",
                    gettext(
                        "The name is near-identical to the name in row %(rows)s; if they are different enterprises, "
                        "write 是 in the column 确认非重复."
                    )
                    % {"rows": "、".join(str(n) for n in same_file)},
                )

        # Recording unit: one the user may attribute work to (the rule of the form).
        data.units = attributable_unit_ids(user)
        data.default_unit = scope.default_unit_id
        data.field_keys = [k for k in _FIELD_ATTNAMES if k in present]
        data.targets, data.keys, data.folded = targets, keys, folded
        data.new_rows = sum(1 for t in targets.values() if t is None)
        return plan

    def plan_part(
        self, plan: Plan, rows: Sequence[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report
    ) -> None:
        data: _Data = plan.data
        targets = data.targets
        field_keys = data.field_keys
        for row in rows:
            if row.number not in targets:
                continue
            values = row.values
            target = targets[row.number]
            unit = values.get("owner_unit")
            current_unit = data.instances[target].owner_unit_id if target is not None else None
            if unit and unit != current_unit and unit not in data.units:
                report(row.number, "owner_unit", gettext("You do not work in this unit; choose one of your own units."))
            nodes = values.get("chain_nodes") if "chain_nodes" in present and "chain_nodes" not in row.failed else None
            ranks = values.get("rankings") if "rankings" in present and "rankings" not in row.failed else None
            if target is None:
                data.creates.append(
                    NewEnterprise(
                        values,
                        data.keys.get(row.number, ""),
                        data.folded.get(row.number, ""),
                        unit or data.default_unit,
                        tuple(nodes or ()),
                        tuple(ranks or ()),
                    )
                )
                plan.actions[row.number] = CREATE
                continue
            enterprise = data.instances[target]
            old_nodes = sorted(data.nodes_of.get(target, []))
            old_ranks = sorted(data.ranks_of.get(target, []))
            before = {**snapshot(enterprise), "chain_nodes": old_nodes}
            for k in field_keys:
                if k in values:
                    setattr(enterprise, _FIELD_ATTNAMES[k], values[k])
            enterprise.former_names = rules.normalise_former_names(enterprise.former_names)
            enterprise.name_key = data.keys.get(row.number) or rules.duplicate_key(enterprise.name)
            enterprise.search_grams = rules.index_text(enterprise.name, enterprise.former_names)
            if unit:
                enterprise.owner_unit_id = unit
            new_ranks = sorted(ranks) if ranks is not None else old_ranks
            if ranks is not None:
                for flag, value in ranking_flags(new_ranks).items():
                    setattr(enterprise, flag, value)
            new_nodes = sorted(nodes) if nodes is not None else old_nodes
            after = {**snapshot(enterprise), "chain_nodes": new_nodes}
            if new_ranks != old_ranks:
                before["rankings"] = ranking_state(old_ranks)
                after["rankings"] = ranking_state(new_ranks)
            plan.actions[row.number] = UPDATE
            if after == before:
                plan.unchanged += 1
                continue
            data.updates.append(
                EnterpriseChange(
                    enterprise,
                    before,
                    after,
                    tuple(new_nodes) if new_nodes != old_nodes else None,
                    tuple(new_ranks) if new_ranks != old_ranks else None,
                )
            )

    # -- writing: the registry's own service, in bulk -----------------------------------

    def _writer(self, plan: Plan, user: Any) -> EnterpriseBulkWrite:
        data: _Data = plan.data
        if data.write is None:
            data.write = EnterpriseBulkWrite(
                user=user, sheet_keys={k: _FIELD_ATTNAMES[k] for k in data.field_keys}, new_rows=data.new_rows
            )
        return data.write

    def write_part(self, plan: Plan, *, user: Any) -> None:
        """The new rows checked since the last part."""
        data: _Data = plan.data
        writer = self._writer(plan, user)
        writer.add(data.creates[writer.written :])

    def write(self, plan: Plan, *, user: Any) -> None:
        """After the parts: the changes of existing records."""
        data: _Data = plan.data
        self._writer(plan, user).finish(data.updates)

    # -- export -------------------------------------------------------------------------

    def export_rows(self, queryset: Any) -> Iterator[Sequence[Any]]:
        """Each record in the exported columns, read in chunks of 2,000: plain fields as they
        are, references by name, chain nodes and rankings in one query per chunk."""
        spans: list[tuple[str, Callable[[Sequence[Any]], Any], int, int]] = []
        paths: list[str] = ["id"]
        for col in exported_columns(self):
            if col.key in _BY_CHUNK:
                spans.append((col.key, _first, 0, 1))  # filled from the chunk's own query
                continue
            read, cell = _EXPORTED.get(col.key, ((_FIELD_ATTNAMES.get(col.key, col.key),), _first))
            spans.append((col.key, cell, len(paths), len(read)))
            paths.extend(read)
        batch: list[tuple[Any, ...]] = []

        def flush() -> Iterator[Sequence[Any]]:
            extra = _chunk_values([r[0] for r in batch])
            for r in batch:
                yield [
                    extra[key].get(r[0], ()) if key in _BY_CHUNK else cell(r[start : start + n])
                    for key, cell, start, n in spans
                ]

        for r in queryset.values_list(*paths).iterator(chunk_size=2000):
            batch.append(r)
            if len(batch) >= 2000:
                yield from flush()
                batch = []
        if batch:
            yield from flush()


def _first(values: Sequence[Any]) -> Any:
    return values[0]


# Columns whose export reads more than the field: what is read, and how it becomes the cell.
_EXPORTED: dict[str, tuple[tuple[str, ...], Callable[[Sequence[Any]], Any]]] = {
    "former_names": (("former_names",), lambda v: ";".join(rules.split_former_names(v[0]))),
    "credit_code": (("credit_code",), lambda v: v[0] or ""),
    "industry": (("industry_id", "industry__name"), lambda v: f"{v[0]} {v[1]}" if v[0] else ""),
    "owner_unit": (("owner_unit__name",), lambda v: v[0] or ""),
}
# Columns of many values per record, read for a whole chunk of records at once.
_BY_CHUNK = frozenset({"chain_nodes", "rankings"})


def _chunk_values(ids: list[int]) -> dict[str, dict[int, list[Any]]]:
    through = Enterprise.chain_nodes.through
    nodes: dict[int, list[Any]] = defaultdict(list)
    for eid, chain, node in (
        through.objects.filter(enterprise_id__in=ids)
        .order_by("chainnode__chain__sort_order", "chainnode__sort_order")
        .values_list("enterprise_id", "chainnode__chain__name", "chainnode__name")
    ):
        nodes[eid].append(f"{chain}/{node}")
    ranks: dict[int, list[Any]] = defaultdict(list)
    for eid, lst, year, rank in (
        EnterpriseRanking.objects.filter(enterprise_id__in=ids)
        .order_by("-year", "list")
        .values_list("enterprise_id", "list", "year", "rank")
    ):
        ranks[eid].append((lst, year, rank))
    return {"chain_nodes": nodes, "rankings": ranks}


register_resource("enterprises", EnterpriseResource())
