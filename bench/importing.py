"""Import throughput: a sheet of new enterprises through the real import, beside a raw insert.

The sheet is written in the import template's own columns (headers and cell forms taken
from ``zhaoshang.enterprises.io.COLUMNS``), as a user fills it: Chinese headers, 是/否,
exchange names, "3911 计算机整机制造" for an industry, chain/node, list:year:rank.  The
timed part is ``run_import(..., commit=True)``: reading the file, validating every cell and
row, and the one all-or-nothing write with search grams and change log.  Between runs the
imported rows are deleted again, so that every run creates every row.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, transaction

from bench.generate import Generator
from zhaoshang.core.bulk import batch_mode
from zhaoshang.core.models import ChangeLog
from zhaoshang.enterprises.models import (
    ChainNode,
    Enterprise,
    EnterpriseContact,
    EnterpriseRanking,
    IndustryCode,
)


def _sheet_rows(gen: Generator, count: int) -> tuple[list[str], list[list[Any]], list[dict[str, Any]]]:
    """Headers, cells (as a user would type them) and the same rows as model values."""
    from zhaoshang.enterprises.io import COLUMNS

    industry_names = dict(IndustryCode.objects.values_list("code", "name"))
    node_names = {
        pk: f"{chain}/{node}" for pk, chain, node in ChainNode.objects.values_list("id", "chain__name", "name")
    }
    unit_names = {u.pk: u.name for u in gen.units}
    columns = [c for c in COLUMNS if c.key != "id"]
    headers = [c.zh for c in columns]
    cells: list[list[Any]] = []
    models: list[dict[str, Any]] = []
    for _ in range(count):
        row, ranks, links, _short = gen.enterprise_row()
        values: dict[str, Any] = {
            "name": row["name"],
            "former_names": ";".join(row["former_names"].splitlines()),
            "credit_code": row["credit_code"] or "",
            "registered_capital": row["registered_capital"],
            "hq_province": row["hq_province"],
            "hq_city": row["hq_city"],
            "industry": f"{row['industry_id']} {industry_names[row['industry_id']]}" if row["industry_id"] else "",
            "listing_exchange": row["listing_exchange"],
            "ticker": row["ticker"],
            "is_unicorn": row["is_unicorn"],
            "is_industry_leader": row["is_industry_leader"],
            "sme_level": row["sme_level"],
            "revenue": row["revenue"],
            "employees": row["employees"],
            "business_scope": row["business_scope"],
            "notes": "",
            "chain_nodes": tuple(node_names[n] for n in links),
            "owner_unit": unit_names.get(row["owner_unit_id"], ""),
            "rankings": tuple(ranks),
        }
        line: list[Any] = []
        for col in columns:
            value = values.get(col.key)
            if value is None or value == "":
                line.append(None)
            elif col.key in ("industry", "owner_unit", "credit_code"):
                line.append(value)
            else:
                line.append(col.kind.to_cell(value))
        cells.append(line)
        models.append(row)
    return headers, cells, models


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("企业")
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, as Excel's "CSV UTF-8" writes it."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _marks() -> tuple[int, int]:
    """Highest enterprise and change-log ids: everything above is the run's to remove."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Enterprise._meta.db_table}")
        enterprise = cursor.fetchone()[0]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {ChangeLog._meta.db_table}")
        changes = cursor.fetchone()[0]
    return enterprise, changes


def reset(marks: tuple[int, int]) -> None:
    """Delete what an import (or the raw insert) added after ``marks``."""
    enterprise, changes = marks
    through = Enterprise.chain_nodes.through._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (
            through,
            EnterpriseRanking._meta.db_table,
            EnterpriseContact._meta.db_table,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE enterprise_id > %s", [enterprise])
        cursor.execute(f"DELETE FROM {Enterprise._meta.db_table} WHERE id > %s", [enterprise])
        cursor.execute(f"DELETE FROM {ChangeLog._meta.db_table} WHERE id > %s", [changes])


def _timed_import(data: bytes, filename: str, user: Any) -> tuple[float, float, float, Any]:
    """Wall and CPU seconds of one committed import, the seconds its WAL checkpoint went on
    after it returned (SQLite; run on a thread of its own, see core.bulk.checkpoint_after),
    and its result.  The checkpoint is waited for before anything else is measured."""
    from zhaoshang.core.bulk import wait_for_checkpoints
    from zhaoshang.core.tabular.engine import run_import

    cpu = time.process_time()
    start = time.perf_counter()
    # As the job of a large import runs it (batch mode: the tuning of batch work allowed).
    with batch_mode():
        result = run_import(resource="enterprises", data=data, filename=filename, user=user, commit=True)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu
    wait_for_checkpoints()
    return seconds, cpu_seconds, time.perf_counter() - start - seconds, result


def raw_insert_seconds(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """The same rows with one plain ``executemany`` INSERT: no validation, no grams, no log."""
    from django.utils import timezone

    ops = connection.ops
    fields = [f for f in Enterprise._meta.concrete_fields if not f.primary_key]
    now = ops.adapt_datetimefield_value(timezone.now())
    defaults = [now if f.name in ("created", "updated") else f.get_default() for f in fields]
    params = [tuple(row.get(f.attname, d) for f, d in zip(fields, defaults, strict=True)) for row in rows]
    qn = ops.quote_name
    sql = (
        f"INSERT INTO {qn(Enterprise._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    cpu = time.process_time()
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(0, len(params), 5000):
            cursor.executemany(sql, params[i : i + 5000])
    return time.perf_counter() - start, time.process_time() - cpu


def _failure(result: Any) -> str:
    if result.file_error:
        return str(result.file_error)
    first = "; ".join(f"row {e.row} {e.column}: {e.message}" for e in result.errors[:5])
    return f"{len(result.errors)} errors, first: {first}"


def measure_import(gen: Generator, user: Any, *, rows: int, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Rows per second for the XLSX and CSV imports and for the raw insert of the same rows."""
    headers, cells, models = _sheet_rows(gen, rows)
    xlsx = xlsx_bytes(headers, cells)
    text = csv_bytes(headers, cells)
    say(f"  files: XLSX {len(xlsx) / 1e6:.1f} MB, CSV {len(text) / 1e6:.1f} MB")
    out: dict[str, Any] = {"rows": rows, "xlsx_bytes": len(xlsx), "csv_bytes": len(text)}
    marks = _marks()
    for fmt, data, name in (("xlsx", xlsx, "bench.xlsx"), ("csv", text, "bench.csv")):
        seconds, cpu, checkpoint, result = _timed_import(data, name, user)
        out[f"{fmt}_seconds"] = round(seconds, 2)
        out[f"{fmt}_cpu_seconds"] = round(cpu, 2)
        out[f"{fmt}_checkpoint_after_seconds"] = round(checkpoint, 2)
        out[f"{fmt}_rows_per_s"] = round(result.rows / seconds) if seconds else 0
        out[f"{fmt}_created"] = result.created if result.ok else 0
        if not result.ok:
            out[f"{fmt}_failed"] = _failure(result)
            say(f"  {fmt} import FAILED: {out[f'{fmt}_failed']}")
        else:
            say(f"  {fmt}: {result.rows:,} rows in {seconds:.1f} s")
        reset(marks)
    seconds, cpu = raw_insert_seconds(models)
    out["raw_insert_seconds"] = round(seconds, 2)
    out["raw_insert_cpu_seconds"] = round(cpu, 2)
    out["raw_insert_rows_per_s"] = round(len(models) / seconds) if seconds else 0
    say(f"  raw insert: {len(models):,} rows in {seconds:.1f} s")
    reset(marks)
    return out
