"""The permission matrix: every URL of the project, for every persona, with park A's, park B's
and the confidential project's records, answers what the table below says, and a POST writes
exactly when it is allowed to (records compared before and after).

Answers: a status code, ``LOGIN`` (sent to the login page) or ``DONE`` (sent on after the
action).  A URL pattern missing from the table fails the suite: a new page gets its row, with
a persona who must not see it.

The second half holds the pages that show projects to each persona's scope: the names of park
A's, park B's and the confidential project never appear where the persona may not see them,
in the lists, the board, the export files (parsed), the home page's counts, the unit and
enterprise pages, the ranking, the comparison, the screened projects and a project's history.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from tests.conftest import Org
from tests.factories import rule_form, xlsx
from tests.matrix import (
    CONTACT_A,
    DONE,
    EDITORS,
    LOGIN,
    NAME_A,
    NAME_SECRET,
    PERSONAS,
    PROJECT_NAMES,
    STAFF,
    UNIT_SECRET,
    VIEWERS,
    WRITERS,
    Data,
    Expected,
    Probe,
    World,
    build_world,
    everyone,
    initial_post,
    only,
)
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.forms import EnterpriseForm
from zhaoshang.enterprises.models import Enterprise, EnterpriseContact, EnterpriseRanking
from zhaoshang.evaluation.forms import SchemeVersionForm
from zhaoshang.evaluation.models import FastTrack, ProjectCondition, ReviewMeeting, ReviewOpinion, SchemeVersion
from zhaoshang.evaluation.selectors import active_version
from zhaoshang.jobs.models import Job
from zhaoshang.org.models import Unit
from zhaoshang.org.selectors import attributable_units
from zhaoshang.projects.forms import ProjectForm
from zhaoshang.projects.models import Project, ProjectContact, ProjectCredit, ProjectMember
from zhaoshang.screening.forms import RuleForm
from zhaoshang.screening.models import CatalogueEntry, Rule

# -- who may do what with which record ----------------------------------------------------------

PROJECTS = ("project_a", "project_b", "project_secret")
SEES = {
    "project_a": frozenset(("leader", "coordinator", "manager_a", "officer_a", "viewer_a")),
    "project_b": frozenset(("leader", "coordinator", "manager_b", "officer_b", "viewer_b")),
    # Led by park A's team, its officer in charge officer_a2, the outpost's officer a member.
    "project_secret": frozenset(("leader", "officer_a2", "member")),
}
CHANGES = {
    "project_a": frozenset(("leader", "coordinator", "manager_a", "officer_a")),
    "project_b": frozenset(("leader", "coordinator", "manager_b", "officer_b")),
    "project_secret": frozenset(("leader", "officer_a2", "member")),
}
RATES = {"project_a": EDITORS, "project_b": EDITORS, "project_secret": frozenset(("leader",))}
# The meeting waiting for opinions: its member (see tests/matrix.py), and whoever rates.
OPINES = {
    "a": frozenset(("officer_a", *EDITORS)),
    "b": frozenset(("officer_b", *EDITORS)),
    "secret": frozenset(("member", "leader")),
}
ENTERPRISES = ("enterprise_a", "enterprise_b")
CHANGES_ENTERPRISE = {
    "enterprise_a": frozenset(("leader", "coordinator", "manager_a", "officer_a")),
    "enterprise_b": frozenset(("leader", "coordinator", "manager_b", "officer_b")),
}
JOBS = {"job_a": "officer_a", "job_b": "officer_b"}


@dataclass(frozen=True)
class Check:
    """One row of the matrix: a URL with a record, and each persona's answer.  A POST row
    names its action, the data it posts, and what it writes (read before and after)."""

    url: str
    record: str | None
    expect: dict[str, Expected]
    action: str = "read"
    data: Data | None = None
    probe: Probe | None = None
    writes: frozenset[str] = frozenset()
    query: str = ""
    in_url: bool = True  # False: the record is named in the posted sheet, not in the URL


def read(url: str, record: str | None, expect: dict[str, Expected], query: str = "") -> Check:
    return Check(url, record, expect, query=query)


def act(
    action: str,
    url: str,
    record: str | None,
    expect: dict[str, Expected],
    data: Data,
    probe: Probe,
    writes: frozenset[str] | set[str] | None = None,
    in_url: bool = True,
) -> Check:
    """A POST; by default it writes for exactly the personas it sends on (``DONE``)."""
    writers = frozenset(p for p, answer in expect.items() if answer == DONE) if writes is None else frozenset(writes)
    return Check(url, record, expect, action, data, probe, writers, in_url=in_url)


def post_only(url: str, record: str | None) -> Check:
    """A URL that only takes a POST: a GET is refused (after the sign-in)."""
    return read(url, record, only(STAFF, 405))


# -- what the POSTs send, and what they write ----------------------------------------------------


def rec(world: World, kind: str) -> Any:
    return world.records[kind]


def unit_of(world: World, persona: str) -> Unit:
    """The unit the persona attributes work to (park A for those who may not)."""
    user = world.users.get(persona)
    first = attributable_units(user).first() if user is not None and user.is_active else None
    return first or world.org.park_a


def nothing(world: World, persona: str) -> dict[str, Any]:
    return {}


def fixed(data: dict[str, Any]) -> Data:
    return lambda world, persona: data


def new_enterprise(world: World, persona: str) -> dict[str, Any]:
    data = initial_post(EnterpriseForm(units=Unit.objects.all(), initial={"owner_unit": unit_of(world, persona)}))
    return {**data, "name": f"矩阵新企业{persona}", "confirm_not_duplicate": "on"}


def enterprise_edit(kind: str) -> Data:
    def data(world: World, persona: str) -> dict[str, Any]:
        e = Enterprise.objects.get(pk=rec(world, kind).pk)
        return {**initial_post(EnterpriseForm(instance=e, units=Unit.objects.all())), "hq_city": "矩阵市"}

    return data


def keep(kind: str) -> Data:
    """The merge form: keep ``kind``, fold the page's enterprise into it."""
    return lambda world, persona: {"keep": str(rec(world, kind).pk)}


def new_project(world: World, persona: str) -> dict[str, Any]:
    data = initial_post(ProjectForm(units=Unit.objects.all(), initial={"lead_unit": unit_of(world, persona)}))
    return {**data, "name": f"矩阵新项目{persona}", "investor_name": "矩阵投资方"}


def project_edit(kind: str) -> Data:
    def data(world: World, persona: str) -> dict[str, Any]:
        p = Project.objects.get(pk=rec(world, kind).pk)
        return {**initial_post(ProjectForm(instance=p, units=Unit.objects.all())), "description": "矩阵修改"}

    return data


def credits(kind: str) -> Data:
    def data(world: World, persona: str) -> dict[str, Any]:
        return {
            "credit-TOTAL_FORMS": "1",
            "credit-INITIAL_FORMS": "0",
            "credit-MIN_NUM_FORMS": "1",
            "credit-MAX_NUM_FORMS": "10",
            "credit-0-unit": str(rec(world, kind).lead_unit_id),
            "credit-0-role": "first_contact",
            "credit-0-share": "100",
        }

    return data


def rule_edit(world: World, persona: str) -> dict[str, Any]:
    rule = Rule.objects.get(pk=rec(world, "rule").pk)
    return {**initial_post(RuleForm(initial=RuleForm.initial_for(rule), editing=True)), "source": "矩阵来源"}


NEW_RULE = rule_form("5NO-MATRIX")


def scheme_edit(world: World, persona: str) -> dict[str, Any]:
    current = active_version(SYSTEM)
    assert current is not None
    return {**initial_post(SchemeVersionForm(current=current)), "note": f"矩阵方案{persona}"}


def opinion(kind: str) -> Data:
    def data(world: World, persona: str) -> dict[str, Any]:
        meeting = rec(world, f"meeting_{kind}")
        user = world.users.get(persona)
        members = list(meeting.members.all())
        member: Any = user if user in members else members[0]
        return {"member": str(member.pk), "opinion": "approve", "conditions": ""}

    return data


def meeting_members(world: World, persona: str) -> dict[str, Any]:
    return {"date": "2024-06-01", "members": [str(world.users["viewer_a"].pk)]}


def prescreen_sheet(world: World, persona: str) -> dict[str, Any]:
    upload = io.BytesIO(xlsx([["项目名称", "行业代码"], [f"矩阵候选项目{persona}", "3041"]]))
    upload.name = "候选.xlsx"
    return {"file": upload, "as": "page"}


def import_sheet(world: World, persona: str) -> dict[str, Any]:
    return {"file": io.BytesIO(xlsx([["企业名称"], [f"矩阵导入企业{persona}"]]))}


def imported(url: str, rows: Callable[[World, str], list[list[Any]]]) -> Data:
    """An import as a browser makes it: the sheet uploaded for the preview (which writes
    nothing), then the preview's token posted to commit it (what this row's POST sends)."""

    def data(world: World, persona: str) -> dict[str, Any]:
        sheet = io.BytesIO(xlsx(rows(world, persona)))
        sheet.name = "matrix.xlsx"
        preview = world.client(persona).post(reverse(url), {"file": sheet})
        token = (preview.context or {}).get("token", "") if preview.status_code == 200 else ""
        return {"token": token} if token else {}

    return data


def unit_name(world: World, persona: str) -> str:
    return unit_of(world, persona).name


def new_enterprise_rows(world: World, persona: str) -> list[list[Any]]:
    return [["企业名称", "录入单位"], [f"矩阵导入企业{persona}", unit_name(world, persona)]]


def new_project_rows(world: World, persona: str) -> list[list[Any]]:
    return [["项目名称", "牵头单位", "投资方名称"], [f"矩阵导入项目{persona}", unit_name(world, persona), "矩阵投资方"]]


def project_update_rows(kind: str) -> Callable[[World, str], list[list[Any]]]:
    def rows(world: World, persona: str) -> list[list[Any]]:
        p = rec(world, kind)
        return [
            ["项目编号", "项目名称", "牵头单位", "投资方名称"],
            [p.pk, p.name, p.lead_unit.name, f"矩阵投资方{persona}"],
        ]

    return rows


def enterprise_update_rows(kind: str) -> Callable[[World, str], list[list[Any]]]:
    return lambda world, persona: [
        ["编号", "企业名称", "总部所在城市"],
        [rec(world, kind).pk, rec(world, kind).name, "矩阵市"],
    ]


def count(model: Any, **lookup: Any) -> Probe:
    def probe(world: World, persona: str) -> Any:
        resolved = {
            k: (rec(world, v).pk if isinstance(v, str) and v in world.records else v) for k, v in lookup.items()
        }
        return model._default_manager.filter(**resolved).count()

    return probe


def column(model: Any, kind: str, *names: str) -> Probe:
    def probe(world: World, persona: str) -> Any:
        return model._default_manager.filter(pk=rec(world, kind).pk).values_list(*names).get()

    return probe


# -- the matrix ---------------------------------------------------------------------------------

MATRIX: list[Check] = [
    # site
    read("home", None, only(STAFF)),
    read("login", None, everyone(200)),
    read("logout", None, {p: 405 for p in PERSONAS}),
    act("sign out", "logout", None, everyone(LOGIN), nothing, lambda w, p: 0),
    read("set_language", None, everyone(DONE)),
    act(
        "language", "set_language", None, everyone(DONE), fixed({"language": "en", "next": "/"}), lambda w, p: 0, set()
    ),
    # organisation
    read("org:units", None, only(STAFF)),
    *[read("org:unit_detail", unit, only(STAFF)) for unit in ("unit_a", "unit_b")],
    # jobs: their starter's own
    read("jobs:list", None, only(STAFF)),
    *[read(url, job, only({starter})) for url in ("jobs:detail", "jobs:status") for job, starter in JOBS.items()],
    post_only("jobs:retry", "job_a"),
    *[
        act("retry", "jobs:retry", job, only({starter}, DONE), nothing, column(Job, job, "state", "revision"))
        for job, starter in JOBS.items()
    ],
    # the enterprise registry: the shared board, each unit's records its own to change
    read("enterprises:list", None, only(STAFF)),
    *[read("enterprises:export", fmt, only(STAFF)) for fmt in ("csv", "xlsx")],
    read("enterprises:export", "pdf", only(STAFF, 403)),
    read("enterprises:create", None, only(WRITERS, no=403)),
    act("create", "enterprises:create", None, only(WRITERS, DONE, 403), new_enterprise, count(Enterprise)),
    read("enterprises:import", None, only(WRITERS, no=403)),
    act("import", "enterprises:import", None, only(WRITERS, 200, 403), import_sheet, count(Enterprise), set()),
    act(
        "import (new)",
        "enterprises:import",
        None,
        only(WRITERS, DONE, 403),
        imported("enterprises:import", new_enterprise_rows),
        count(Enterprise),
    ),
    *[
        act(
            "import (update)",
            "enterprises:import",
            e,
            {**only(CHANGES_ENTERPRISE[e], DONE, 200), **dict.fromkeys(VIEWERS, 403)},
            imported("enterprises:import", enterprise_update_rows(e)),
            column(Enterprise, e, "revision"),
            in_url=False,
        )
        for e in ENTERPRISES
    ],
    read("enterprises:import_template", None, only(WRITERS, no=403)),
    read("enterprises:chains", None, only(STAFF)),
    read("enterprises:chain_detail", "chain", only(STAFF)),
    *[read("enterprises:detail", e, only(STAFF)) for e in (*ENTERPRISES, "enterprise_shared")],
    *[read("enterprises:edit", e, only(CHANGES_ENTERPRISE[e])) for e in ENTERPRISES],
    *[
        act(
            "change",
            "enterprises:edit",
            e,
            only(CHANGES_ENTERPRISE[e], DONE),
            enterprise_edit(e),
            column(Enterprise, e, "revision"),
        )
        for e in ENTERPRISES
    ],
    *[read("enterprises:merge", e, only(EDITORS)) for e in ENTERPRISES],
    *[
        act(
            "merge",
            "enterprises:merge",
            e,
            only(EDITORS, DONE),
            keep("enterprise_b" if e == "enterprise_a" else "enterprise_a"),
            column(Enterprise, e, "merged_into"),
        )
        for e in ENTERPRISES
    ],
    post_only("enterprises:ranking_add", "enterprise_a"),
    *[
        act(
            "ranking",
            "enterprises:ranking_add",
            e,
            only(CHANGES_ENTERPRISE[e], DONE),
            fixed({"list": "fortune500", "year": "2024", "rank": "10"}),
            count(EnterpriseRanking, enterprise=e),
        )
        for e in ENTERPRISES
    ],
    post_only("enterprises:contact_add", "enterprise_a"),
    *[
        act(
            "contact",
            "enterprises:contact_add",
            e,
            only(WRITERS, DONE, 403),
            fixed({"name": "矩阵联系人", "title": "总经理", "phone": "", "email": "", "notes": ""}),
            count(EnterpriseContact, enterprise=e),
        )
        for e in ENTERPRISES
    ],
    # the project pipeline
    read("projects:list", None, only(STAFF)),
    read("projects:kanban", None, only(STAFF)),
    *[read("projects:export", fmt, only(STAFF)) for fmt in ("csv", "xlsx")],
    read("projects:export", "pdf", only(STAFF, 403)),
    read("projects:create", None, only(WRITERS, no=403)),
    act("create", "projects:create", None, only(WRITERS, DONE, 403), new_project, count(Project)),
    read("projects:import", None, only(WRITERS, no=403)),
    act(
        "import (new)",
        "projects:import",
        None,
        only(WRITERS, DONE, 403),
        imported("projects:import", new_project_rows),
        count(Project),
    ),
    *[
        act(
            "import (update)",
            "projects:import",
            p,
            {**only(CHANGES[p], DONE, 200), **dict.fromkeys(VIEWERS, 403)},
            imported("projects:import", project_update_rows(p)),
            column(Project, p, "revision"),
            in_url=False,
        )
        for p in PROJECTS
    ],
    read("projects:import_template", None, only(WRITERS, no=403)),
    *[read("projects:detail", p, only(SEES[p])) for p in PROJECTS],
    *[read("projects:edit", p, only(CHANGES[p])) for p in PROJECTS],
    *[
        act("change", "projects:edit", p, only(CHANGES[p], DONE), project_edit(p), column(Project, p, "revision"))
        for p in PROJECTS
    ],
    post_only("projects:move", "project_a"),
    *[
        act(
            "move",
            "projects:move",
            p,
            only(CHANGES[p], DONE),
            fixed({"target": "on_hold", "reason": "矩阵暂停"}),
            column(Project, p, "stage"),
        )
        for p in PROJECTS
    ],
    post_only("projects:credits", "project_a"),
    *[
        act("credits", "projects:credits", p, only(CHANGES[p], DONE), credits(p), count(ProjectCredit, project=p))
        for p in PROJECTS
    ],
    post_only("projects:members", "project_a"),
    *[
        act(
            "members",
            "projects:members",
            p,
            only(CHANGES[p], DONE),
            fixed({"username": "viewer_b"}),
            count(ProjectMember, project=p),
        )
        for p in PROJECTS
    ],
    post_only("projects:contact_add", "project_a"),
    *[
        act(
            "contacts",
            "projects:contact_add",
            p,
            only(CHANGES[p], DONE),
            fixed({"name": "矩阵联系人", "title": "", "phone": "", "notes": ""}),
            count(ProjectContact, project=p),
        )
        for p in PROJECTS
    ],
    # screening: the catalogue is read by all staff and kept by coordinators and leaders
    read("screening:projects", None, only(STAFF)),
    read("screening:prescreen", None, only(STAFF)),
    act("pre-screen", "screening:prescreen", None, only(STAFF), prescreen_sheet, count(Project), set()),
    read("screening:rules", None, only(STAFF)),
    read("screening:rule_create", None, only(EDITORS, no=403)),
    act("create", "screening:rule_create", None, only(EDITORS, DONE, 403), fixed(NEW_RULE), count(Rule)),
    read("screening:rule_detail", "rule", only(STAFF)),
    read("screening:rule_edit", "rule", only(EDITORS, no=403)),
    act(
        "rule edit",
        "screening:rule_edit",
        "rule",
        only(EDITORS, DONE, 403),
        rule_edit,
        column(Rule, "rule", "revision"),
    ),
    post_only("screening:rule_toggle", "rule"),
    act(
        "rule toggle",
        "screening:rule_toggle",
        "rule",
        only(EDITORS, DONE, 403),
        fixed({"reason": "矩阵"}),
        column(Rule, "rule", "active"),
    ),
    read("screening:entries", None, only(STAFF)),
    post_only("screening:entry_toggle", "entry"),
    act(
        "entry toggle",
        "screening:entry_toggle",
        "entry",
        only(EDITORS, DONE, 403),
        nothing,
        column(CatalogueEntry, "entry", "active"),
    ),
    read("screening:entry_export", None, only(STAFF)),
    read("screening:import", None, only(EDITORS, no=403)),
    read("screening:import_template", None, only(EDITORS, no=403)),
    # evaluation: the ranking for all, the rating procedure for those who rate
    read("evaluation:ranking", None, only(STAFF)),
    read("evaluation:compare", None, only(STAFF, DONE)),
    read("evaluation:compare", "project_a+project_b", only(EDITORS), query="ab"),
    read("evaluation:compare", "project_a+project_secret", only({"leader"}), query="as"),
    read("evaluation:scheme", None, only(STAFF)),
    read("evaluation:scheme_version", "scheme_version", only(STAFF)),
    read("evaluation:scheme_edit", None, only(EDITORS, no=403)),
    act("scheme edit", "evaluation:scheme_edit", None, only(EDITORS, DONE, 403), scheme_edit, count(SchemeVersion)),
    post_only("evaluation:fast_track", "project_a"),
    *[
        act(
            "fast track",
            "evaluation:fast_track",
            p,
            only(SEES[p], DONE),
            nothing,
            count(FastTrack, project=p),
            RATES[p],
        )
        for p in PROJECTS
    ],
    post_only("evaluation:meeting_create", "project_a"),
    *[
        act(
            "meetings",
            "evaluation:meeting_create",
            p,
            only(SEES[p], DONE),
            meeting_members,
            count(ReviewMeeting, project=p),
            RATES[p],
        )
        for p in PROJECTS
    ],
    post_only("evaluation:opinion", "meeting_a"),
    *[
        act(
            "opinion",
            "evaluation:opinion",
            f"meeting_{k}",
            only(SEES[f"project_{k}"], DONE),
            opinion(k),
            count(ReviewOpinion, meeting=f"meeting_{k}"),
            OPINES[k],
        )
        for k in ("a", "b", "secret")
    ],
    post_only("evaluation:decide", "heard_a"),
    *[
        act(
            "decide",
            "evaluation:decide",
            f"heard_{k}",
            only(SEES[f"project_{k}"], DONE),
            fixed({"decision": "rejected", "reason": "矩阵否决", "conditions": ""}),
            column(ReviewMeeting, f"heard_{k}", "decision"),
            RATES[f"project_{k}"],
        )
        for k in ("a", "b", "secret")
    ],
    post_only("evaluation:condition_done", "condition_a"),
    *[
        act(
            "condition done",
            "evaluation:condition_done",
            f"condition_{k}",
            only(SEES[f"project_{k}"], DONE),
            fixed({"done": "1"}),
            column(ProjectCondition, f"condition_{k}", "done"),
            CHANGES[f"project_{k}"] | RATES[f"project_{k}"],
        )
        for k in ("a", "b", "secret")
    ],
]


# -- running it ---------------------------------------------------------------------------------


def url_names(patterns: list[Any] | None = None, namespace: str = "") -> Iterator[str]:
    """The name of every URL pattern of the project, with its namespace."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else f"{namespace}<unnamed {entry.pattern}>"


def address(world: World, check: Check) -> str:
    if check.url == "evaluation:compare":
        ids = [rec(world, kind).pk for kind in (check.record or "").split("+") if kind]
        return reverse(check.url) + "".join(("?" if i == 0 else "&") + f"ids={pk}" for i, pk in enumerate(ids))
    if check.record is None or not check.in_url:
        return reverse(check.url)
    if check.record in ("csv", "xlsx", "pdf"):
        return reverse(check.url, args=[check.record])
    value = rec(world, check.record)
    return reverse(check.url, args=[getattr(value, "pk", value)])


def answer(response: Any) -> Expected:
    if response.status_code == 302:
        return LOGIN if response.url.startswith(reverse("login")) else DONE
    return int(response.status_code)


def run(world: World, check: Check) -> list[str]:
    """Each persona's answer, and for a POST whether it wrote: the mismatches, as sentences."""
    wrong: list[str] = []
    url = address(world, check)
    for persona in PERSONAS:
        client = world.client(persona)
        with transaction.atomic():
            if check.data is None:
                got = answer(client.get(url))
                wrote = False
            else:
                assert check.probe is not None
                before = check.probe(world, persona)
                got = answer(client.post(url, check.data(world, persona)))
                wrote = check.probe(world, persona) != before
            transaction.set_rollback(True)
        if got != check.expect[persona]:
            wrong.append(f"{check.action} {url} as {persona}: {got}, expected {check.expect[persona]}")
        if wrote != (persona in check.writes):
            wrong.append(f"{check.action} {url} as {persona}: {'wrote' if wrote else 'wrote nothing'}")
    return wrong


def rows_for(url: str) -> list[Check]:
    return [c for c in MATRIX if c.url == url]


def test_every_url_of_the_project_has_its_rows_in_the_matrix() -> None:
    covered = {c.url for c in MATRIX}
    missing = [name for name in url_names() if name not in covered]
    assert not missing, f"URL patterns without a row in the permission matrix: {missing}"
    assert all(set(c.expect) == set(PERSONAS) for c in MATRIX)


@pytest.fixture
def world(org: Org) -> World:
    return build_world(org)


@pytest.mark.parametrize("url", sorted({c.url for c in MATRIX}))
def test_each_persona_gets_the_answer_the_matrix_gives_for_every_record(world: World, url: str) -> None:
    wrong = [line for check in rows_for(url) for line in run(world, check)]
    assert not wrong, "\n".join(wrong)


# -- what each page shows: never a project the persona may not see --------------------------------

# The projects' owners and members: the home page's "my projects" and recent changes.
WORKS_ON = {
    "project_a": frozenset(("officer_a",)),
    "project_b": frozenset(("officer_b",)),
    "project_secret": frozenset(("officer_a2", "member")),
}
IN_UNIT = {"unit_a": ("project_a", "project_secret"), "unit_b": ("project_b",)}
BOARD_UNITS = {"园区运营中心A", "园区运营中心B"}
SEES_SECRET_UNIT = SEES["project_secret"]


def shown_on(page: str, kind: str, persona: str) -> bool:
    """Whether ``page`` may name the project ``kind`` to ``persona`` (and must)."""
    if page == "home":
        return persona in WORKS_ON[kind]
    if page in IN_UNIT:
        return kind in IN_UNIT[page] and persona in SEES[kind]
    return persona in SEES[kind]


def page_url(world: World, page: str) -> str:
    urls = {
        "home": reverse("home"),
        "list": reverse("projects:list"),
        "kanban": reverse("projects:kanban"),
        "ranking": reverse("evaluation:ranking"),
        "screened": reverse("screening:projects") + "?outcome=all",
        "unit_a": reverse("org:unit_detail", args=[world.org.park_a.pk]),
        "unit_b": reverse("org:unit_detail", args=[world.org.park_b.pk]),
        "enterprise": reverse("enterprises:detail", args=[rec(world, "enterprise_shared").pk]),
    }
    return urls[page]


PAGES = ("home", "list", "kanban", "ranking", "screened", "unit_a", "unit_b", "enterprise")
STAFF_PERSONAS = [p for p in PERSONAS if p in STAFF]


@pytest.mark.parametrize("page", PAGES)
def test_a_page_that_shows_projects_names_exactly_those_the_persona_may_see(world: World, page: str) -> None:
    wrong = []
    for persona in STAFF_PERSONAS:
        response = world.client(persona).get(page_url(world, page))
        assert response.status_code == 200, (page, persona)
        html = response.content.decode()
        for kind, name in PROJECT_NAMES.items():
            if (name in html) != shown_on(page, kind, persona):
                wrong.append(f"{page} as {persona}: {name} {'shown' if name in html else 'missing'}")
    assert not wrong, "\n".join(wrong)


def test_the_kanban_cards_and_the_htmx_board_hold_only_the_projects_the_persona_may_see(world: World) -> None:
    for persona in STAFF_PERSONAS:
        client = world.client(persona)
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(reverse("projects:kanban"), **headers)  # type: ignore[arg-type]
            cards = {c.name for col in response.context["columns"] for c in col["cards"]}
            counts = sum(col["count"] for col in response.context["columns"])
            expected = {PROJECT_NAMES[k] for k in PROJECTS if persona in SEES[k]}
            assert cards == expected and counts == len(expected), (persona, headers, cards, counts)


def test_the_home_page_counts_only_the_projects_the_persona_may_see(world: World) -> None:
    for persona in STAFF_PERSONAS:
        response = world.client(persona).get(reverse("home"))
        counts = {col["stage"]: col["count"] for col in response.context["columns"] if col["count"]}
        seen = sum(1 for k in PROJECTS if persona in SEES[k])
        assert counts == ({"review": seen} if seen else {}), (persona, counts)
        mine = {p.name for p in response.context["mine"]}
        assert mine == {PROJECT_NAMES[k] for k in PROJECTS if persona in WORKS_ON[k]}, (persona, mine)
        recent = " ".join(c.object_repr for c in response.context["recent"])
        for kind, name in PROJECT_NAMES.items():
            assert name not in recent or persona in SEES[kind], (persona, name)


def exported_names(response: Any, fmt: str) -> list[str]:
    """The project names in an export file, parsed: the column headed 项目名称 or "name"."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    header = rows[0]
    at = next(i for i, title in enumerate(header) if title in ("项目名称", "name", "Project name", "项目"))
    return [row[at] for row in rows[1:] if any(row)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_project_export_file_holds_exactly_the_rows_the_persona_may_see(world: World, fmt: str) -> None:
    for persona in STAFF_PERSONAS:
        response = world.client(persona).get(reverse("projects:export", args=[fmt]))
        assert response.status_code == 200, persona
        names = exported_names(response, fmt)
        assert sorted(names) == sorted(PROJECT_NAMES[k] for k in PROJECTS if persona in SEES[k]), (persona, names)


def test_the_enterprise_page_and_list_name_a_confidential_projects_unit_only_to_those_who_see_it(
    world: World,
) -> None:
    shared = rec(world, "enterprise_shared")
    for persona in STAFF_PERSONAS:
        client = world.client(persona)
        expected = BOARD_UNITS | ({UNIT_SECRET} if persona in SEES_SECRET_UNIT else set())
        detail = client.get(reverse("enterprises:detail", args=[shared.pk]))
        assert set(detail.context["working_units"]) == expected, persona
        listed = client.get(reverse("enterprises:list"))
        row = next(e for e in listed.context["page"].items if e.pk == shared.pk)
        assert set(row.working_units) == expected, persona


def test_the_comparison_shows_two_projects_only_to_who_sees_both(world: World) -> None:
    a, secret = rec(world, "project_a"), rec(world, "project_secret")
    url = reverse("evaluation:compare") + f"?ids={a.pk}&ids={secret.pk}"
    for persona in STAFF_PERSONAS:
        response = world.client(persona).get(url)
        html = response.content.decode()
        if persona == "leader":
            assert response.status_code == 200 and NAME_A in html and NAME_SECRET in html
        else:
            assert response.status_code == 404 and NAME_SECRET not in html, persona


def test_a_projects_page_and_history_name_no_other_project(world: World) -> None:
    for kind in PROJECTS:
        url = reverse("projects:detail", args=[rec(world, kind).pk])
        for persona in SEES[kind]:
            html = world.client(persona).get(url).content.decode()
            others = [name for other, name in PROJECT_NAMES.items() if other != kind and name in html]
            assert PROJECT_NAMES[kind] in html and not others, (kind, persona, others)


def test_the_enterprise_page_shows_a_units_contacts_only_to_that_units_subtree_and_coordinators(world: World) -> None:
    url = reverse("enterprises:detail", args=[rec(world, "enterprise_shared").pk])
    sees = {"leader", "coordinator", "manager_a", "officer_a", "viewer_a"}
    for persona in STAFF_PERSONAS:
        response = world.client(persona).get(url)
        names = {c.name for c in response.context["contacts"]}
        assert (CONTACT_A in names) == (persona in sees), (persona, names)
        assert (CONTACT_A in response.content.decode()) == (persona in sees), persona


def test_a_projects_page_offers_its_actions_only_to_who_may_take_them(world: World) -> None:
    wrong = []
    for kind in PROJECTS:
        p = rec(world, kind)
        links = {
            "change": (reverse("projects:edit", args=[p.pk]), CHANGES[kind]),
            "move": (reverse("projects:move", args=[p.pk]), CHANGES[kind]),
            "members": (reverse("projects:members", args=[p.pk]), CHANGES[kind]),
            "credits": (reverse("projects:credits", args=[p.pk]), CHANGES[kind]),
            # (a new meeting is not offered while one is open, as here)
            "decide": (
                reverse("evaluation:decide", args=[rec(world, "heard_" + kind.removeprefix("project_")).pk]),
                RATES[kind],
            ),
        }
        for persona in SEES[kind]:
            html = world.client(persona).get(reverse("projects:detail", args=[p.pk])).content.decode()
            for action, (link, allowed) in links.items():
                if (link in html) != (persona in allowed):
                    wrong.append(f"{kind} as {persona}: {action} {'offered' if link in html else 'not offered'}")
    assert not wrong, "\n".join(wrong)
