"""The database settings for several people at once: on SQLite a writer waits up to
ZS_SQLITE_BUSY_SECONDS for the one before it; on PostgreSQL each process keeps a bounded pool
of connections (ZS_DB_POOL_MIN/MAX, a request waits ZS_DB_POOL_TIMEOUT seconds for a free one),
or, with ZS_DB_POOL=0, one connection per thread kept ZS_DB_CONN_MAX_AGE seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.db import connection

from tests.test_settings import ROOT, _import_settings

PRINT = (
    "import json, zhaoshang.settings as s; d = s.DATABASES['default']; "
    "print(json.dumps([d['ENGINE'], d.get('OPTIONS', {}).get('timeout'), d.get('OPTIONS', {}).get('pool'), d['CONN_MAX_AGE']]))"
)
PG = "postgres://zhaoshang@127.0.0.1:5432/zhaoshang"


def _database(tmp_path: Path, **env: str) -> list[Any]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZS_") and k != "DATABASE_URL"}
    clean.update({"ZS_DATA_DIR": str(tmp_path), **env})
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", PRINT], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_sqlite_writers_wait_thirty_seconds_for_each_other_unless_told_otherwise(tmp_path: Path) -> None:
    assert _database(tmp_path) == ["django.db.backends.sqlite3", 30, None, 0]
    assert _database(tmp_path, ZS_SQLITE_BUSY_SECONDS="5") == ["django.db.backends.sqlite3", 5, None, 0]


def test_postgresql_pools_a_bounded_number_of_connections_by_default(tmp_path: Path) -> None:
    pool = {"min_size": 2, "max_size": 10, "timeout": 10}
    assert _database(tmp_path, DATABASE_URL=PG) == ["django.db.backends.postgresql", None, pool, 0]
    sized = {"min_size": 0, "max_size": 4, "timeout": 3}
    assert _database(tmp_path, DATABASE_URL=PG, ZS_DB_POOL_MIN="0", ZS_DB_POOL_MAX="4", ZS_DB_POOL_TIMEOUT="3") == [
        "django.db.backends.postgresql",
        None,
        sized,
        0,
    ]


def test_without_the_pool_postgresql_keeps_one_connection_per_thread_for_a_while(tmp_path: Path) -> None:
    assert _database(tmp_path, DATABASE_URL=PG, ZS_DB_POOL="0") == ["django.db.backends.postgresql", None, None, 60]
    assert _database(tmp_path, DATABASE_URL=PG, ZS_DB_POOL="off", ZS_DB_CONN_MAX_AGE="0")[3] == 0


def test_impossible_database_settings_stop_the_start_up_naming_the_variable(tmp_path: Path) -> None:
    for env, message in [
        ({"ZS_SQLITE_BUSY_SECONDS": "-1"}, "ZS_SQLITE_BUSY_SECONDS must be 0 or more"),
        ({"ZS_SQLITE_BUSY_SECONDS": "half a minute"}, "ZS_SQLITE_BUSY_SECONDS must be a whole number"),
        ({"ZS_DB_POOL_MAX": "0"}, "ZS_DB_POOL_MAX must be 1 or more"),
        ({"ZS_DB_POOL_MIN": "5", "ZS_DB_POOL_MAX": "4"}, "ZS_DB_POOL_MIN between 0 and ZS_DB_POOL_MAX"),
        ({"ZS_DB_POOL_TIMEOUT": "0"}, "ZS_DB_POOL_TIMEOUT must be 1 or more"),
        ({"ZS_DB_POOL": "maybe"}, "ZS_DB_POOL must be one of"),
    ]:
        result = _import_settings(tmp_path, DATABASE_URL=PG, **env)
        assert result.returncode != 0 and message in result.stderr, (env, result.stderr[-300:])


def test_the_tests_run_on_the_pool_when_they_run_on_postgresql() -> None:
    if connection.vendor == "postgresql":
        assert connection.pool is not None and connection.settings_dict["CONN_MAX_AGE"] == 0
    else:
        assert connection.settings_dict["OPTIONS"]["timeout"] == 30
