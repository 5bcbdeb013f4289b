"""The import run: resources (what a sheet's rows mean), header matching, and the checked,
all-or-nothing run that plans a sheet and hands its writes to the resource."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import or_
from typing import Any, ClassVar

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext

from zhaoshang.core.audit import audit_context
from zhaoshang.core.bulk import checkpoint_after, paused_collector, pipelined_inserts
from zhaoshang.core.models import ChangeSource
from zhaoshang.core.scoping import IMPORT, Scope, require, scope_for
from zhaoshang.core.tabular.kinds import Column, fold, is_blank, text_of
from zhaoshang.core.tabular.readers import read_csv, read_xlsx, too_many_rows
from zhaoshang.core.tabular.uploads import FileRefused, check_upload
from zhaoshang.core.tabular.writing import bulk_write_session

# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the row number as the sheet shows it, the column header, the message."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """What an import found (preview) or did (commit)."""

    ok: bool = False
    created: int = 0
    updated: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    committed: bool = False
    unchanged: int = 0
    headers: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # The first rows as read, for the preview: (row number, action, cell texts).
    preview: list[tuple[int, str, list[str]]] = field(default_factory=list)


# -- resources ----------------------------------------------------------------------------


@dataclass
class SheetRow:
    """One data row after its cells were parsed: values of the columns present in the file
    that parsed without error; ``failed`` names the columns that did not."""

    number: int
    values: dict[str, Any]
    failed: set[str]
    cells: list[Any]


@dataclass
class Plan:
    """What a resource would write: an action per row number, plus its own data."""

    actions: dict[int, str] = field(default_factory=dict)
    data: Any = None
    unchanged: int = 0

    @property
    def creates(self) -> int:
        return sum(1 for a in self.actions.values() if a == CREATE)

    @property
    def updates(self) -> int:
        return sum(1 for a in self.actions.values() if a == UPDATE)


CREATE = "create"
UPDATE = "update"
# Rows checked (and, for a resource with ``key_columns``, written) at a time by an import.
PART_ROWS = 5_000

Report = Callable[[int, str, str], None]


class Resource:
    """A sheet's columns and what its rows mean; subclassed by each domain app."""

    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[Column, ...]]
    title: ClassVar[Any]
    list_url: ClassVar[str]
    sheet_title: ClassVar[str] = "数据"

    def lookups(self, *, user: Any) -> dict[str, Any]:
        """Tables that ``Lookup`` columns resolve in, loaded once per import."""
        return {}

    def template_lists(self, *, user: Any) -> dict[str, Sequence[str]]:
        """Drop-down values of ``Lookup`` columns for the template, by table name."""
        return {}

    # How an import runs (``run_import``): the cells of ``key_columns`` (None: of every
    # column) are parsed for the whole sheet, and ``plan`` decides what each row means
    # from them (matches, duplicates, everything that needs the whole file or the
    # database).  Then, ``PART_ROWS`` rows at a time, the other cells are parsed and
    # ``plan_part`` checks those rows; while no row has failed, ``write_part`` writes what
    # they add, so the database stores one part while the next is checked.  ``write``
    # finishes.  A resource whose ``plan`` needs every value keeps the default: all of
    # its checking happens in ``plan`` and all of its writing in ``write``.
    key_columns: ClassVar[frozenset[str] | None] = None

    def plan(self, rows: list[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report) -> Plan:
        raise NotImplementedError

    def plan_part(
        self, plan: Plan, rows: Sequence[SheetRow], *, present: frozenset[str], user: Any, scope: Scope, report: Report
    ) -> None:
        """Check a part of the rows, now with every value."""

    def write_part(self, plan: Plan, *, user: Any) -> None:
        """Write what the parts checked since the last call add (inside the import's
        transaction and ``core.bulk.pipelined_inserts``: no reads here)."""

    def write(self, plan: Plan, *, user: Any) -> None:
        raise NotImplementedError

    def export_rows(self, queryset: Any) -> Iterable[Sequence[Any]]:
        """One sequence per record, in the order of the exported ``columns``."""
        raise NotImplementedError

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


_RESOURCES: dict[str, Resource] = {}


def register_resource(name: str, resource: Resource) -> None:
    """Make a resource importable and exportable under ``name`` (called from apps' ready)."""
    _RESOURCES[name] = resource


def get_resource(name: str) -> Resource:
    try:
        return _RESOURCES[name]
    except KeyError as exc:
        raise LookupError(f"no import resource named {name!r}") from exc


# -- header matching ----------------------------------------------------------------------


def _header_aliases(resource: Resource) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for col in resource.columns:
        names = [col.zh, col.key, *col.aliases]
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                names.append(str(col.label))
        for name in names:
            table.setdefault(fold(name).strip("*＊"), col)
    return table


def _match_header(resource: Resource, table: list[list[Any]]) -> tuple[int, dict[int, Column], list[str]]:
    """Find the header row among the first rows; return its index, the mapped columns by
    position and the headers that mean nothing here."""
    aliases = _header_aliases(resource)
    best_index, best_hits = -1, 0
    for index, row in enumerate(table[:10]):
        hits = sum(1 for cell in row if isinstance(cell, str) and fold(cell).strip("*＊") in aliases)
        if hits > best_hits:
            best_index, best_hits = index, hits
    if best_index < 0:
        raise FileRefused(
            gettext("No header row with known column names was found; download the template to see them.")
        )
    mapping: dict[int, Column] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for pos, cell in enumerate(table[best_index]):
        text = text_of(cell) if cell not in (None, "") else ""
        if not text:
            continue
        col = aliases.get(fold(text).strip("*＊"))
        if col is None:
            ignored.append(text)
            continue
        if col.key in seen:
            raise FileRefused(gettext("The column %(column)s appears more than once.") % {"column": text})
        seen[col.key] = text
        mapping[pos] = col
    missing = [c.zh for c in resource.columns if c.required and c.key not in seen]
    if missing:
        raise FileRefused(gettext("Required columns are missing: %(columns)s.") % {"columns": "、".join(missing)})
    return best_index, mapping, ignored


# -- the import run -----------------------------------------------------------------------


class _Body:
    """The data rows under the header: blank rows dropped, cells parsed on demand, a group of
    columns at a time, into ``SheetRow`` values."""

    def __init__(
        self, table: list[list[Any]], header_index: int, mapping: dict[int, Column], lookups: Mapping[str, Any]
    ) -> None:
        body = table[header_index + 1 :]
        need = max(mapping) + 1 if mapping else 0
        if any(len(cells) < need for cells in body):
            body = [cells + [""] * (need - len(cells)) if len(cells) < need else cells for cells in body]
        count = len(body)
        filled = [False] * count
        all_filled = count == 0
        for pos in mapping:
            if all_filled:
                break
            # A row is blank when none of its mapped cells holds anything (Excel often
            # keeps formatted empty rows); usually the first column settles every row.
            filled = list(map(or_, filled, [not is_blank(cells[pos]) for cells in body]))
            all_filled = all(filled)
        first = header_index + 2
        self.kept = [(first + index, cells) for index, cells in enumerate(body) if filled[index]]
        self.headers = {pos: _header_text(table, header_index, pos) for pos in mapping}
        self.parsers = {pos: col.kind.bind(lookups) for pos, col in mapping.items()}

    def rows(self, columns: dict[int, Column], errors: list[RowError]) -> list[SheetRow]:
        """Every kept row with the values of ``columns``."""
        rows = [SheetRow(number, {}, set(), cells) for number, cells in self.kept]
        self.fill(rows, columns, errors)
        return rows

    def fill(self, rows: Sequence[SheetRow], columns: dict[int, Column], errors: list[RowError]) -> None:
        """Parse ``columns`` of these rows, a column at a time (each kind parses a whole
        column, with a fast path for cells in their plain form), into their values; a cell
        that fails is reported and its column marked failed."""
        if not rows or not columns:
            return
        keys: list[str] = []
        parsed: list[list[Any]] = []
        problems: dict[int, list[tuple[str, str, str]]] = {}  # row index -> (key, header, message)
        required_msg = gettext("A value is required.")
        # The part's cells a column at a time.  Rows may differ in length past the last
        # mapped column (never before it, see __init__): the shortest decides.
        cells = list(zip(*[row.cells for row in rows], strict=False))
        for pos, col in columns.items():
            values = cells[pos]
            header = self.headers[pos]
            out, failures = col.kind.parse_column(self.parsers[pos], values)
            for index, message in failures:
                problems.setdefault(index, []).append((col.key, header, message))
            if col.required:
                empty = col.kind.empty
                failed = {index for index, _message in failures}
                for index, value in enumerate(out):
                    if value == empty and index not in failed:
                        problems.setdefault(index, []).append((col.key, header, required_msg))
            keys.append(col.key)
            parsed.append(out)
        for row, record in zip(rows, map(dict, map(zip, repeat(keys), zip(*parsed, strict=True))), strict=True):
            if row.values:
                row.values.update(record)
            else:
                row.values = record
        for index, found in problems.items():
            row = rows[index]
            for key, header, message in found:
                errors.append(RowError(row.number, header, message))
                row.failed.add(key)
                row.values.pop(key, None)


def _header_text(table: list[list[Any]], header_index: int, pos: int) -> str:
    return text_of(table[header_index][pos])


Progress = Callable[[int, int], None]


def run_import(
    *, resource: str, data: bytes, filename: str, user: Any, commit: bool, progress: Progress | None = None
) -> ImportResult:
    """Check, read and validate an uploaded sheet; with ``commit`` write it, all or nothing.
    ``progress(rows checked, rows)`` is told after each part (a job's progress bar).

    Raises ``PermissionDenied`` for a user who may not write (viewers, anonymous)."""
    # In a job (batch mode) Python's cycle collector is paused: the import's millions of
    # cells and rows hold no cycles, and walking them again and again cost more than parsing.
    with paused_collector():
        return _run_import(resource=resource, data=data, filename=filename, user=user, commit=commit, progress=progress)


def _run_import(
    *, resource: str, data: bytes, filename: str, user: Any, commit: bool, progress: Progress | None
) -> ImportResult:
    res = get_resource(resource)
    require(user, IMPORT, res.model)
    scope = scope_for(user)
    result = ImportResult()
    try:
        kind = check_upload(data, filename)
        table = read_xlsx(data) if kind == "xlsx" else read_csv(data)
        header_index, mapping, ignored = _match_header(res, table)
    except FileRefused as exc:
        result.file_error = exc.message
        return result
    result.ignored_columns = ignored
    result.headers = [_header_text(table, header_index, pos) for pos in sorted(mapping)]
    data_rows = len(table) - header_index - 1
    if data_rows > settings.ZS_IMPORT_MAX_ROWS:
        result.file_error = too_many_rows(data_rows).message
        return result
    present = frozenset(col.key for col in mapping.values())
    headers = {col.key: _header_text(table, header_index, pos) for pos, col in mapping.items()}

    def run(writing: bool) -> Plan | None:
        """Check the rows; when ``writing``, write them as they pass (see ``Resource``)."""
        errors: list[RowError] = []
        body = _Body(table, header_index, mapping, res.lookups(user=user))
        keys = res.key_columns
        first = {pos: col for pos, col in mapping.items() if keys is None or col.key in keys}
        rest = {pos: col for pos, col in mapping.items() if pos not in first}
        rows = body.rows(first, errors)
        result.rows = len(rows)
        if not rows:
            result.file_error = gettext("The file has no data rows under the header.")
            return None

        def report(row: int, key: str, message: str) -> None:
            errors.append(RowError(row, headers.get(key) or res.column(key).zh, message))

        plan = res.plan(rows, present=present, user=user, scope=scope, report=report)
        for start in range(0, len(rows), PART_ROWS):
            part = rows[start : start + PART_ROWS]
            body.fill(part, rest, errors)
            res.plan_part(plan, part, present=present, user=user, scope=scope, report=report)
            # Nothing more is written once a row has failed: the import will be undone.
            if writing and not errors:
                res.write_part(plan, user=user)
            if progress is not None:
                progress(start + len(part), len(rows))
        if writing and not errors:
            res.write(plan, user=user)
        # Left to right as the sheet shows them; columns the sheet lacks come last.
        position = {h: pos for pos, h in enumerate(result.headers)}
        position.update({c.zh: 1000 + i for i, c in enumerate(res.columns) if c.zh not in position})
        errors.sort(key=lambda e: (e.row, position.get(e.column, 2000)))
        result.errors = errors
        result.created, result.updated, result.unchanged = plan.creates, plan.updates, plan.unchanged
        positions = sorted(mapping)
        for row in rows[:20]:
            result.preview.append(
                (
                    row.number,
                    plan.actions.get(row.number, ""),
                    [text_of(row.cells[p]) if p < len(row.cells) else "" for p in positions],
                )
            )
        return plan

    if not commit:
        run(writing=False)
        result.ok = result.file_error is None and not result.errors
        return result
    try:
        with checkpoint_after(), transaction.atomic(), audit_context(user=user, source=ChangeSource.IMPORT):
            # Every content type in the cache first: the change log needs them while the
            # writer thread has the connection, and a query then would wait for it.
            ContentType.objects.get_for_models(*django_apps.get_models())
            with bulk_write_session(), pipelined_inserts():
                plan = run(writing=True)
            if plan is None or result.errors:
                # All or nothing: whatever the parts before the first error wrote goes.
                transaction.set_rollback(True)
                return result
    except IntegrityError:
        result.file_error = gettext(
            "The records changed while the file was being imported; nothing was saved. Please try again."
        )
        return result
    result.ok = True
    result.committed = True
    return result
