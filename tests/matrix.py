"""The permission matrix's world and helpers: the personas (each role in two units, a member
of a confidential project, a leader, the coordinator, anonymous and a disabled account), the
records they meet (park A's, park B's, the confidential project's, and the shared ones), and
the helpers that turn an expected answer into a check.

The table itself is in tests/test_permission_matrix.py, so that a reader sees the matrix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.test import Client

from tests.conftest import Org, client_for, make_user
from tests.factories import enterprise, project
from zhaoshang.core.audit import audit_context, record_change
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.models import ChainKind, ChainNode, IndustryChain
from zhaoshang.enterprises.services import contact_create
from zhaoshang.evaluation.models import Opinion, ProjectCondition, ReviewMeeting, ReviewOpinion
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.org.models import Role
from zhaoshang.projects import rules
from zhaoshang.projects.services import member_add
from zhaoshang.screening.models import CatalogueEntry, Rule

# -- personas ---------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
DISABLED = "disabled"
PERSONAS: tuple[str, ...] = (
    ANONYMOUS,
    DISABLED,
    "leader",
    "coordinator",
    "manager_a",
    "officer_a",
    "officer_a2",
    "viewer_a",
    "manager_b",
    "officer_b",
    "viewer_b",
    "member",
)
SIGNED_OUT = frozenset((ANONYMOUS, DISABLED))
STAFF = frozenset(PERSONAS) - SIGNED_OUT
VIEWERS = frozenset(("viewer_a", "viewer_b"))
WRITERS = STAFF - VIEWERS  # who works in a unit: may create and import
EDITORS = frozenset(("leader", "coordinator"))  # the catalogue, the scheme, merges, the rating

# The distinctive names the content checks look for.
NAME_A = "园区A矩阵光伏项目"
NAME_B = "园区B矩阵医药项目"
NAME_SECRET = "保密矩阵芯片项目"
SHARED_ENTERPRISE = "矩阵共享科技股份有限公司"
CONTACT_A = "矩阵甲方联系人"  # recorded by park A on the shared enterprise
UNIT_SECRET = "园区A招商一部"  # the confidential project's lead unit, never revealed on the board
PROJECT_NAMES = {"project_a": NAME_A, "project_b": NAME_B, "project_secret": NAME_SECRET}

STRONG: dict[str, Any] = {
    "fixed_asset_investment": Decimal("90000"),
    "expected_tax": Decimal("7500"),
    "expected_jobs": 1000,
    "rd_share": Decimal("5"),
    "patents": 30,
    "high_tech": True,
    "funding_status": "secured",
}

# Expected answers besides a status code: sent to the login page, or sent on after success.
LOGIN = "login"
DONE = "done"
Expected = int | str


@dataclass
class World:
    org: Org
    users: dict[str, Any]
    records: dict[str, Any] = field(default_factory=dict)

    def client(self, persona: str) -> Client:
        if persona == ANONYMOUS:
            return Client()
        return self.clients[persona]

    clients: dict[str, Client] = field(default_factory=dict)


def build_world(org: Org) -> World:
    """Every persona and record of the matrix, written through the services."""
    users: dict[str, Any] = {
        "leader": org.leader,
        "coordinator": org.coordinator,
        "manager_a": org.manager_a,
        "officer_a": org.officer_a,
        "officer_a2": org.officer_a2,
        "viewer_a": org.viewer_a,
        "officer_b": org.officer_b,
        "manager_b": make_user("manager_b", org.park_b, Role.UNIT_MANAGER),
        "viewer_b": make_user("viewer_b", org.park_b, Role.VIEWER),
        "member": make_user("member", org.outpost, Role.OFFICER),
        DISABLED: make_user("disabled", org.park_a, Role.OFFICER),
    }
    world = World(org=org, users=users)
    world.clients = {name: client_for(user) for name, user in users.items()}
    # Disabled after signing in: the session stays, the account may do nothing.
    users[DISABLED].is_active = False
    users[DISABLED].save(update_fields=["is_active"])

    shared = enterprise(SHARED_ENTERPRISE, listing_exchange="SSE", ticker="601360", owner_unit=org.park_b)
    ent_a = enterprise("矩阵甲方有限公司", owner_unit=org.park_a)
    ent_b = enterprise("矩阵乙方有限公司", owner_unit=org.park_b)
    a = project(NAME_A, org.park_a, org.officer_a, stage=rules.REVIEW, enterprise=shared, **STRONG)
    b = project(NAME_B, org.park_b, org.officer_b, stage=rules.REVIEW, enterprise=shared, **STRONG)
    secret = project(
        NAME_SECRET,
        org.park_a_team,
        org.officer_a2,
        stage=rules.REVIEW,
        enterprise=shared,
        confidential=True,
        **STRONG,
    )
    with audit_context(source="command"):
        member_add(user=SYSTEM, project=secret, member=users["member"])
    # A contact's notes are the recording unit's work: park A's on the shared enterprise.
    with audit_context(user=org.officer_a, source="command"):
        contact_create(user=org.officer_a, enterprise=shared, data={"name": CONTACT_A, "notes": "矩阵甲方备注"})
    # A change officer_b once made to the confidential project (a member since removed, say):
    # their home page's recent changes must not name a project they may no longer see.
    with audit_context(user=org.officer_b, source="command"):
        record_change(secret, action=ChangeAction.UPDATE, message="矩阵旧改动")
    world.records.update(
        enterprise_a=ent_a,
        enterprise_b=ent_b,
        enterprise_shared=shared,
        project_a=a,
        project_b=b,
        project_secret=secret,
        unit_a=org.park_a,
        unit_b=org.park_b,
        rule=Rule.objects.order_by("pk").first(),
        entry=CatalogueEntry.objects.order_by("pk").first(),
    )
    # The rating procedure's records on each project: a meeting waiting for opinions, a
    # meeting whose opinions are all in (to decide), and a follow-up condition.
    member_of = {"project_a": users["officer_a"], "project_b": users["officer_b"], "project_secret": users["member"]}
    for kind, p in (("a", a), ("b", b), ("secret", secret)):
        member = member_of[f"project_{kind}"]
        waiting = ReviewMeeting.objects.create(project=p, date=dt.date(2024, 5, 1))
        waiting.members.set([member])
        heard = ReviewMeeting.objects.create(project=p, date=dt.date(2024, 5, 2))
        heard.members.set([member])
        ReviewOpinion.objects.create(meeting=heard, member=member, opinion=Opinion.APPROVE)
        condition = ProjectCondition.objects.create(project=p, text=f"矩阵条件{kind}")
        world.records.update({f"meeting_{kind}": waiting, f"heard_{kind}": heard, f"condition_{kind}": condition})
    for kind, owner in (("a", users["officer_a"]), ("b", users["officer_b"])):
        world.records[f"job_{kind}"] = Job.objects.create(
            kind="imports.commit", user=owner, state=JobState.FAILED, attempts=1, params={}, error="矩阵失败"
        )
    world.records["scheme_version"] = 1
    chain = IndustryChain.objects.create(name="矩阵新能源产业链", kind=ChainKind.values[0])
    ChainNode.objects.create(chain=chain, name="矩阵电池", segment="midstream")
    world.records["chain"] = chain
    return world


def only(allowed: frozenset[str] | set[str], yes: Expected = 200, no: Expected = 404) -> dict[str, Expected]:
    """``yes`` for the personas in ``allowed``, ``no`` for other staff, the login page for
    anonymous and disabled accounts."""
    return {p: LOGIN if p in SIGNED_OUT else (yes if p in allowed else no) for p in PERSONAS}


def everyone(answer: Expected) -> dict[str, Expected]:
    return {p: answer for p in PERSONAS}


def initial_post(form: forms.BaseForm) -> dict[str, Any]:
    """What a browser posts for an unbound form as it is shown: every field's shown value."""
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(form.fields[name], forms.BooleanField):
            if value:
                data[key] = "on"
            continue
        if getattr(form.fields[name].widget, "allow_multiple_selected", False):
            data[key] = [str(getattr(v, "pk", v)) for v in value or ()]
        elif value is None:
            data[key] = ""
        elif isinstance(value, list | tuple):
            data[key] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[key] = str(getattr(value, "pk", value))
    return data


Data = Callable[[World, str], dict[str, Any]]
Probe = Callable[[World, str], Any]
