"""Bulk writing for imports: reserved ids, plain-row updates and lookups, the row builder and
the change log of rows known only by id and text."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db import connection, models

from zhaoshang.core.audit import given_values, write_change_rows
from zhaoshang.core.bulk import BATCH, insert_rows, sqlite_has_json

# -- bulk writing -------------------------------------------------------------------------


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for ``count`` new rows, so that related rows can be written before the
    database would have told them.  Call inside the import's transaction: on SQLite that
    transaction holds the write lock (IMMEDIATE), on PostgreSQL the sequence hands them out."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk.column, count]
            )
            return [r[0] for r in cursor.fetchall()]
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT MAX({qn(pk.column)}) FROM {qn(table)}")  # noqa: S608 - names from model meta
        start = (cursor.fetchone()[0] or 0) + 1
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
            if seq is not None and seq[0] is not None:
                start = max(start, seq[0] + 1)
    return list(range(start, start + count))


@contextlib.contextmanager
def bulk_write_session() -> Iterator[None]:
    """A bigger page cache for SQLite while an import writes: the new rows land all over
    the indexes of a large registry, and the default 2 MB cache would keep evicting them."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        old = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB, taken only as pages are touched
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(old)}")


def update_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], key: str = "id") -> None:
    """UPDATE by ``key`` in batches; each row is the new values then the key."""
    if not rows:
        return
    qn = connection.ops.quote_name
    sql = f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} WHERE {qn(key)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def delete_where_in(table: str, column: str, values: Sequence[Any]) -> None:
    if not values:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn(column)} IN ({', '.join(['%s'] * len(chunk))})", chunk)  # noqa: S608


def attname(model: type[models.Model], name: str) -> str:
    """The attribute a concrete field of ``model`` is set through (``industry`` -> ``industry_id``)."""
    value = getattr(model._meta.get_field(name), "attname", None)
    if not isinstance(value, str):
        raise ValueError(f"{model.__name__}.{name} is not a concrete field")
    return value


def _column(model: type[models.Model], name: str) -> str:
    column = getattr(model._meta.get_field(name), "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return column


def fetch_where_in(
    model: type[models.Model], key: str, values: Iterable[Any], fields: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Rows (as tuples of ``fields``) of ``model`` whose ``key`` is one of ``values``.

    One query whatever the number of values on SQLite (``json_each``) and PostgreSQL
    (``= ANY``); batches of 900 elsewhere.  A plain read used to match a file against the
    registry; what a user may change is still decided through ``restrict``."""
    wanted = list(values)
    if not wanted:
        return []
    opts = model._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(_column(model, f)) for f in fields)
    base = f"SELECT {columns} FROM {qn(opts.db_table)} WHERE {qn(_column(model, key))}"  # noqa: S608 - names from model meta
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{base} = ANY(%s)", [wanted])
            return [tuple(r) for r in cursor.fetchall()]
        if connection.vendor == "sqlite" and sqlite_has_json(cursor):
            cursor.execute(f"{base} IN (SELECT value FROM json_each(%s))", [json.dumps(wanted, ensure_ascii=False)])  # noqa: S608
            return [tuple(r) for r in cursor.fetchall()]
        for part in chunks(wanted):
            cursor.execute(f"{base} IN ({', '.join(['%s'] * len(part))})", list(part))
            out.extend(tuple(r) for r in cursor.fetchall())
    return out


def chunks(values: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    """Slices small enough for an ``IN`` list on every database (SQLite allows 999)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class RowWriter:
    """Rows for a model's table as plain lists in field order, defaults filled in, so that
    a resource gives only the values its sheet has (``writer.row(values)``)."""

    def __init__(self, model: type[models.Model], now: dt.datetime) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.index = {name: i for i, name in enumerate(self.attnames)}
        self.stamp = connection.ops.adapt_datetimefield_value(now)
        defaults: list[Any] = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append(self.stamp)
            else:
                defaults.append(f.get_default())
        self.defaults = defaults
        exclude = set(getattr(model, "audit_exclude", ()))
        # Positions and names of the values the change log keeps (as ``audit.snapshot``).
        logged = [(i, f.name) for i, f in enumerate(self.fields) if f.name not in exclude]
        self.logged_names = [name for _i, name in logged]
        positions = [i for i, _name in logged]
        # One C call per row for all of them (itemgetter gives a tuple from two on).
        self.logged_values: Callable[[Sequence[Any]], Sequence[Any]] = (
            itemgetter(*positions) if len(positions) > 1 else lambda row: [row[i] for i in positions]
        )

    def row(self, values: Mapping[str, Any], keys: Sequence[Any] | None = None) -> list[Any]:
        """A table row from ``values``, the default where a value is missing.  ``keys``: the
        key in ``values`` of each position (``keys_for``); by default the field attnames."""
        # One C-level map per row: an import builds a hundred thousand of them.
        return list(map(values.get, keys or self.attnames, self.defaults))

    def keys_for(self, positions: Mapping[str, int]) -> list[Any]:
        """Keys for ``row`` when ``values`` are keyed by a sheet's keys: ``positions`` gives
        each key's position; the others get a key no ``values`` has, hence the default."""
        by_position = {i: key for key, i in positions.items()}
        return [by_position.get(i, (i,)) for i in range(len(self.defaults))]

    def creation(self, row: Sequence[Any]) -> dict[str, Any]:
        """The change-log state of a new row: its given values (``audit.creation_state``),
        in the row's own types (the log's encoder writes amounts and dates as text)."""
        return given_values(zip(self.logged_names, self.logged_values(row), strict=True))

    def insert(self, ids: Sequence[int], rows: Sequence[list[Any]]) -> None:
        """Insert the rows with these ids.  The rows are handed over: each gets its id
        appended (cheaper than copying 100,000 rows to put the id first)."""
        pk = self.model._meta.pk
        assert pk is not None
        for pk_value, row in zip(ids, rows, strict=True):
            row.append(pk_value)
        insert_rows(self.model._meta.db_table, [*self.columns, pk.column], rows)


def jsonable(value: Any) -> Any:
    """A value as the change log keeps it (same forms as ``audit.snapshot``)."""
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Ref:
    """A saved row as the change log needs it (id, text and its revision after the write),
    without a model instance."""

    model: type[models.Model]
    pk: int
    text: str
    revision: int | None = None


def log_changes(
    entries: Iterable[tuple[Ref, str, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    message: str = "",
    given: bool = False,
) -> int:
    """Change-log rows for an import, from saved rows known only by id and text
    (``given``: see ``audit.write_change_rows``)."""
    return write_change_rows(
        ((ref.model, ref.pk, ref.text, action, before, after, ref.revision) for ref, action, before, after in entries),
        message=message,
        given=given,
    )
