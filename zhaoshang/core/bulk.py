"""Plain bulk inserts for large writes (imports, the change log of an import).

Building a model instance per row cost more than the rest of a 100,000-row import, so these
take tuples.  Imports no domain app.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

BATCH = 5000


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT plain tuples as fast as the database takes them.

    PostgreSQL gets COPY.  SQLite gets ``executemany``, except for narrow tables (search
    grams, links) where one ``INSERT … SELECT FROM json_each(?)`` per chunk costs about half
    as much per row: the per-row binding, not the B-tree, dominates there."""
    if not rows:
        return
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        if connection.vendor == "sqlite" and len(columns) <= 4 and sqlite_has_json(cursor):
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            sql = f"INSERT INTO {qn(table)} ({names}) SELECT {picks} FROM json_each(%s)"  # noqa: S608
            for start in range(0, len(rows), 50_000):
                cursor.execute(sql, [json.dumps(rows[start : start + 50_000], ensure_ascii=False, default=str)])
            return
        sql = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


_JSON1: bool | None = None


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
