"""Server time and SQL of the list pages, as a logged-in coordinator sees them.

The Django test client calls the whole stack in-process (middleware, view, template), so
the time around ``client.get`` is the server's time without the network.  Timed runs and
the run that counts queries are separate, so that recording SQL adds nothing to the times.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (the usual 'p95')."""
    data = sorted(values)
    if not data:
        return 0.0
    k = (len(data) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


@dataclass
class Captured:
    """One request's SQL: the count Django reports and each statement with its parameters."""

    status: int
    count: int
    statements: list[tuple[str, Any, float]] = field(default_factory=list)


def capture(client: Client, url: str) -> Captured:
    """Request ``url`` once, recording every statement (text, parameters, seconds)."""
    statements: list[tuple[str, Any, float]] = []

    def recorder(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((sql, params, time.perf_counter() - start))

    # The wrapper lives on the connection object, which outlives a reconnect, so it also
    # sees a request that opens a fresh database connection.
    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(recorder):
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return Captured(status=response.status_code, count=len(ctx.captured_queries), statements=statements)


def time_sql(sql: str, params: Any, runs: int) -> list[float]:
    """Seconds for ``runs`` executions of one statement on a plain cursor, rows fetched."""
    out: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            start = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            out.append(time.perf_counter() - start)
    return out


def main_statement(captured: Captured) -> tuple[str, Any]:
    """The page's main query: of its SELECTs, the one slowest when re-run on its own."""
    selects = [
        (sql, params) for sql, params, _s in captured.statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    if not selects:
        raise RuntimeError("the page ran no SELECT")
    best = max(selects, key=lambda sp: statistics.median(time_sql(sp[0], sp[1], 3)))
    return best


def describe_sql(sql: str, params: Any) -> str:
    """The statement with its parameters inlined, for people to read (not to run)."""
    if not params:
        return sql
    text = sql
    for p in params:
        text = text.replace("%s", repr(p), 1)
    return text


@dataclass
class PageResult:
    name: str
    urls: list[str]
    times_ms: list[float]
    cpu_ms: list[float]
    queries: int
    queries_by_url: dict[str, int]
    raw_sql_ms: float
    main_sql: str

    @property
    def p50_ms(self) -> float:
        return percentile(self.times_ms, 50)

    @property
    def p95_ms(self) -> float:
        return percentile(self.times_ms, 95)


def count_queries(client: Client, urls: Sequence[str]) -> dict[str, int]:
    """Queries per URL (after one warm-up request, so caches are as in steady use)."""
    out: dict[str, int] = {}
    for url in urls:
        client.get(url)
        out[url] = capture(client, url).count
    return out


def measure_page(client: Client, name: str, urls: Sequence[str], *, runs: int, warmups: int) -> PageResult:
    """Time ``runs`` requests (cycling through ``urls``) after ``warmups`` per URL; count the
    queries of each URL; time the main query of each URL on a raw cursor, same runs."""
    for url in urls:
        for _ in range(warmups):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
    times: list[float] = []
    cpu: list[float] = []
    for i in range(runs):
        url = urls[i % len(urls)]
        cpu_start = time.process_time()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    counts: dict[str, int] = {}
    mains: list[tuple[str, Any]] = []
    for url in urls:
        captured = capture(client, url)
        counts[url] = captured.count
        mains.append(main_statement(captured))
    raw: list[float] = []
    for i in range(runs):
        sql, params = mains[i % len(mains)]
        raw.extend(time_sql(sql, params, 1))
    slowest = max(mains, key=lambda sp: statistics.median(time_sql(sp[0], sp[1], 3)))
    return PageResult(
        name=name,
        urls=list(urls),
        times_ms=times,
        cpu_ms=cpu,
        queries=max(counts.values()),
        queries_by_url=counts,
        raw_sql_ms=percentile([r * 1000 for r in raw], 50),
        main_sql=describe_sql(*slowest),
    )
