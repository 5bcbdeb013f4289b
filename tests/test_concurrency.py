"""Several people at once, on real connections that commit: two people saving one record, an
edit racing a stage move, a large import running while people edit through the web.  Every
race is run many times in threads that start together; whoever comes second waits for the
first (SQLite's busy timeout, PostgreSQL's row lock) and is then either saved on top of the
first's change or refused with what changed meanwhile, never a 500 and never a silent loss.

On SQLite the tests' in-memory database (shared cache) does not lock as a file does: a second
writer fails at once instead of waiting.  These tests therefore run on a file database in WAL
mode, as the app does, copied for each test from one migrated at the start of the module."""

from __future__ import annotations

import importlib
import io
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from tests.conftest import Org, client_for, make_org
from tests.factories import csv_bytes, enterprise, project
from zhaoshang.core.middleware import database_busy
from zhaoshang.core.models import ChangeAction, ChangeLog
from zhaoshang.core.tabular import engine
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.jobs import imports as job_imports
from zhaoshang.jobs.backends import ThreadBackend, get_backend
from zhaoshang.jobs.models import Job
from zhaoshang.projects import rules
from zhaoshang.projects.models import Project, StageChange

TRIES = 20
IMPORT_TRIES = 3
IMPORT_ROWS = 3000
WAIT = 60.0
STALE = "您编辑期间，该记录已被他人修改"
BUSY = "数据库正忙"

pytestmark = pytest.mark.django_db(transaction=True)

# The reference data the migrations load, by the model that shows it is there.
REFERENCE_DATA = {
    "enterprises.IndustryCode": "zhaoshang.enterprises.migrations.0002_load_industry_codes",
    "evaluation.Scheme": "zhaoshang.evaluation.migrations.0002_default_scheme",
    "screening.CatalogueVersion": "zhaoshang.screening.migrations.0002_load_shipped_catalogue",
}


def reference_data() -> None:
    """Load again what the migrations loaded, where a test before emptied the tables (every
    test on committed data ends by emptying them)."""
    for label, module in REFERENCE_DATA.items():
        if not django_apps.get_model(label).objects.exists():
            importlib.import_module(module).load(django_apps, None)


@contextmanager
def file_database(path: Path) -> Iterator[None]:
    """The default database is the SQLite file at ``path`` for this thread's connection and
    every connection opened meanwhile (other threads); the in-memory test database stays open
    behind it and is back afterwards."""
    alias = DEFAULT_DB_ALIAS
    old = connections[alias]
    settings_dict = connections.settings[alias]
    name = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    connections[alias] = old.__class__(settings_dict, alias)
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        connections[alias].close()
        connections[alias] = old
        settings_dict["NAME"] = name
        ContentType.objects.clear_cache()


@pytest.fixture(scope="module")
def migrated_file(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Path | None:
    if connection.vendor != "sqlite":
        return None
    path = tmp_path_factory.mktemp("concurrency") / "migrated.sqlite3"
    with django_db_blocker.unblock(), file_database(path):
        call_command("migrate", verbosity=0)
    return path


@pytest.fixture
def real_db(migrated_file: Path | None, tmp_path: Path) -> Iterator[Path | None]:
    """Committed data on a database that locks as the app's does: PostgreSQL as it is, SQLite
    as a file of its own (None on PostgreSQL, the file's path on SQLite)."""
    if migrated_file is None:
        reference_data()
        yield None
        return
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated_file, path)
    with file_database(path):
        yield path


@pytest.fixture
def org(real_db: Path | None) -> Org:
    return make_org()


def race(*work: Callable[[], Any]) -> list[Any]:
    """Run each callable in a thread of its own (its own connection), all let go at once;
    their results in order.  An exception in one fails the test."""
    start = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            start.wait(WAIT)
            results[i] = fn()
        except BaseException as exc:  # reported in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(work)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a racer is still running"
    if errors:
        raise errors[0]
    return results


def form_of(client: Client, url: str) -> dict[str, Any]:
    """What the browser would send back from the edit page at ``url``, as shown."""
    page = client.get(url)
    assert page.status_code == 200
    data: dict[str, Any] = {}
    for bound in page.context["form"]:
        value = bound.value()
        if value is None or value is False:
            continue
        if value is True:
            data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(v) for v in value]
        else:
            data[bound.html_name] = str(value)
    return data


def log_of(obj: Any, action: str) -> list[ChangeLog]:
    ct = ContentType.objects.get_for_model(obj)
    return list(ChangeLog.objects.filter(content_type=ct, object_id=obj.pk, action=action).order_by("id"))


def two_people_save(
    first: Client, second: Client, url: str, field: str, values: tuple[str, str]
) -> tuple[int, Any, Any]:
    """Both open the edit page, both change ``field`` and save at the same moment: the index
    of the one saved, and both responses."""
    forms = [form_of(first, url), form_of(second, url)]
    for form, value in zip(forms, values, strict=True):
        form[field] = value
    responses = race(lambda: first.post(url, forms[0]), lambda: second.post(url, forms[1]))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 302], codes
    return next(i for i, r in enumerate(responses) if r.status_code == 302), *responses  # type: ignore[return-value]


def test_two_people_saving_one_project_at_once_one_is_saved_and_the_other_refused_with_what_changed(
    org: Org,
) -> None:
    people = (client_for(org.officer_a), client_for(org.manager_a))
    names = ("officer_a", "manager_a")
    won: Counter[str] = Counter()
    for i in range(TRIES):
        p = project(f"同改项目{i}", org.park_a, org.officer_a)
        values = (f"甲改名{i}", f"乙改名{i}")
        saved, *responses = two_people_save(*people, reverse("projects:edit", args=[p.pk]), "name", values)
        refused = responses[1 - saved].content.decode()
        won[names[saved]] += 1
        # The first's change is kept; the second is told who changed what, and keeps their input.
        assert Project.objects.get(pk=p.pk).name == values[saved]
        assert STALE in refused and f"{names[saved]} 于" in refused and "项目名称" in refused
        assert f'value="{values[1 - saved]}"' in refused
        updates = log_of(p, ChangeAction.UPDATE)
        assert [(u.user.username, u.after["name"]) for u in updates] == [(names[saved], values[saved])]
    assert sum(won.values()) == TRIES
    print(f"\nproject edit race: {TRIES} tries, {dict(won)} saved first, {TRIES} refused with the changes, 0 lost")


def test_two_people_saving_one_enterprise_at_once_one_is_saved_and_the_other_refused_with_what_changed(
    org: Org,
) -> None:
    people = (client_for(org.officer_a), client_for(org.coordinator))
    names = ("officer_a", "coordinator")
    won: Counter[str] = Counter()
    for i in range(TRIES):
        e = enterprise(f"同改企业{i}有限公司", owner_unit=org.park_a)
        values = (f"甲改企业{i}有限公司", f"乙改企业{i}有限公司")
        saved, *responses = two_people_save(*people, reverse("enterprises:edit", args=[e.pk]), "name", values)
        refused = responses[1 - saved].content.decode()
        won[names[saved]] += 1
        assert Enterprise.objects.get(pk=e.pk).name == values[saved]
        assert STALE in refused and f"{names[saved]} 于" in refused
        assert f'value="{values[1 - saved]}"' in refused
        updates = log_of(e, ChangeAction.UPDATE)
        assert [(u.user.username, u.after["name"]) for u in updates] == [(names[saved], values[saved])]
    print(f"\nenterprise edit race: {TRIES} tries, {dict(won)} saved first, {TRIES} refused with the changes, 0 lost")


def test_an_edit_racing_a_stage_move_never_puts_the_old_stage_back(org: Org) -> None:
    editor, mover = client_for(org.officer_a), client_for(org.manager_a)
    outcomes: Counter[str] = Counter()
    for i in range(TRIES):
        p = project(f"边改边移{i}", org.park_a, org.officer_a, stage=rules.NEGOTIATING)
        url = reverse("projects:edit", args=[p.pk])
        form = form_of(editor, url)
        form["name"] = f"移动中改名{i}"
        edited, moved = race(
            lambda url=url, form=form: editor.post(url, form),  # type: ignore[misc]
            lambda p=p: mover.post(  # type: ignore[misc]
                reverse("projects:move", args=[p.pk]),
                {"target": rules.REVIEW, "reason": "意向已确定"},
                HTTP_ACCEPT="application/json",
            ),
        )
        assert moved.status_code == 200 and moved.json()["ok"] is True
        assert edited.status_code in (200, 302)
        after = Project.objects.get(pk=p.pk)
        assert after.stage == rules.REVIEW  # the edit never puts the old stage back
        [move] = log_of(p, ChangeAction.MOVE)[-1:]
        assert StageChange.objects.filter(project=p).latest("id").to_stage == rules.REVIEW
        updates = [u for u in log_of(p, ChangeAction.UPDATE) if u.source == "web"]
        if edited.status_code == 302:
            # Saved before the move: the move read the edited record and kept the new name.
            outcomes["edit saved, then moved"] += 1
            assert after.name == form["name"]
            assert [u.after["name"] for u in updates] == [form["name"]] and updates[0].revision < move.revision
        else:
            outcomes["moved, edit refused as stale"] += 1
            text = edited.content.decode()
            assert STALE in text and "manager_a 于" in text
            assert after.name == p.name and updates == []
    assert sum(outcomes.values()) == TRIES
    print(f"\nedit/move race: {TRIES} tries, {dict(outcomes)}, old stage never put back")


def test_web_edits_during_a_large_import_wait_for_it_and_are_saved_and_logged(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PART_ROWS", 250)  # many parts: the web writes while it is half-way
    officer, coordinator = client_for(org.officer_a), client_for(org.coordinator)
    waited: list[float] = []
    for i in range(IMPORT_TRIES):
        p = project(f"导入时改{i}", org.park_a, org.officer_a)
        e = enterprise(f"导入时改企业{i}有限公司", owner_unit=org.park_a)
        p_url, e_url = reverse("projects:edit", args=[p.pk]), reverse("enterprises:edit", args=[e.pk])
        p_form, e_form = form_of(officer, p_url), form_of(coordinator, e_url)
        p_form["name"], e_form["name"] = f"导入时改名{i}", f"导入时改名企业{i}有限公司"
        rows = [["企业名称", "统一社会信用代码"]] + [[f"批量{i}号{n}科技有限公司", ""] for n in range(IMPORT_ROWS)]
        writing = threading.Event()

        def importing(rows: list[list[str]] = rows, writing: threading.Event = writing) -> Any:
            return engine.run_import(
                resource="enterprises",
                data=csv_bytes(rows),
                filename="企业.csv",
                user=org.officer_a,
                commit=True,
                progress=lambda done, total: writing.set(),
            )

        def editing(
            writing: threading.Event = writing,
            posts: tuple[tuple[str, dict[str, Any]], ...] = ((p_url, p_form), (e_url, e_form)),
        ) -> tuple[Any, Any, float]:
            assert writing.wait(WAIT)  # the import is inside its transaction, writing
            began = time.monotonic()
            (p_at, p_data), (e_at, e_data) = posts
            return officer.post(p_at, p_data), coordinator.post(e_at, e_data), time.monotonic() - began

        result, (p_response, e_response, seconds) = race(importing, editing)
        waited.append(seconds)
        assert result.ok and result.created == IMPORT_ROWS, (result.file_error, result.errors[:3])
        assert (p_response.status_code, e_response.status_code) == (302, 302)
        assert Project.objects.get(pk=p.pk).name == p_form["name"]
        assert Enterprise.objects.get(pk=e.pk).name == e_form["name"]
        assert Enterprise.objects.filter(name__startswith=f"批量{i}号").count() == IMPORT_ROWS
        # Both in the change log: the import's rows and each web edit.
        assert ChangeLog.objects.filter(source="import", object_repr__startswith=f"批量{i}号").count() == IMPORT_ROWS
        assert [u.after["name"] for u in log_of(p, ChangeAction.UPDATE)] == [p_form["name"]]
        assert [u.after["name"] for u in log_of(e, ChangeAction.UPDATE)] == [e_form["name"]]
        if connection.vendor == "sqlite":
            # One writer at a time: the web edits waited for the import's commit, then were saved.
            imported = ChangeLog.objects.filter(source="import", object_repr__startswith=f"批量{i}号")
            last = max(imported.values_list("id", flat=True))
            assert min(u.id for u in [*log_of(p, ChangeAction.UPDATE), *log_of(e, ChangeAction.UPDATE)]) > last
    print(
        f"\nimport/web race: {IMPORT_TRIES} tries, all saved; web edits took {', '.join(f'{s:.2f}s' for s in waited)}"
    )


def test_a_web_edit_while_an_import_job_commits_waits_for_it_and_both_are_saved_and_logged(
    org: Org, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same through the web and the imports.commit job on the thread backend, as a large
    sheet is committed in production."""
    settings.ZS_JOBS_BACKEND, settings.ZS_JOBS_THREADS = "thread", 1
    settings.ZS_IMPORT_JOB_ROWS, settings.DATA_DIR = 10, tmp_path
    monkeypatch.setattr(engine, "PART_ROWS", 250)
    writing = threading.Event()
    original = job_imports.run_import

    def run_import(**kwargs: Any) -> Any:
        told = kwargs["progress"]

        def progress(done: int, total: int) -> None:
            told(done, total)
            if done:
                writing.set()

        return original(**{**kwargs, "progress": progress})

    monkeypatch.setattr(job_imports, "run_import", run_import)
    backend = get_backend()
    assert isinstance(backend, ThreadBackend)
    officer = client_for(org.officer_a)
    try:
        p = project("任务导入时改", org.park_a, org.officer_a)
        url = reverse("projects:edit", args=[p.pk])
        form = form_of(officer, url)
        form["name"] = "任务导入时改名"
        rows = [["企业名称", "统一社会信用代码"]] + [[f"任务批量{n}科技有限公司", ""] for n in range(IMPORT_ROWS)]
        upload = io.BytesIO(csv_bytes(rows))
        upload.name = "企业.csv"
        token = officer.post("/enterprises/import/", {"file": upload}).context["token"]
        asked = officer.post("/enterprises/import/", {"token": token})
        assert asked.status_code == 302 and "/jobs/" in asked.url
        assert writing.wait(WAIT)  # the job is inside its transaction, writing
        edited = officer.post(url, form)
        assert backend.wait(WAIT)
    finally:
        backend.stop()
    job = Job.objects.get(kind="imports.commit")
    assert (job.state, job.result["created"]) == ("done", IMPORT_ROWS)
    assert edited.status_code == 302 and Project.objects.get(pk=p.pk).name == "任务导入时改名"
    imported = ChangeLog.objects.filter(source="import", object_repr__startswith="任务批量")
    assert imported.count() == IMPORT_ROWS
    [update] = [u for u in log_of(p, ChangeAction.UPDATE) if u.source == "web"]
    assert update.after["name"] == "任务导入时改名"
    if connection.vendor == "sqlite":
        assert update.id > max(imported.values_list("id", flat=True))  # it waited for the job's commit


@contextmanager
def write_held(seconds: float) -> Iterator[threading.Event]:
    """Another connection holds a write transaction (and the project rows' locks) for
    ``seconds`` once the returned event is set."""
    held = threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(Project.objects.select_for_update())
                held.set()
                time.sleep(seconds)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(WAIT)
        yield held
    finally:
        thread.join(WAIT)


def test_a_web_write_waits_for_another_connections_write_and_is_then_saved(org: Org) -> None:
    p = project("等锁项目", org.park_a, org.officer_a)
    c = client_for(org.officer_a)
    url = reverse("projects:edit", args=[p.pk])
    form = form_of(c, url)
    form["name"] = "等到了"
    with write_held(1.0):
        began = time.monotonic()
        response = c.post(url, form)
        seconds = time.monotonic() - began
    assert response.status_code == 302 and seconds >= 0.5
    assert Project.objects.get(pk=p.pk).name == "等到了"


def test_a_write_that_cannot_get_the_database_in_time_is_answered_503_and_saves_nothing(
    org: Org, real_db: Path | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if real_db is None:
        pytest.skip("SQLite's busy timeout: PostgreSQL waits for the row lock instead")
    p = project("忙时项目", org.park_a, org.officer_a)
    c = client_for(org.officer_a)
    url = reverse("projects:edit", args=[p.pk])
    form = form_of(c, url)
    form["name"] = "不会保存"
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.05)
    connection.close()  # the next connection waits only 0.05 s
    holder = sqlite3.connect(real_db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = c.post(url, form)
        ajax = c.post(
            reverse("projects:move", args=[p.pk]),
            {"target": rules.DROPPED, "reason": "x"},
            HTTP_ACCEPT="application/json",
        )
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    text = response.content.decode()
    assert BUSY in text and "未保存" in text
    assert ajax.status_code == 503 and BUSY in ajax.json()["errors"][0]
    after = Project.objects.get(pk=p.pk)
    assert (after.name, after.stage) == ("忙时项目", rules.LEAD)


def test_only_a_busy_database_is_answered_503() -> None:
    assert database_busy(OperationalError("database is locked"))
    assert database_busy(OperationalError("database table is locked: core_changelog"))
    assert database_busy(OperationalError("couldn't get a connection after 10.00 sec"))
    assert database_busy(OperationalError("deadlock detected\nDETAIL:  Process 1 waits for ShareLock"))
    assert not database_busy(OperationalError("no such table: projects_project"))
    assert not database_busy(ValueError("database is locked"))
