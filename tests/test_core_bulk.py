"""Bulk writes of imports: plain-row inserts, and the writer thread that overlaps them with
the import's own work.  What a user relies on: every row arrives with its values intact, reads
in between see what was written, a failure undoes the whole import, and SQLite's log is copied
into the database after a large write rather than in its commit."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper

from tests.factories import enterprise
from zhaoshang.core import bulk
from zhaoshang.core.audit import audit_context, write_change_rows
from zhaoshang.core.bulk import insert_rows, pipelined_inserts
from zhaoshang.core.models import ChangeLog, ChangeSource
from zhaoshang.core.tabular.engine import run_import
from zhaoshang.core.tabular.writing import reserve_ids
from zhaoshang.enterprises.models import ChainNode, Enterprise, IndustryChain
from zhaoshang.enterprises.rules import index_text
from zhaoshang.enterprises.selectors import active_enterprises, search_enterprises

COLUMNS = ("id", "name", "name_key", "search_grams", "former_names", "registered_capital", "hq_province", "hq_city")


def _row(pk: int, name: str, capital: Decimal | None) -> tuple[Any, ...]:
    return (pk, name, name, index_text(name, ""), "", capital, "河南", "郑州")


def _insert(rows: list[tuple[Any, ...]]) -> None:
    table = Enterprise._meta.db_table
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    extra = ("created", "updated", "listing_exchange", "ticker", "is_unicorn", "is_industry_leader", "sme_level")
    extra += ("business_scope", "notes", "is_fortune500", "is_china500", "is_private500", "owner_unit_id")
    fill = (now, now, "", "", False, False, "", "", "", False, False, False, None)
    insert_rows(table, (*COLUMNS, *extra), [(*r, *fill) for r in rows])


def test_pipelined_rows_arrive_intact_and_reads_in_between_see_them(db: Any) -> None:
    with transaction.atomic():
        ids = reserve_ids(Enterprise, 3)
        with pipelined_inserts():
            _insert([_row(ids[0], "郑州宇通客车股份有限公司", Decimal("221393.13"))])
            # A read inside the pipeline waits for the pending insert, so it sees it.
            assert Enterprise.objects.filter(pk=ids[0]).exists()
            _insert(
                [
                    _row(ids[1], "郑州煤矿机械集团股份有限公司", None),
                    _row(ids[2], "中铁工程装备集团有限公司", Decimal("5")),
                ]
            )
    stored = {e.pk: (e.name, e.registered_capital, e.is_unicorn) for e in Enterprise.objects.filter(pk__in=ids)}
    assert stored == {
        ids[0]: ("郑州宇通客车股份有限公司", Decimal("221393.13"), False),
        ids[1]: ("郑州煤矿机械集团股份有限公司", None, False),
        ids[2]: ("中铁工程装备集团有限公司", Decimal("5.00"), False),
    }
    # The search index follows rows written without any service.
    assert set(search_enterprises(active_enterprises(), "装备").values_list("pk", flat=True)) == {ids[2]}


def test_a_failed_insert_in_the_writer_reaches_the_caller_and_nothing_stays(db: Any) -> None:
    before = Enterprise.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        ids = reserve_ids(Enterprise, 2)
        with pipelined_inserts():
            _insert([_row(ids[0], "洛阳轴承集团股份有限公司", None)])
            _insert([_row(ids[0], "同一编号的第二家", None)])  # the same primary key again
            _insert([_row(ids[1], "不应写入的企业", None)])
    assert Enterprise.objects.count() == before


def test_change_rows_written_in_the_pipeline_keep_their_states(org: Any) -> None:
    with audit_context(user=org.coordinator, source=ChangeSource.IMPORT), transaction.atomic(), pipelined_inserts():
        write_change_rows(
            [
                (
                    Enterprise,
                    991,
                    "郑州奥利弗电子科技有限公司",
                    "create",
                    None,
                    {
                        "name": "郑州奥利弗电子科技有限公司",
                        "revenue": Decimal("1200.50"),
                        "since": dt.date(2020, 5, 1),
                    },
                    1,
                )
            ]
        )
    entry = ChangeLog.objects.get(object_id=991)
    assert (entry.user_id, entry.source, entry.after) == (
        org.coordinator.pk,
        "import",
        {"name": "郑州奥利弗电子科技有限公司", "revenue": "1200.50", "since": "2020-05-01"},
    )


def test_an_import_refused_by_the_database_saves_nothing(org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the records change underneath (here: an id the import counted on is taken by the
    time it writes), the writer's failure rolls the whole import back with a clear message."""
    from zhaoshang.enterprises import services as enterprise_services

    taken = Enterprise.objects.create(name="已占用编号的企业", name_key="已占用编号的企业")

    monkeypatch.setattr(enterprise_services, "reserve_ids", lambda model, count: [taken.pk + i for i in range(count)])
    data = "企业名称\n新乡化纤股份有限公司\n安阳钢铁集团有限责任公司\n".encode()
    before = (Enterprise.objects.count(), ChangeLog.objects.count())
    result = run_import(resource="enterprises", data=data, filename="e.csv", user=org.coordinator, commit=True)
    assert (result.ok, result.file_error) == (False, "导入期间记录发生了变化，未保存任何数据，请重试。")
    assert (Enterprise.objects.count(), ChangeLog.objects.count()) == before


def test_plain_values_give_what_the_orm_gives(org: Any) -> None:
    """A batch reads without the ORM's converters; the values must still be the same."""
    from zhaoshang.core.bulk import plain_values
    from zhaoshang.projects.models import Project
    from zhaoshang.projects.services import project_create

    e = Enterprise.objects.create(name="郑州宇通客车股份有限公司", name_key="郑州宇通客车", is_unicorn=True)
    project_create(
        data={
            "name": "新能源客车扩产项目",
            "enterprise": e,
            "lead_unit": org.park_a,
            "planned_investment": Decimal("120000.50"),
            "land_mu": Decimal("88.80"),
            "incentives_tied_to_tax": True,
            "patents": 12,
        },
        user=org.officer_a,
    )
    fields = ("id", "name", "planned_investment", "land_mu", "expected_tax", "incentives_tied_to_tax", "patents")
    fields += ("enterprise__is_unicorn", "enterprise_id", "industry_id")
    fast = plain_values(Project.objects.order_by("pk"), fields)
    assert fast == list(Project.objects.order_by("pk").values_list(*fields))
    assert [type(v) for v in fast[0][2:6]] == [Decimal, Decimal, type(None), bool]
    with pytest.raises(TypeError):
        plain_values(Project.objects.all(), ("signed_on",))


def test_the_pipeline_hands_the_lock_over_quickly_and_restores_the_interval(db: Any) -> None:
    before = sys.getswitchinterval()
    with bulk.batch_mode(), transaction.atomic(), bulk.pipelined_inserts():
        assert sys.getswitchinterval() == pytest.approx(bulk.HANDOVER_SECONDS)
        with bulk.pipelined_inserts():  # nested: the outer one's
            assert sys.getswitchinterval() == pytest.approx(bulk.HANDOVER_SECONDS)
    assert sys.getswitchinterval() == before


def test_outside_batch_work_nothing_process_wide_is_tuned(db: Any) -> None:
    """A web request never changes the process's switch interval or its cycle collector, and
    writes on its own connection without a writer thread."""
    import gc
    import threading

    before = sys.getswitchinterval()
    threads = threading.active_count()
    with transaction.atomic(), bulk.pipelined_inserts(), bulk.paused_collector() as paused:
        assert sys.getswitchinterval() == before and gc.isenabled() and not paused
        assert threading.active_count() == threads
        _insert([_row(reserve_ids(Enterprise, 1)[0], "郑州宇通客车股份有限公司", None)])
    assert Enterprise.objects.filter(name="郑州宇通客车股份有限公司").exists()
    with bulk.batch_mode(), bulk.paused_collector() as paused:
        assert paused and not gc.isenabled()
    assert gc.isenabled()


def test_rows_left_in_a_staging_table_by_a_failed_insert_are_not_written_later(db: Any) -> None:
    """Outside a transaction a failed insert can leave rows in its staging table; the next
    pipeline starts from an empty one."""
    if connection.vendor != "sqlite":
        pytest.skip("staging tables are SQLite's; PostgreSQL takes the rows by COPY")
    table = ChainNode.enterprises.through._meta.db_table
    a = enterprise("郑州宇通客车股份有限公司")
    b = enterprise("中铁工程装备集团有限公司")
    chain = IndustryChain.objects.create(name="高端装备", kind="leading")
    n1 = ChainNode.objects.create(chain=chain, name="客车", segment="downstream")
    n2 = ChainNode.objects.create(chain=chain, name="盾构机", segment="midstream")
    columns = ("enterprise_id", "chainnode_id")
    bulk.insert_rows(table, columns, [(a.pk, n1.pk)])
    with pytest.raises(Exception), bulk.pipelined_inserts():  # noqa: B017 - the database's own error
        bulk.insert_rows(table, columns, [(b.pk, n1.pk), (a.pk, n1.pk)])  # the second is there already
    with bulk.pipelined_inserts():
        bulk.insert_rows(table, columns, [(b.pk, n2.pk)])
    links = set(Enterprise.chain_nodes.through.objects.values_list("enterprise_id", "chainnode_id"))
    assert links == {(a.pk, n1.pk), (b.pk, n2.pk)}


# -- the SQLite log ------------------------------------------------------------------------


def _wal_database(path: Path) -> DatabaseWrapper:
    """A Django connection to a SQLite file in WAL mode, as the app's own database is."""
    wrapper = DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
            "TIME_ZONE": None,
            "AUTOCOMMIT": True,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "ATOMIC_REQUESTS": False,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
        },
        alias="wal_test",
    )
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (x TEXT)")
    return wrapper


def _pragma(wrapper: DatabaseWrapper, name: str) -> Any:
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_a_large_write_leaves_its_log_to_a_checkpoint_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_db_blocker: Any
) -> None:
    path = tmp_path / "zone.sqlite3"
    checkpoint = bulk.start_checkpoint
    with django_db_blocker.unblock():
        wal = _wal_database(path)
        try:
            assert _pragma(wal, "journal_mode") == "wal"
            started: list[str] = []
            monkeypatch.setattr(bulk, "start_checkpoint", started.append)
            with bulk.checkpoint_after(wal):
                assert _pragma(wal, "wal_autocheckpoint") == 0
                with wal.cursor() as cursor:
                    cursor.executemany("INSERT INTO t VALUES (%s)", [("企" * 400,)] * 5000)
            assert _pragma(wal, "wal_autocheckpoint") == 1000
            assert started == [str(path)]
            # The commits did not copy the log into the database file: the checkpoint does.
            assert path.stat().st_size < 1_000_000 < Path(f"{path}-wal").stat().st_size
            checkpoint(str(path)).join()
            assert path.stat().st_size > 5_000_000
        finally:
            wal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 5000


def test_databases_without_a_log_are_left_as_they_are(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(bulk, "start_checkpoint", started.append)
    with bulk.checkpoint_after():
        pass
    assert started == []
