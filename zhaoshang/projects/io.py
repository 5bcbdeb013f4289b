"""Projects as a sheet: columns, matching by ID, the pipeline's rules, and the bulk write.

A row with the ID of a project the user may change updates it; any other row creates a
project.  A new project may start at a later stage only when the row has every fact that
stage requires (the same table the stage machine uses); the start is recorded in the stage
history with the reason "import".  A row that changes an existing project's stage is checked
by the same ``move_errors`` as a move on the kanban, gates included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.editing import locked_when_writing
from zhaoshang.core.scoping import Scope
from zhaoshang.core.tabular.engine import CREATE, UPDATE, Plan, Report, Resource, SheetRow, register_resource
from zhaoshang.core.tabular.export import exported_columns
from zhaoshang.core.tabular.kinds import Bool, Choice, Column, Date, Integer, Lookup, Money, Text
from zhaoshang.core.tabular.writing import attname, chunks
from zhaoshang.enterprises.io import EnterpriseResource, chain_node_key, industry_key
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.enterprises.selectors import resolve_references
from zhaoshang.org.selectors import attributable_unit_ids
from zhaoshang.projects import rules
from zhaoshang.projects.models import (
    FundingStatus,
    Project,
    ProjectCredit,
    ProjectMember,
    PromotionMethod,
    Stage,
)
from zhaoshang.projects.services import (
    NewProject,
    ProjectBulkWrite,
    ProjectChange,
    audit_state,
    gate_errors,
    move_errors,
    owner_for,
    values_of,
)

STAGE_NAMES: dict[str, str] = {
    rules.LEAD: "线索",
    rules.CONTACTED: "接洽",
    rules.NEGOTIATING: "洽谈",
    rules.REVIEW: "评审",
    rules.SIGNED: "签约",
    rules.REGISTERED: "注册",
    rules.LAND_ACQUIRED: "拿地",
    rules.CONSTRUCTION: "开工",
    rules.IN_PRODUCTION: "投产",
    rules.FULL_CAPACITY: "达产",
    rules.ON_HOLD: "暂缓",
    rules.DROPPED: "终止",
}
STAGE_ALIASES = {"意向": rules.NEGOTIATING, "评定": rules.REVIEW, "落地": rules.REGISTERED, "已签约": rules.SIGNED}
METHOD_NAMES: dict[str, str] = {
    PromotionMethod.BY_BUSINESS: "以商招商",
    PromotionMethod.CHAIN: "产业链招商",
    PromotionMethod.FUND: "基金招商",
    PromotionMethod.OUTPOST: "驻点招商",
    PromotionMethod.PLATFORM: "平台招商",
    PromotionMethod.LEADER: "领导招商",
    PromotionMethod.EXPO: "会展招商",
    PromotionMethod.OTHER: "其他",
}
FUNDING_NAMES: dict[str, str] = {
    FundingStatus.SECURED: "资金已到位",
    FundingStatus.COMMITTED: "融资已落实",
    FundingStatus.PARTIAL: "部分落实",
    FundingStatus.UNSECURED: "尚未落实",
}

COLUMNS: tuple[Column, ...] = (
    Column(
        "id",
        "项目编号",
        _("ID"),
        Integer(1),
        help=_("Leave empty for a new project; give the ID to update one."),
        width=9,
    ),
    Column("name", "项目名称", _("project name"), Text(200), required=True, width=30),
    Column(
        "enterprise",
        "投资企业",
        _("enterprise"),
        Text(200),
        help=_("Credit code or exact name of an enterprise in the registry."),
        aliases=("企业", "企业名称"),
        width=28,
    ),
    Column(
        "investor_name",
        "投资方名称",
        _("investor name"),
        Text(200),
        help=_("When the investor is not yet in the registry."),
        width=20,
    ),
    Column(
        "lead_unit",
        "牵头单位",
        _("lead unit"),
        Lookup("units", _("No unit is named “%(value)s”.")),
        required=True,
        width=16,
    ),
    Column("confidential", "是否保密", _("confidential"), Bool(), aliases=("保密",), width=8),
    Column(
        "stage",
        "项目阶段",
        _("stage"),
        Choice(Stage.choices, STAGE_NAMES, STAGE_ALIASES),
        help=_("Empty: lead for a new project, unchanged for an existing one."),
        aliases=("阶段",),
        width=10,
    ),
    Column(
        "stage_reason",
        "阶段变更原因",
        _("reason for the stage change"),
        Text(),
        help=_("Required to put a project on hold, drop it or move it back."),
        width=20,
    ),
    Column("source", "线索来源", _("lead source"), Text(200), width=16),
    Column(
        "promotion_method", "招商方式", _("promotion method"), Choice(PromotionMethod.choices, METHOD_NAMES), width=12
    ),
    Column(
        "industry",
        "行业代码",
        _("industry"),
        Lookup("industries", _("“%(value)s” is not a GB/T 4754-2017 industry code."), key=industry_key),
        help=_("GB/T 4754-2017 code of any level, e.g. 3911 or C39."),
        width=24,
    ),
    Column(
        "chain_node",
        "产业链环节",
        _("chain node"),
        Lookup(
            "chain_nodes",
            _("No chain node “%(value)s”; write it as chain/node, e.g. 新一代信息技术/网络安全."),
            key=chain_node_key,
        ),
        width=24,
    ),
    Column("description", "项目简介", _("description"), Text(), width=30),
    Column(
        "planned_investment",
        "计划总投资（万元）",
        _("planned total investment (10k CNY)"),
        Money(),
        aliases=("计划总投资",),
        width=14,
    ),
    Column(
        "fixed_asset_investment",
        "固定资产投资（万元）",
        _("fixed-asset investment (10k CNY)"),
        Money(),
        aliases=("固定资产投资",),
        width=14,
    ),
    Column(
        "contracted_investment",
        "合同投资额（万元）",
        _("contracted investment (10k CNY)"),
        Money(),
        aliases=("合同投资额",),
        width=14,
    ),
    Column(
        "foreign_capital_usd", "外资（万美元）", _("foreign capital (10k USD)"), Money(), aliases=("外资",), width=12
    ),
    Column(
        "fx_rate", "汇率（人民币/美元）", _("exchange rate (CNY per USD)"), Money(10, 4), aliases=("汇率",), width=12
    ),
    Column("fx_date", "汇率日期", _("exchange rate date"), Date(), width=12),
    Column("land_mu", "用地（亩）", _("land (mu)"), Money(12, 2), aliases=("用地", "用地面积（亩）"), width=10),
    Column(
        "expected_output",
        "预计年产值（万元）",
        _("expected yearly output (10k CNY)"),
        Money(),
        aliases=("预计年产值",),
        width=14,
    ),
    Column(
        "expected_tax",
        "预计年税收（万元）",
        _("expected yearly tax (10k CNY)"),
        Money(),
        aliases=("预计年税收",),
        width=14,
    ),
    Column("expected_jobs", "预计就业人数", _("expected jobs"), Integer(0), width=10),
    Column(
        "incentives_offered",
        "拟给予扶持（万元）",
        _("incentives offered (10k CNY)"),
        Money(),
        aliases=("扶持政策金额", "拟给予扶持"),
        width=14,
    ),
    Column("incentives_tied_to_tax", "扶持与纳税挂钩", _("incentives tied to tax paid"), Bool(), width=10),
    Column(
        "commitment_years",
        "承诺经营年限",
        _("committed period (years)"),
        Integer(0, 100),
        aliases=("承诺年限",),
        width=10,
    ),
    Column(
        "land_needed_mu", "实际用地需求（亩）", _("land needed (mu)"), Money(12, 2), aliases=("用地需求",), width=12
    ),
    Column(
        "floor_area_m2", "总建筑面积（㎡）", _("total floor area (m²)"), Money(12, 2), aliases=("总建筑面积",), width=12
    ),
    Column(
        "residential_area_m2",
        "住宅建筑面积（㎡）",
        _("residential floor area (m²)"),
        Money(12, 2),
        aliases=("住宅面积",),
        width=12,
    ),
    Column(
        "commercial_area_m2",
        "商业建筑面积（㎡）",
        _("commercial floor area (m²)"),
        Money(12, 2),
        aliases=("商业面积",),
        width=12,
    ),
    Column("rd_share", "研发投入占比（%）", _("R&D spending share (%)"), Money(5, 2), aliases=("研发占比",), width=10),
    Column("patents", "专利数", _("patents held"), Integer(0), aliases=("专利数量",), width=8),
    Column("high_tech", "高新技术企业", _("high-tech enterprise"), Bool(), aliases=("高企",), width=8),
    Column(
        "funding_status",
        "资金落实情况",
        _("funding readiness"),
        Choice(FundingStatus.choices, FUNDING_NAMES),
        width=12,
    ),
    Column("dishonest_party", "失信被执行人", _("on the dishonest-party list"), Bool(), width=8),
    Column(
        "unresolved_penalties",
        "未结环保安全处罚",
        _("unresolved environmental or safety penalties"),
        Bool(),
        width=10,
    ),
    Column("illegal_land_use", "违法用地记录", _("illegal land use on record"), Bool(), width=10),
    Column("first_contact_on", "首次接洽日期", _("first contact date"), Date(), width=12),
    Column("signed_on", "签约日期", _("signing date"), Date(), width=12),
    Column("registered_on", "注册日期", _("registration date"), Date(), width=12),
    Column("land_acquired_on", "拿地日期", _("land acquisition date"), Date(), width=12),
    Column("construction_started_on", "开工日期", _("construction start date"), Date(), width=12),
    Column("production_started_on", "投产日期", _("production start date"), Date(), width=12),
    Column("full_capacity_on", "达产日期", _("full capacity date"), Date(), width=12),
)

# Sheet columns that fill a plain field of the model, by column key -> attname.
_FIELD_ATTNAMES = {
    col.key: attname(Project, col.key)
    for col in COLUMNS
    if col.key in Project.EDITABLE_FIELDS and col.key != "enterprise"
}


@dataclass
class _Data:
    creates: list[NewProject] = field(default_factory=list)
    updates: list[ProjectChange] = field(default_factory=list)


def _facts(attrs: dict[str, Any]) -> dict[str, Any]:
    facts = dict(attrs)
    facts["investor"] = attrs.get("enterprise_id") or attrs.get("investor_name")
    return facts


class ProjectResource(Resource):
    """Import and export of projects."""

    name = "projects"
    model = Project
    columns = COLUMNS
    title = _("projects")
    list_url = "projects:list"
    sheet_title = "项目"

    def lookups(self, *, user: Any) -> dict[str, Any]:
        return EnterpriseResource().lookups(user=user)

    def template_lists(self, *, user: Any) -> dict[str, Sequence[str]]:
        return EnterpriseResource().template_lists(user=user)

    # -- checking -----------------------------------------------------------------------

    def _enterprises(self, rows: list[SheetRow], report: Report) -> dict[int, int | None]:
        """The enterprise each row names, resolved as the project form resolves it."""
        found = resolve_references(row.values["enterprise"] for row in rows if row.values.get("enterprise"))
        out: dict[int, int | None] = {}
        for row in rows:
            text = row.values.get("enterprise")
            ref = found.get(text) if text else None
            if ref is None:
                out[row.number] = None
            elif ref.error is not None:
                report(row.number, "enterprise", ref.error)
                row.failed.add("enterprise")
            else:
                out[row.number] = ref.enterprise_id
        return out

    def plan(self, rows: list[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report) -> Plan:
        plan = Plan()
        data = _Data()
        plan.data = data
        enterprises = self._enterprises(rows, report) if "enterprise" in present else {}

        wanted = sorted({row.values["id"] for row in rows if row.values.get("id")})
        instances: dict[int, Project] = {}
        for chunk in chunks(wanted):
            # With their enterprise: the gates of a stage change read its business scope.
            # Locked when the import writes, so nothing changes them between check and write.
            instances.update(
                (p.pk, p)
                for p in locked_when_writing(
                    Project.objects.restrict(user, "change").filter(pk__in=chunk).select_related("enterprise")
                )
            )
        credits: dict[int, list[str]] = defaultdict(list)
        members: dict[int, list[int]] = defaultdict(list)
        for chunk in chunks(sorted(instances)):
            for pid, credit_unit, role, share in (
                ProjectCredit.objects.filter(project_id__in=chunk)
                .order_by("unit_id", "role")
                .values_list("project_id", "unit_id", "role", "share")
            ):
                credits[pid].append(f"{credit_unit}:{role}:{share}")
            for pid, uid in ProjectMember.objects.filter(project_id__in=chunk).values_list("project_id", "user_id"):
                members[pid].append(uid)

        target_rows: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            pk = row.values.get("id")
            if pk:
                target_rows[pk].append(row.number)
        for numbers in target_rows.values():
            if len(numbers) > 1:
                text = "、".join(str(n) for n in numbers)
                for n in numbers:
                    report(n, "id", gettext("Rows %(rows)s change the same project.") % {"rows": text})

        owner = owner_for(user)
        units = attributable_unit_ids(user)
        field_keys = [k for k in _FIELD_ATTNAMES if k in present]
        # Enterprises of new rows that start past lead, loaded at once for the gates.
        gate_enterprises = Enterprise.objects.in_bulk(
            sorted(
                {
                    enterprises[row.number]
                    for row in rows
                    if not row.values.get("id")
                    and row.values.get("stage") not in (None, "", rules.LEAD)
                    and enterprises.get(row.number)
                }
            )
        )
        investor_column = "enterprise" if "enterprise" in present else "investor_name"

        def report_errors(number: int, errors: list[tuple[str, Any]], failed: set[str]) -> None:
            # The rules name model fields; the sheet names the investor by either column.
            for name, message in errors:
                if name == "investor_name":
                    if "enterprise" in failed:
                        continue
                    name = investor_column
                report(number, name, str(message))

        for row in rows:
            values = row.values
            if "id" in row.failed:
                continue
            pk = values.get("id")
            if pk and pk not in instances:
                report(row.number, "id", gettext("No project with ID %(id)s that you may change.") % {"id": pk})
                continue
            project = instances.get(pk) if pk else None
            unit = values.get("lead_unit")
            if unit and unit not in units and (project is None or project.lead_unit_id != unit):
                report(row.number, "lead_unit", gettext("You do not work in this unit; choose one of your own units."))
            stage = values.get("stage") or ""
            reason = (values.get("stage_reason") or "").strip()

            if project is None:
                attrs = {_FIELD_ATTNAMES[k]: values[k] for k in field_keys if k in values}
                attrs["enterprise_id"] = enterprises.get(row.number)
                rules.normalise(attrs)
                report_errors(row.number, rules.project_errors(attrs), row.failed)
                stage = stage or rules.LEAD
                if stage in rules.SIDE_STATES:
                    if not reason:
                        report(
                            row.number,
                            "stage_reason",
                            gettext("A reason is required to put a project on hold or drop it."),
                        )
                    attrs["side_reason"] = reason
                else:
                    missing = rules.missing_facts(_facts(attrs), stage)
                    if missing:
                        report(
                            row.number,
                            "stage",
                            gettext("A new project can start at stage %(stage)s only with: %(facts)s.")
                            % {"stage": STAGE_NAMES[stage], "facts": "、".join(str(m) for m in missing)},
                        )
                    elif stage != rules.LEAD:
                        # The gates of later mechanisms (screening…) judge the new project as
                        # the move from lead would, on an unsaved project built from the row.
                        candidate = Project(**attrs)
                        if candidate.enterprise_id and candidate.enterprise_id in gate_enterprises:
                            candidate.enterprise = gate_enterprises[candidate.enterprise_id]
                        for message in gate_errors(candidate, stage):
                            report(row.number, "stage", message)
                attrs["stage"] = stage
                attrs["owner_id"] = owner
                data.creates.append(NewProject(attrs, reason))
                plan.actions[row.number] = CREATE
                continue

            before = audit_state(project, credits.get(project.pk, []), members.get(project.pk, []))
            for k in field_keys:
                if k in values:
                    setattr(project, _FIELD_ATTNAMES[k], values[k])
            if "enterprise" in present and "enterprise" not in row.failed:
                project.enterprise_id = enterprises.get(row.number)
            current = values_of(project)
            rules.normalise(current)
            for name in ("name", "investor_name", "priority_band"):
                setattr(project, name, current[name])
            report_errors(row.number, rules.project_errors(current), row.failed)
            facts_state = audit_state(project, before["credits"], before["members"])
            change = ProjectChange(project, before, facts_state if facts_state != before else None)
            if stage and stage != project.stage:
                # A move, checked and applied as project_move does it.
                for message in move_errors(project, stage, reason):
                    report(row.number, "stage", message)
                change.moved_from = project.stage
                change.reason = reason
                for name, value in rules.move_effects(current=project.stage, target=stage, reason=reason).items():
                    setattr(project, name, value)
                change.move_states = (facts_state, audit_state(project, before["credits"], before["members"]))
            else:
                for message in rules.kept_facts_errors(project.facts(), project.stage, project.held_at_stage):
                    report(row.number, "stage", str(message))
            plan.actions[row.number] = UPDATE
            if change.after is None and change.moved_from is None:
                plan.unchanged += 1
                continue
            data.updates.append(change)
        return plan

    # -- writing: the pipeline's own service, in bulk -----------------------------------

    def write(self, plan: Plan, *, user: Any) -> None:
        data: _Data = plan.data
        ProjectBulkWrite(user=user, default_reason=gettext("import")).write(data.creates, data.updates)

    # -- export -------------------------------------------------------------------------

    def export_rows(self, queryset: Any) -> Iterator[Sequence[Any]]:
        """Each record in the exported columns, read in chunks: plain fields as they are,
        references by name, as the template writes them."""
        spans: list[tuple[Callable[[Sequence[Any]], Any], int, int]] = []
        paths: list[str] = []
        for col in exported_columns(self):
            read, cell = _EXPORTED.get(col.key, ((_FIELD_ATTNAMES.get(col.key, col.key),), _first))
            spans.append((cell, len(paths), len(read)))
            paths.extend(read)
        for r in queryset.values_list(*paths).iterator(chunk_size=2000):
            yield [cell(r[start : start + n]) for cell, start, n in spans]


def _first(values: Sequence[Any]) -> Any:
    return values[0]


# Columns whose export reads more than the field: what is read, and how it becomes the cell.
_EXPORTED: dict[str, tuple[tuple[str, ...], Callable[[Sequence[Any]], Any]]] = {
    "enterprise": (("enterprise__name",), lambda v: v[0] or ""),
    "lead_unit": (("lead_unit__name",), _first),
    "stage_reason": (("side_reason", "stage"), lambda v: v[0] if v[1] in rules.SIDE_STATES else ""),
    "industry": (("industry_id", "industry__name"), lambda v: f"{v[0]} {v[1]}" if v[0] else ""),
    "chain_node": (("chain_node__chain__name", "chain_node__name"), lambda v: f"{v[0]}/{v[1]}" if v[1] else ""),
}


register_resource("projects", ProjectResource())
