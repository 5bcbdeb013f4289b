"""The benchmark's own database, chosen and emptied before Django starts.

Default: a fresh SQLite file under bench/work/ (git-ignored), deleted and migrated on each
run.  When DATABASE_URL names a PostgreSQL server, the benchmark never touches the database
in the URL: it drops and creates a separate database ``zhaoshang_bench`` on that server and
drops it again at the end.  Nothing here imports Django settings, because the environment
variables set here decide them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / "work"
PG_BENCH_NAME = "zhaoshang_bench"


@dataclass(frozen=True)
class BenchDatabase:
    vendor: str
    url: str
    # Where to connect to drop the bench database at the end (PostgreSQL only).
    admin_url: str = ""


def _pg_admin(url: str, sql_statements: list[str]) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for sql in sql_statements:
            conn.execute(sql)  # type: ignore[arg-type]  # fixed statements, no user input


def prepare(database_url: str | None, work_dir: Path = WORK_DIR) -> BenchDatabase:
    """Point the environment at an empty benchmark database; call before django.setup()."""
    work_dir.mkdir(parents=True, exist_ok=True)
    os.environ["ZS_DATA_DIR"] = str(work_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhaoshang.settings")
    # Measured as deployed: DEBUG off (no query log kept per request).
    os.environ["ZS_DEBUG"] = "0"
    os.environ["ZS_PRODUCTION"] = "0"
    # A 100,000-row sheet is larger than the default upload limit (20 MB), which is sized for
    # people, not for a load test: the benchmark's own process raises it.
    os.environ.setdefault("ZS_UPLOAD_MAX_BYTES", str(256 * 1024 * 1024))
    os.environ.setdefault("ZS_UPLOAD_MAX_UNZIPPED_BYTES", str(1024 * 1024 * 1024))
    scheme = urlsplit(database_url).scheme if database_url else ""
    if scheme.startswith("postgres"):
        assert database_url is not None
        parts = urlsplit(database_url)
        bench_url = urlunsplit((parts.scheme, parts.netloc, "/" + PG_BENCH_NAME, parts.query, parts.fragment))
        if parts.path.strip("/") == PG_BENCH_NAME:
            raise SystemExit(f"DATABASE_URL should name the server's usual database, not {PG_BENCH_NAME}")
        _pg_admin(
            database_url,
            [f"DROP DATABASE IF EXISTS {PG_BENCH_NAME} WITH (FORCE)", f"CREATE DATABASE {PG_BENCH_NAME}"],
        )
        os.environ["DATABASE_URL"] = bench_url
        return BenchDatabase(vendor="postgresql", url=bench_url, admin_url=database_url)
    if scheme and not scheme.startswith("sqlite"):
        raise SystemExit(f"the benchmark runs on SQLite or PostgreSQL, not {scheme}")
    # Any SQLite URL is replaced by the benchmark's own file, so the app's data is never touched.
    path = work_dir / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = "sqlite:///" + str(path)
    os.environ["DATABASE_URL"] = url
    return BenchDatabase(vendor="sqlite", url=url)


def dispose(db: BenchDatabase) -> None:
    """Drop the PostgreSQL benchmark database (the SQLite file stays for inspection)."""
    if db.vendor != "postgresql":
        return
    from django.db import connections

    connections.close_all()
    _pg_admin(db.admin_url, [f"DROP DATABASE IF EXISTS {PG_BENCH_NAME} WITH (FORCE)"])
