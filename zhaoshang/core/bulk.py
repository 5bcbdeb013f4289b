"""Plain bulk inserts for large writes (imports, the change log of an import).

Building a model instance per row cost more than the rest of a 100,000-row import, so these
take tuples.  Imports no domain app.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import gc
import logging
import queue
import sqlite3
import sys
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

BATCH = 5000
logger = logging.getLogger(__name__)

# Process-wide tuning (the cycle collector paused, a quicker hand-over of Python's lock, a
# writer thread on the caller's connection) is for batch work only: a job, a command, the
# benchmark.  Never in a web request, which shares the process with others.
_BATCH: contextvars.ContextVar[bool] = contextvars.ContextVar("zs_batch_mode", default=False)


@contextlib.contextmanager
def batch_mode() -> Iterator[None]:
    """Allow the process-wide tuning of batch work inside the block (the job runner, the
    management commands and the benchmark enter it; a web request never does)."""
    token = _BATCH.set(True)
    try:
        yield
    finally:
        _BATCH.reset(token)


def in_batch() -> bool:
    return _BATCH.get()


@dataclass(frozen=True)
class BatchCount:
    """What a batch over many records did: how many it went through, and how many of them
    changed in a way their history records."""

    done: int
    changed: int = 0


_collector_lock = threading.Lock()
_collector_depth = 0
_collector_was_enabled = True


@contextlib.contextmanager
def paused_collector() -> Iterator[bool]:
    """Python's cycle collector paused for batch work, and restored as found (yields whether
    it paused).  Batch work builds millions of objects without cycles, and the collector
    walking them again and again cost more than the work (imports, re-screening, scoring).
    Only in ``batch_mode``; batches on several threads share the pause."""
    global _collector_depth, _collector_was_enabled
    if not in_batch():
        yield False
        return
    with _collector_lock:
        if _collector_depth == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_depth += 1
    try:
        yield True
    finally:
        with _collector_lock:
            _collector_depth -= 1
            if _collector_depth == 0 and _collector_was_enabled:
                gc.enable()


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    nested_json: bool = False,
    constants: Mapping[str, Any] | None = None,
) -> None:
    """INSERT plain tuples as fast as the database takes them.

    PostgreSQL gets COPY.  SQLite gets ``executemany``, except for narrow tables (links)
    where one ``INSERT … SELECT FROM json_each(?)`` per chunk costs about half as much per
    row: the per-row binding, not the B-tree, dominates there.

    Inside ``pipelined_inserts`` the rows are handed to the writer thread instead.
    ``nested_json``: some values are JSON documents already (change-log states).
    ``constants``: more columns, with the same value in every row (given once: on the
    writer thread SQLite binds it once instead of once per row)."""
    if not rows:
        return
    consts = tuple((constants or {}).items())
    pipe = _PIPE.get()
    if pipe is not None:
        rows = list(rows)
        pipe.put(lambda connection: _insert(connection, table, columns, rows, stages=pipe.stages, constants=consts))
        return
    _insert(default_connection, table, columns, rows, nested_json=nested_json, constants=consts)


def execute(sql: str, params: Sequence[Any] = ()) -> None:
    """Run one statement, in order with the bulk inserts (on the writer thread inside
    ``pipelined_inserts``, so the caller does not wait for the inserts before it)."""
    pipe = _PIPE.get()
    if pipe is not None:
        pipe.put(lambda connection: _execute(connection, sql, params))
        return
    _execute(default_connection, sql, params)


def _execute(connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


def _insert(
    connection: BaseDatabaseWrapper,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    stages: set[str] | None = None,
    nested_json: bool = False,
    constants: Sequence[tuple[str, Any]] = (),
) -> None:
    """``stages``: on the writer thread, the staging tables it has made so far."""
    qn = connection.ops.quote_name
    if constants and not (connection.vendor == "sqlite" and stages is not None):
        # Only the staged insert takes them apart; elsewhere every row carries them.
        fixed = tuple(value for _column, value in constants)
        columns = [*columns, *(column for column, _value in constants)]
        rows = [(*row, *fixed) for row in rows]
        constants = ()
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY goes to psycopg directly; its errors still reach callers as Django's own
            # (an IntegrityError is what an import turns into "the records changed").
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        if connection.vendor == "sqlite" and stages is not None:
            # On the writer thread: many rows per statement, so that SQLite does the work of
            # a whole statement without Python's lock (executemany takes the lock back for
            # every row, and would wait on the preparing thread each time).
            # The driver's own execute with its own placeholders: Django's cursor would
            # rewrite a statement of thousands of placeholders every time (errors are still
            # turned into Django's own).
            # The rows go to a staging table in memory first, then into the table with one
            # INSERT … SELECT: SQLite fills the table and its indexes a third faster that
            # way than from the VALUES lists themselves (measured on the enterprise table
            # and the change log; docs/architecture.md).
            stage = _stage(connection, table, columns, stages)
            per = max(1, _max_variables(connection) // len(columns))
            one = "(" + ", ".join(["?"] * len(columns)) + ")"
            head = f"INSERT INTO {stage} VALUES "  # noqa: S608
            many = head + ", ".join([one] * per)
            raw = cursor.cursor
            run = sqlite3.Cursor.execute
            with connection.wrap_database_errors:
                for start in range(0, len(rows), per):
                    part = rows[start : start + per]
                    sql = many if len(part) == per else head + ", ".join([one] * len(part))
                    run(raw, sql, list(chain.from_iterable(part)))
                if constants:
                    extra = ", ".join(qn(column) for column, _value in constants)
                    marks = ", ".join(["?"] * len(constants))
                    run(
                        raw,
                        f"INSERT INTO {qn(table)} ({names}, {extra}) SELECT *, {marks} FROM {stage}",  # noqa: S608
                        [value for _column, value in constants],
                    )
                else:
                    run(raw, f"INSERT INTO {qn(table)} ({names}) SELECT * FROM {stage}")  # noqa: S608
                run(raw, f"DELETE FROM {stage}")  # noqa: S608
            return
        # In the caller's own thread, one ``INSERT … SELECT FROM json_each(?)`` per chunk
        # pays off for narrow tables; rows that carry JSON documents (the change log) would
        # have them escaped and parsed twice.
        if connection.vendor == "sqlite" and len(columns) <= 4 and not nested_json and sqlite_has_json(cursor):
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            sql = f"INSERT INTO {qn(table)} ({names}) SELECT {picks} FROM json_each(%s)"  # noqa: S608
            encode = _json_default(connection)
            for start in range(0, len(rows), JSON_CHUNK):
                blob = orjson.dumps(rows[start : start + JSON_CHUNK], default=encode, option=_ORJSON_OPTIONS)
                cursor.execute(sql, [blob.decode()])
            return
        sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _stage(connection: BaseDatabaseWrapper, table: str, columns: Sequence[str], stages: set[str]) -> str:
    """A temporary table (in memory, this connection's only) for rows on their way to
    ``table``: the same columns without types, so that values are stored as bound and the
    table's own column types convert them once, as a direct insert would."""
    qn = connection.ops.quote_name
    name = qn(f"zs_stage_{zlib.crc32(repr((table, tuple(columns))).encode()):08x}")
    if name not in stages:
        with connection.cursor() as cursor:
            # Dropped first: one left over from an earlier failure might still hold rows.
            cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
            cursor.execute(f"CREATE TEMP TABLE {name} ({', '.join(qn(c) for c in columns)})")
        stages.add(name)
    return f"temp.{name}"


def _drop_stages(connection: BaseDatabaseWrapper, stages: set[str]) -> None:
    with connection.cursor() as cursor:
        for name in stages:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
    stages.clear()


def _max_variables(connection: BaseDatabaseWrapper) -> int:
    """Parameters SQLite takes in one statement (32,766 in current builds, 999 in old ones)."""
    raw = connection.connection
    try:
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except (AttributeError, sqlite3.Error):  # Python < 3.11 has no getlimit
        return 999


JSON_CHUNK = 20_000
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _json_default(connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """Values as the database adapters would bind them (a datetime in the stored form)."""
    adapt_datetime = connection.ops.adapt_datetimefield_value

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dt.datetime):
            return adapt_datetime(value)
        if isinstance(value, dt.date | dt.time):
            return value.isoformat()
        return str(value)

    return encode


_JSON1: bool | None = None


class _Pipeline:
    """One writer thread doing a connection's bulk inserts while the calling thread goes on
    preparing the next rows.  SQLite and PostgreSQL do the insert's real work (B-trees,
    full-text index, COPY parsing) without Python's lock, so the two overlap on two cores.

    Order and safety: the writer uses the caller's own connection, inside the caller's
    transaction.  Any other statement the caller runs meanwhile first waits until every
    submitted insert is done (an execute wrapper on the connection), so reads see the
    writes and nothing runs on the connection at the same time."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        # Unbounded: the rows are in memory already, and a full queue would stall the caller.
        self.jobs: queue.Queue[Callable[[BaseDatabaseWrapper], None] | None] = queue.Queue()
        self.error: BaseException | None = None
        self.failed = False
        # Staging tables made on the writer thread (SQLite), dropped when the pipeline ends.
        self.stages: set[str] = set()
        self.thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if not self.failed:
                    try:
                        job(self.connection)
                    except BaseException as exc:  # handed to the caller at the next wait
                        self.error = exc
                        self.failed = True
            finally:
                self.jobs.task_done()

    def put(self, job: Callable[[BaseDatabaseWrapper], None]) -> None:
        self.raise_error()
        self.jobs.put(job)

    def wait(self) -> None:
        """Block until every submitted insert is written; raise the first failure."""
        self.jobs.join()
        self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def guard(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if threading.current_thread() is not self.thread:
            self.wait()
        return execute(sql, params, many, context)


_PIPE: contextvars.ContextVar[_Pipeline | None] = contextvars.ContextVar("bulk_pipe", default=None)


@contextlib.contextmanager
def pipelined_inserts(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within the block, ``insert_rows`` returns at once and a writer thread inserts (in
    ``batch_mode`` only: in a web request the inserts run in place)."""
    if _PIPE.get() is not None or not in_batch():  # already pipelined further up, or no batch
        yield
        return
    # This thread's own connection object (``django.db.connection`` would resolve to a new
    # one in the writer thread).
    conn = connections[using]
    pipe = _Pipeline(conn)
    conn.inc_thread_sharing()
    pipe.thread.start()
    token = _PIPE.set(pipe)
    try:
        with conn.execute_wrapper(pipe.guard), _quick_handover():
            yield
            if pipe.stages:
                pipe.put(lambda connection: _drop_stages(connection, pipe.stages))
            pipe.wait()
    finally:
        _PIPE.reset(token)
        pipe.jobs.put(None)
        pipe.thread.join()
        conn.dec_thread_sharing()
    pipe.raise_error()


# Python's lock between the two threads of a pipeline: the writer needs it briefly for each
# statement (to bind the values) and then lets the database work without it.  By default a
# thread waiting for the lock waits up to 5 ms for the other to give it up, every time:
# the writer fell behind by a second per 100,000 rows.  While any pipeline runs, the lock
# changes hands after 0.1 ms instead (measured best of 5, 1, 0.3 and 0.1 ms).
HANDOVER_SECONDS = 0.0001
_handover_lock = threading.Lock()
_handover_users = 0
_handover_before = 0.0


@contextlib.contextmanager
def _quick_handover() -> Iterator[None]:
    global _handover_users, _handover_before
    with _handover_lock:
        if _handover_users == 0:
            _handover_before = sys.getswitchinterval()
            sys.setswitchinterval(HANDOVER_SECONDS)
        _handover_users += 1
    try:
        yield
    finally:
        with _handover_lock:
            _handover_users -= 1
            if _handover_users == 0:
                sys.setswitchinterval(_handover_before)


@contextlib.contextmanager
def checkpoint_after(connection: BaseDatabaseWrapper | None = None) -> Iterator[None]:
    """A large write whose WAL checkpoint runs after it, on a thread of its own.

    In WAL mode SQLite appends changed pages to a log and, at the first commit after the
    log outgrows 1,000 pages, copies them into the database file within that commit.
    After an import of 100,000 rows that copy took two thirds of the commit, in the user's
    wait.  Within the block the connection does not checkpoint by itself; after it, one
    passive checkpoint runs on its own connection while the response goes out (readers
    and writers carry on meanwhile; if the process stops first, SQLite checkpoints later).
    Other databases, and SQLite without WAL (tests in memory), are left as they are."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    old = _wal_autocheckpoint(connection)
    if old is None:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(old)}")
        start_checkpoint(str(connection.settings_dict["NAME"]))


def _wal_autocheckpoint(connection: BaseDatabaseWrapper) -> int | None:
    """The connection's automatic checkpoint interval, or None if it has no WAL."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() != "wal":
            return None
        cursor.execute("PRAGMA wal_autocheckpoint")
        return int(cursor.fetchone()[0])


_checkpoints: list[threading.Thread] = []


def start_checkpoint(path: str) -> threading.Thread:
    """Copy the WAL of the SQLite database at ``path`` into it, on a new thread."""

    def run() -> None:
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=60)) as db:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            # Not lost: the log stays valid, and the next commit past 1,000 pages retries.
            logger.warning("WAL checkpoint of %s failed", path, exc_info=True)

    thread = threading.Thread(target=run, name="wal-checkpoint", daemon=True)
    _checkpoints[:] = [t for t in _checkpoints if t.is_alive()]
    _checkpoints.append(thread)
    thread.start()
    return thread


def wait_for_checkpoints() -> None:
    """Block until the checkpoints started so far are done (for the benchmark and tests)."""
    for thread in list(_checkpoints):
        thread.join()


def plain_values(queryset: Any, fields: Sequence[str]) -> list[tuple[Any, ...]]:
    """``queryset.values_list(*fields)`` for a batch over many rows: the same values, read
    without the ORM's per-value converters, which cost more than the rest of the read.

    On SQLite, decimals arrive as numbers and yes/no as 0/1: they are turned into Decimal and
    bool here (other kinds of field the ORM would convert are refused, so nothing reaches a
    caller in another form than the ORM would give).  Other databases return proper types."""
    kinds = [_column_kind(queryset.model, name) for name in fields]
    qs = queryset.values_list(*fields)
    if connections[qs.db].vendor != "sqlite":
        return list(qs)
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    todo = [(i, kind) for i, kind in enumerate(kinds) if kind]
    if not todo:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, kind in todo:
            value = values[i]
            if value is None:
                continue
            if kind == "bool":
                values[i] = bool(value)
            elif value.__class__ is float:
                values[i] = Decimal(repr(value))
            elif value.__class__ is not Decimal:
                values[i] = Decimal(value)
        out.append(tuple(values))
    return out


def _column_kind(model: Any, name: str) -> str:
    """ "decimal", "bool" or "" for a values_list name (relations followed through ``__``)."""
    from django.db import models

    field: Any = None
    for part in name.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation and field.related_model is not None:
            model = field.related_model
    if field.is_relation:
        field = field.target_field
    if isinstance(field, models.DecimalField):
        return "decimal"
    if isinstance(field, models.BooleanField):
        return "bool"
    if isinstance(field, models.DateField | models.TimeField | models.JSONField | models.UUIDField):
        raise TypeError(f"plain_values does not convert {name} ({type(field).__name__})")
    return ""


def sqlite_has_json(cursor: Any) -> bool:
    """Whether this SQLite has the JSON functions (built in since 3.38, optional before)."""
    global _JSON1
    if _JSON1 is None:
        try:
            cursor.execute("SELECT json_extract('[1]', '$[0]')")
            _JSON1 = cursor.fetchone()[0] == 1
        except Exception:  # an old SQLite without JSON1: plain executemany then
            _JSON1 = False
    return _JSON1
