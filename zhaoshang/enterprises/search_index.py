"""The full-text index behind Chinese substring search of the registry.

Each enterprise keeps its names' two-character grams in ``Enterprise.search_grams``
(space-separated, computed by ``rules.index_text`` wherever a name is written).  The database
indexes that column with its own full-text machinery, one entry per enterprise:

- SQLite: an FTS5 table with external content (the column itself), kept in step by three
  triggers, so that every write path (services, the bulk import, the benchmark's raw
  inserts) updates the index inside the same transaction without Python doing it;
- PostgreSQL: a GIN index over ``string_to_array(search_grams, ' ')``, queried with ``@>``.

A search asks for the enterprises holding every gram of the term and then confirms the
substring on those hits (selectors.search_enterprises), so a hit is always exact.

Django does not know these objects (they are not model state).  A migration installs them,
and ``install`` runs again after every ``migrate``: on SQLite, Django rebuilds a table to
alter it, which drops its triggers; ``install`` puts them back and rebuilds the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "enterprises_enterprise"
FTS = "enterprises_search"
PG_INDEX = "ent_search_grams_gin"
# A row here (written inside a bulk import's transaction, so nobody else ever sees it) stops
# the insert trigger: the import then indexes all its new rows with one statement, about
# nine times cheaper than a trigger firing per row.
PAUSE = "enterprises_search_pause"
_TRIGGERS = {
    f"{FTS}_ai": (
        f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON {TABLE} WHEN NOT EXISTS (SELECT 1 FROM {PAUSE}) BEGIN "
        f"INSERT INTO {FTS}(rowid, search_grams) VALUES (new.id, new.search_grams); END"
    ),
    f"{FTS}_ad": (
        f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} BEGIN "
        f"INSERT INTO {FTS}({FTS}, rowid, search_grams) VALUES ('delete', old.id, old.search_grams); END"
    ),
    f"{FTS}_au": (
        f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF search_grams ON {TABLE} BEGIN "
        f"INSERT INTO {FTS}({FTS}, rowid, search_grams) VALUES ('delete', old.id, old.search_grams); "
        f"INSERT INTO {FTS}(rowid, search_grams) VALUES (new.id, new.search_grams); END"
    ),
}


def install(connection: BaseDatabaseWrapper) -> bool:
    """Create the index where it is missing; return whether anything was (re)built."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s", [FTS + "%"]
            )
            present = dict(cursor.fetchall())
            # Missing, or left from an older definition: (re)created, then the index rebuilt.
            missing = [name for name, sql in _TRIGGERS.items() if present.get(name) != sql]
            if FTS in present and PAUSE in present and not missing:
                return False
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {PAUSE} (paused INTEGER NOT NULL)")
            for name in missing:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            if FTS not in present:
                # The grams are tokens: unicode61 keeps letters and digits of every script
                # (CJK included) and splits on the spaces between grams.
                cursor.execute(
                    f"CREATE VIRTUAL TABLE {FTS} USING fts5(search_grams, content='{TABLE}', "
                    "content_rowid='id', tokenize='unicode61 remove_diacritics 0', detail='none')"
                )
            for name in missing:
                cursor.execute(_TRIGGERS[name])
            # Whatever was written while the triggers were missing is indexed now.
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
            return True
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            if cursor.fetchone():
                return False
            cursor.execute(f"CREATE INDEX {PG_INDEX} ON {TABLE} USING gin (string_to_array(search_grams, ' '))")
            return True
    return False


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in _TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS}")
            cursor.execute(f"DROP TABLE IF EXISTS {PAUSE}")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


Statement = tuple[str, list[Any]]


class BulkIndex:
    """The search index through a bulk insert of enterprises, in parts: ``pause`` before
    the first part, ``index(first_id, last_id)`` after each part, ``resume`` at the end.
    On SQLite the per-row trigger is paused and each part is indexed in one statement
    (while the next part is prepared); PostgreSQL's GIN index follows the rows by itself."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.sqlite = connection.vendor == "sqlite"

    def pause(self) -> list[Statement]:
        return [(f"INSERT INTO {PAUSE} (paused) VALUES (1)", [])] if self.sqlite else []

    def index(self, first_id: int, last_id: int) -> list[Statement]:
        if not self.sqlite:
            return []
        return [
            (
                f"INSERT INTO {FTS}(rowid, search_grams) SELECT id, search_grams FROM {TABLE} WHERE id BETWEEN %s AND %s",
                [first_id, last_id],
            )
        ]

    def resume(self) -> list[Statement]:
        return [(f"DELETE FROM {PAUSE}", [])] if self.sqlite else []


def _fts_phrase(gram: str) -> str | None:
    """One gram as an FTS5 string; None for a gram without a letter or digit, which the
    tokenizer drops (the substring check after the index still applies)."""
    if not any(ch.isalnum() for ch in gram):
        return None
    return '"' + gram.replace('"', '""') + '"'


def holding_all(connection: BaseDatabaseWrapper, grams: Sequence[str]) -> tuple[str, list[Any]] | None:
    """A SQL condition on the enterprise table: the row's names hold every gram.  None when
    the index cannot narrow (no usable gram, or a database without the index)."""
    if connection.vendor == "sqlite":
        phrases = [p for p in (_fts_phrase(g) for g in grams) if p]
        if not phrases:
            return None
        return (
            f'"{TABLE}"."id" IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)',
            [" AND ".join(phrases)],
        )
    if connection.vendor == "postgresql":
        return f'string_to_array("{TABLE}"."search_grams", \' \') @> %s::text[]', [list(grams)]
    return None


def sharing_most(
    connection: BaseDatabaseWrapper, grams: Sequence[str], *, need: int, limit: int = 200
) -> list[int] | None:
    """Ids of enterprises whose names share at least ``need`` of ``grams`` (best first on
    SQLite, where FTS5's rank orders them; the caller confirms likeness).  None when the
    index cannot answer."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            phrases = [p for p in (_fts_phrase(g) for g in grams) if p]
            if not phrases:
                return None
            cursor.execute(
                f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s ORDER BY rank LIMIT %s",
                [" OR ".join(phrases), limit],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT id FROM {TABLE} WHERE string_to_array(search_grams, ' ') && %s::text[] "
                "AND (SELECT count(*) FROM unnest(string_to_array(search_grams, ' ')) AS g WHERE g = ANY(%s)) >= %s "
                "LIMIT %s",
                [list(grams), list(grams), need, limit],
            )
            return [row[0] for row in cursor.fetchall()]
    return None
