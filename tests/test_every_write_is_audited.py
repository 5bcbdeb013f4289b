"""Every change audited, whatever writes it.

Each service of every app (found in its ``services`` module, so a new one cannot be
forgotten) is run once in a scenario, and every row it created, changed or deleted is looked
for in the change log written during the call: a record of a user-visible model by its own
entry, a row that hangs on a record (members, credits, contacts, rankings, chain links) by
its record's.  Derived data (verdicts, scores), the change log itself, the stage history and
the job runner's bookkeeping are not records people edit, and are named here as such.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models

from tests.conftest import client_for
from tests.factories import csv_bytes, enterprise, project
from zhaoshang.core.audit import audit_context
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.scoping import SYSTEM

APPS = ("org", "enterprises", "projects", "screening", "evaluation", "jobs")

# Public names of the services modules that write nothing themselves (checks, reads,
# registries, value types) or whose writes are derived data or bookkeeping.
NOT_WRITES = {
    "PossibleDuplicate",
    "register_listener",
    "enterprises_changed",
    "clean_credit_code",
    "references_to",
    "NewEnterprise",
    "EnterpriseChange",
    "ranking_state",
    "ranking_flags",
    "register_gate",
    "facts_changed",
    "enterprise_listener",
    "MoveRefused",
    "values_of",
    "check_facts",
    "audit_state",
    "move_errors",
    "structural_errors",
    "gate_errors",
    "NewProject",
    "ProjectChange",
    "owner_for",
    "current_version",
    "active_specs",
    "catalogue",
    "project_facts",
    "screen_project",
    "verdict_now",
    "projects_with_outcome",
    "screening_listener",
    "Candidate",
    "prescreen",  # reads only: tests/test_prescreen.py checks that nothing is saved
    "gate",
    "split_list",
    "require_editor",
    "prefix_errors",
    "keyword_errors",
    "default_scheme_data",
    "facts_listener",
    "screening_outcomes",
    "screening_projects_with",
    "fast_track_errors",
    "signing_gate",
    "Recovery",
    "RuleFields",
    # Version bookkeeping and derived data: the catalogue's counter, verdicts and scores
    # (whose outcome and grade changes are logged on the project: see the scenarios).
    "bump_version",
    "outcomes",
    "screen_projects",
    # Enqueueing records the job (its creation is logged); the job's own work is audited
    # where it writes, as the scenarios below show for each kind.
    "request_rescreen",
    "request_rescore",
}

# Rows that hang on a record: their change is logged on that record.
PARENTS: dict[str, str] = {
    "projects.ProjectMember": "project",
    "projects.ProjectCredit": "project",
    "projects.ProjectContact": "project",
    "enterprises.EnterpriseRanking": "enterprise",
    "enterprises.Enterprise_chain_nodes": "enterprise",
    "evaluation.ReviewMeeting_members": "reviewmeeting",
}
# Not records people edit: derived data, history, bookkeeping.
NOT_AUDITED = {
    "core.ChangeLog",
    "projects.StageChange",
    "screening.Verdict",
    "screening.CatalogueVersion",
    "evaluation.Score",
    "jobs.Job",  # the runner's state and progress; a job's creation and retry are logged
    "contenttypes.ContentType",
    "sessions.Session",
    "auth.Permission",
}
IGNORED_COLUMNS = {"updated"}


def service_names() -> dict[str, list[str]]:
    """The public functions and classes each app's services module defines."""
    found: dict[str, list[str]] = {}
    for app in APPS:
        path = Path(importlib.import_module(f"zhaoshang.{app}.services").__file__ or "")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found[app] = [
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_") and n.name not in NOT_WRITES
        ]
    return found


def _tables() -> list[type[models.Model]]:
    out = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label not in NOT_AUDITED and model._meta.app_label in (*APPS, "auth"):
            out.append(model)
    return out


def _state() -> dict[tuple[str, Any], tuple[Any, ...]]:
    state: dict[tuple[str, Any], tuple[Any, ...]] = {}
    for model in _tables():
        names = [f.attname for f in model._meta.concrete_fields if f.name not in IGNORED_COLUMNS]
        for row in model._base_manager.values_list(*names):
            state[(model._meta.label, row[0])] = row
    return state


def unaudited(run: Callable[[], Any]) -> list[str]:
    """Run ``run`` and name every row it wrote that the change log written meanwhile does
    not cover."""
    before = _state()
    mark = ChangeLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    run()
    after = _state()
    logged = {
        (ContentType.objects.get_for_id(ct).model_class()._meta.label, pk)  # type: ignore[union-attr]
        for ct, pk in ChangeLog.objects.filter(id__gt=mark).values_list("content_type", "object_id")
    }
    missing = []
    for key in sorted(set(before) | set(after), key=str):
        if before.get(key) == after.get(key):
            continue
        label, pk = key
        if label == "auth.User":
            continue  # accounts are not managed by these services
        model = apps.get_model(label)
        target: tuple[str, Any] = key
        if label in PARENTS:
            row = after.get(key) or before[key]
            names = [f.attname for f in model._meta.concrete_fields if f.name not in IGNORED_COLUMNS]
            field = model._meta.get_field(PARENTS[label])
            parent = row[names.index(field.attname)]  # type: ignore[union-attr]
            target = (field.related_model._meta.label, parent)  # type: ignore[union-attr]
        if target not in logged:
            what = "created" if key not in before else "deleted" if key not in after else "changed"
            missing.append(f"{label} #{pk} {what}, no change-log entry for {target[0]} #{target[1]}")
    return missing


# -- one scenario per service ----------------------------------------------------------------


def _org(org: Any) -> dict[str, Callable[[], Any]]:
    from zhaoshang.org import services
    from zhaoshang.org.models import Membership

    return {
        "unit_create": lambda: services.unit_create(
            user=SYSTEM, name="粤港澳招商分局", kind="outpost", parent=org.centre
        ),
        # A move re-roots the sub-unit's path too: every moved unit has its line.
        "unit_update": lambda: services.unit_update(user=SYSTEM, unit=org.park_a, parent=org.centre),
        "membership_set": lambda: services.membership_set(
            user=SYSTEM, member=org.officer_b, unit=org.park_a, role="viewer"
        ),
        "membership_delete": lambda: services.membership_delete(
            user=SYSTEM, membership=Membership.objects.get(user=org.officer_b)
        ),
    }


def _enterprises(org: Any) -> dict[str, Callable[[], Any]]:
    from zhaoshang.core.tabular.engine import run_import
    from zhaoshang.enterprises import services

    e = enterprise("郑州宇通客车股份有限公司", owner_unit=org.park_a)
    dup = enterprise("郑州宇通客车有限公司", owner_unit=org.park_a)
    project("宇通新能源客车项目", org.park_a, org.officer_a, enterprise=dup)
    sheet = csv_bytes(
        [["编号", "企业名称", "备注"], [str(e.pk), e.name, "已核对"], ["", "河南新乡化纤股份有限公司", ""]]
    )
    return {
        "enterprise_create": lambda: services.enterprise_create(
            user=org.officer_a, data={"name": "洛阳轴承集团有限公司"}
        ),
        "enterprise_update": lambda: services.enterprise_update(
            user=org.officer_a, enterprise=e, data={"notes": "龙头"}
        ),
        "ranking_set": lambda: services.ranking_set(
            user=org.officer_a, enterprise=e, list="china500", year=2024, rank=8
        ),
        "ranking_delete": lambda: (
            services.ranking_set(user=SYSTEM, enterprise=e, list="china500", year=2023, rank=9),
            services.ranking_delete(user=org.officer_a, ranking=e.rankings.get(year=2023)),
        ),
        "contact_create": lambda: services.contact_create(user=org.officer_a, enterprise=e, data={"name": "张经理"}),
        # Every project that pointed at the absorbed record moves, each with its own line.
        "enterprise_merge": lambda: services.enterprise_merge(user=org.coordinator, keep=e, absorb=dup),
        "EnterpriseBulkWrite": lambda: run_import(
            resource="enterprises", data=sheet, filename="e.csv", user=org.coordinator, commit=True
        ),
    }


def _projects(org: Any) -> dict[str, Callable[[], Any]]:
    from zhaoshang.core.tabular.engine import run_import
    from zhaoshang.projects import services

    p = project("网络安全产业基地", org.park_a, org.officer_a)
    sheet = csv_bytes(
        [
            ["项目编号", "项目名称", "投资方名称", "牵头单位", "线索来源", "项目阶段"],
            [str(p.pk), p.name, "中国电子", "园区运营中心A", "市商务局推介", "接洽"],
            ["", "智能传感器项目", "汉威科技", "园区运营中心A", "", ""],
        ]
    )
    return {
        "project_create": lambda: services.project_create(
            user=org.officer_a, data={"name": "新项目", "investor_name": "某公司", "lead_unit": org.park_a}
        ),
        "project_update": lambda: services.project_update(
            user=org.officer_a, project=p, data={"source": "以商招商", "owner": org.manager_a}
        ),
        "project_move": lambda: (
            services.project_update(user=SYSTEM, project=p, data={"source": "展会"}),
            services.project_move(user=org.officer_a, project=p, target="contacted"),
        ),
        "credits_set": lambda: services.credits_set(
            user=org.officer_a, project=p, shares=[(org.park_a, "first_contact", Decimal(100))]
        ),
        "member_add": lambda: services.member_add(user=org.officer_a, project=p, member=org.officer_a2),
        "member_remove": lambda: (
            services.member_add(user=SYSTEM, project=p, member=org.officer_a2),
            services.member_remove(user=org.officer_a, project=p, member=org.officer_a2),
        ),
        "contact_add": lambda: services.contact_add(user=org.officer_a, project=p, data={"name": "王总"}),
        "ProjectBulkWrite": lambda: run_import(
            resource="projects", data=sheet, filename="p.csv", user=org.officer_a, commit=True
        ),
    }


def _screening(org: Any, on_commit: Any) -> dict[str, Callable[[], Any]]:
    from zhaoshang.screening import services
    from zhaoshang.screening.models import CatalogueEntry, Rule

    project("浮法平板玻璃生产线", org.park_a, org.officer_a, description="新建浮法玻璃生产线")
    rule = Rule.objects.get(code="5NO-LAND-INTENSITY")
    entry = CatalogueEntry.objects.order_by("id").first()
    new_rule = {
        "code": "3NO-TEST-RULE",
        "family": "three_donts",
        "category": "overcapacity",
        "kind": "warn",
        "basis": "测试",
        "provenance": "zone",
        "keywords": ["平板玻璃"],
        "message_zh": "测试",
        "message_en": "test",
    }

    def committed(run: Callable[[], Any]) -> Callable[[], Any]:
        # The re-screening job runs when the change commits: its writes are checked too.
        def call() -> None:
            with on_commit(execute=True):
                run()

        return call

    return {
        "rule_create": committed(lambda: services.rule_create(data=new_rule, user=org.coordinator)),
        "rule_update": committed(
            lambda: services.rule_update(
                rule=rule, data={"params": {"floor": "450", "fraction": "0.5"}}, user=org.coordinator
            )
        ),
        "rule_set_active": committed(lambda: services.rule_set_active(rule=rule, active=False, user=org.coordinator)),
        "rule_deactivate": committed(lambda: services.rule_deactivate(rule=rule, user=org.coordinator, reason="测")),
        "entry_set_active": committed(
            lambda: services.entry_set_active(entry=entry, active=not entry.active, user=org.coordinator)  # type: ignore[union-attr]
        ),
        "entries_import": committed(
            lambda: services.entries_import(
                user=org.coordinator,
                creates=[
                    CatalogueEntry(
                        entry_class="eliminated", section="十、测试", item_number="1", wording="某装置", source="测"
                    )
                ],
                updates=[],
            )
        ),
        "screen_all": lambda: services.screen_all(),
    }


def _evaluation(org: Any, on_commit: Any) -> dict[str, Callable[[], Any]]:
    from zhaoshang.evaluation import services
    from zhaoshang.evaluation.models import ProjectCondition, ReviewMeeting, SchemeVersion

    p = project("评审项目", org.park_a, org.officer_a, stage="review")
    v1 = SchemeVersion.objects.get(active=True)
    data = {
        "indicators": [dict(i) for i in v1.indicators],
        "vetoes": v1.vetoes,
        "hard_thresholds": v1.hard_thresholds,
        "intensity_floor": v1.intensity_floor,
        "tax_floor": Decimal("60"),
        "grade_bounds": (v1.grade_a, v1.grade_b, v1.grade_c),
        "note": "测试",
    }

    def meeting() -> ReviewMeeting:
        return services.meeting_create(
            project=p, user=org.coordinator, date=dt.date(2026, 12, 1), members=[org.coordinator]
        )

    def decided() -> ReviewMeeting:
        m = meeting()
        services.opinion_set(meeting=m, member=org.coordinator, user=org.coordinator, opinion="approve")
        return m

    def condition() -> None:
        m = decided()
        services.meeting_decide(meeting=m, user=org.coordinator, decision="conditions", conditions="一年内取得注册证")
        services.condition_done(condition=ProjectCondition.objects.get(meeting=m), user=org.officer_a)

    def fast_track() -> None:
        from unittest import mock

        with mock.patch.object(services, "fast_track_errors", return_value=[]):
            services.fast_track_confirm(project=p, user=org.coordinator)

    def rescore() -> None:
        with on_commit(execute=True):
            services.scheme_version_create(user=org.coordinator, **data)

    return {
        "scheme_version_create": rescore,
        "score_projects": lambda: services.score_projects([p.pk]),
        "score_all": lambda: services.score_all(),
        "fast_track_confirm": fast_track,
        "meeting_create": meeting,
        "opinion_set": decided,
        "meeting_decide": lambda: services.meeting_decide(meeting=decided(), user=org.coordinator, decision="approved"),
        "condition_done": condition,
    }


def _jobs(org: Any, on_commit: Any) -> dict[str, Callable[[], Any]]:
    from zhaoshang.jobs import services
    from zhaoshang.jobs.models import Job

    def failed() -> Job:
        return Job.objects.create(kind="screening.rescreen", user=org.coordinator, state="failed", attempts=1)

    return {
        "enqueue": lambda: services.enqueue("screening.rescreen", user=org.coordinator),
        "job_retry": lambda: services.job_retry(job=failed(), user=org.coordinator),
        "jobs_recover": lambda: services.jobs_recover(),
        # The helper classes and functions exported for job functions write nothing.
        "JobContext": lambda: None,
        "JobError": lambda: None,
        "in_job": lambda: None,
        "job_kind": lambda: None,
        "tuned": lambda: None,
    }


def scenarios(org: Any, on_commit: Any) -> dict[str, dict[str, Callable[[], Any]]]:
    return {
        "org": _org(org),
        "enterprises": _enterprises(org),
        "projects": _projects(org),
        "screening": _screening(org, on_commit),
        "evaluation": _evaluation(org, on_commit),
        "jobs": _jobs(org, on_commit),
    }


def test_every_service_has_a_scenario_here() -> None:
    """A new service without its scenario fails here: add it to ``scenarios``."""
    import tests.test_every_write_is_audited as me

    source = Path(me.__file__).read_text(encoding="utf-8")
    for app, names in service_names().items():
        for name in names:
            assert f'"{name}":' in source, (
                f"zhaoshang.{app}.services.{name} has no scenario in {Path(me.__file__).name}"
            )


@pytest.mark.parametrize(("app", "name"), [(a, n) for a, names in service_names().items() for n in names])
def test_every_row_a_service_writes_is_in_the_change_log(
    org: Any, app: str, name: str, django_capture_on_commit_callbacks: Any
) -> None:
    with audit_context(source="command"):
        run = scenarios(org, django_capture_on_commit_callbacks)[app][name]
    with audit_context(user=org.coordinator, source="web"):
        missing = unaudited(run)
    assert missing == [], f"{app}.{name}"


def test_the_check_sees_a_write_that_bypasses_the_change_log(org: Any) -> None:
    """The harness itself: a row changed behind the services' back is named."""
    from zhaoshang.projects.models import Project

    p = project("网络安全产业基地", org.park_a, org.officer_a)
    assert unaudited(lambda: Project.objects.filter(pk=p.pk).update(source="旁路")) == [
        f"projects.Project #{p.pk} changed, no change-log entry for projects.Project #{p.pk}"
    ]
    client_for(org.officer_a)  # the personas stay usable after the check
