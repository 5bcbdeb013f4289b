"""Run the benchmark: ``make bench`` or ``python -m bench.run [--enterprises N --projects N]``.

Builds a registry and a pipeline in a throw-away database (see bench/database.py), measures
the list pages and the import, prints a table and writes bench/results.json and
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from bench import database

ROOT = database.BENCH_DIR.parent
DEFAULT_JSON = database.BENCH_DIR / "results.json"
DEFAULT_MD = ROOT / "docs" / "benchmarks.md"
# The page measured at a tiny size too, to show that queries do not grow with rows.
SMALL_ENTERPRISES = 20
SMALL_PROJECTS = 12
SMALL_TERM = "科技"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=100_000, help="enterprises to generate (default 100,000)")
    parser.add_argument("--projects", type=int, default=20_000, help="projects to generate (default 20,000)")
    parser.add_argument(
        "--import-rows", type=int, default=None, help="rows per import file (default: as many as enterprises)"
    )
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests per URL first (default 3)")
    parser.add_argument("--skip-import", action="store_true", help="measure the pages only")
    parser.add_argument(
        "--batch-projects",
        type=int,
        default=100_000,
        help="projects to screen and score in one batch (default 100,000; 0 to skip)",
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"results file (default {DEFAULT_JSON.relative_to(ROOT)})"
    )
    parser.add_argument(
        "--md", type=Path, default=DEFAULT_MD, help=f"report file (default {DEFAULT_MD.relative_to(ROOT)})"
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL benchmark database afterwards")
    parser.add_argument("--command", default="make bench", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.enterprises < SMALL_ENTERPRISES or opts.projects < SMALL_PROJECTS:
        parser.error(f"at least {SMALL_ENTERPRISES} enterprises and {SMALL_PROJECTS} projects")
    if opts.import_rows is None:
        opts.import_rows = opts.enterprises
    return opts


def page_urls(terms: list[str]) -> dict[str, list[str]]:
    from django.urls import reverse

    listing = reverse("enterprises:list")
    return {
        "enterprise_list": [listing],
        "enterprise_search": [f"{listing}?{urlencode({'q': t, 'tag': 'listed'})}" for t in terms],
        "project_list": [reverse("projects:list")],
        "kanban": [reverse("projects:kanban")],
    }


def execute(opts: argparse.Namespace, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Generate, measure and write the results; Django must be set up and migrated."""
    from django.test import Client

    from bench import batch, generate, importing, pages, report

    started = time.perf_counter()
    load_start = round(os.getloadavg()[0], 2)
    gen = generate.Generator()
    coordinator = gen.setup_org()
    client = Client()
    client.force_login(coordinator)

    say(f"tiny registry: {SMALL_ENTERPRISES} enterprises, {SMALL_PROJECTS} projects, counting queries")
    # Half of them listed, so that the search page over the tiny registry shows rows too.
    gen.add_enterprises(SMALL_ENTERPRISES, listed_rate=0.5)
    gen.add_projects(SMALL_PROJECTS)
    small_counts = {name: pages.count_queries(client, urls) for name, urls in page_urls([SMALL_TERM]).items()}

    say(f"generating {opts.enterprises:,} enterprises and {opts.projects:,} projects")
    t0 = time.perf_counter()
    step = 20_000
    remaining = opts.enterprises - SMALL_ENTERPRISES
    while remaining > 0:
        gen.add_enterprises(min(step, remaining))
        remaining -= step
    gen.add_projects(opts.projects - SMALL_PROJECTS)
    generate.analyze()
    generation_seconds = time.perf_counter() - t0 + 0.0
    say(f"  generated in {generation_seconds:.1f} s")

    picked = gen.search_terms()
    terms = [SMALL_TERM] + [t for t, _n in picked if t != SMALL_TERM]
    term_counts = dict(picked)
    term_counts.setdefault(SMALL_TERM, gen.gram_counts.get(SMALL_TERM, 0))
    results_pages: dict[str, Any] = {}
    for name, urls in page_urls(terms).items():
        say(f"measuring {name} ({len(urls)} URL{'s' if len(urls) > 1 else ''})")
        res = pages.measure_page(client, name, urls, runs=opts.runs, warmups=opts.warmups)
        small = max(small_counts[name].values())
        results_pages[name] = {
            "p50_ms": round(res.p50_ms, 2),
            "p95_ms": round(res.p95_ms, 2),
            "queries": res.queries,
            "raw_sql_ms": round(res.raw_sql_ms, 3),
            "queries_small": small,
            "queries_constant": small == res.queries,
            "target_p95_ms": report.PAGE_TARGETS_MS[name],
            "pass": report.page_passes(name, res.p95_ms),
            "max_ms": round(max(res.times_ms), 2),
            # This process's CPU time per request: steadier than wall time on a busy machine
            # (the database server's own work is not in it on PostgreSQL).
            "cpu_p50_ms": round(pages.percentile(res.cpu_ms, 50), 2),
            "queries_by_url": {unquote(url): n for url, n in res.queries_by_url.items()},
            "main_sql": res.main_sql,
        }

    results: dict[str, Any] = {
        "database": report.database_label(),
        "enterprises": opts.enterprises,
        "projects": opts.projects,
        "pages": results_pages,
    }
    if not opts.skip_import:
        say(f"import: {opts.import_rows:,} rows as XLSX and CSV, and a raw insert")
        results["import"] = importing.measure_import(gen, coordinator, rows=opts.import_rows, say=say)

    if opts.batch_projects:
        extra = max(0, opts.batch_projects - opts.projects)
        say(f"batch: {extra:,} more projects, then screening and scoring all {opts.projects + extra:,}")
        if extra:
            gen.add_projects(extra)
            generate.analyze()
        results["batch"] = batch.measure_batch(say=say)

    results.update(
        {
            "date": dt.datetime.now(dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "command": opts.command,
            "user": "coordinator",
            "runs": opts.runs,
            "warmups": opts.warmups,
            "units": len(gen.units),
            "grams": sum(gen.gram_counts.values()),
            "search_terms": [[t, term_counts.get(t, 0)] for t in terms],
            "generation_seconds": round(generation_seconds, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
            "machine": report.machine(),
            "load_start": load_start,
            "load_end": round(os.getloadavg()[0], 2),
        }
    )
    report.write_json(results, opts.json)
    report.write_markdown(results, opts.md)
    return results


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    db = database.prepare(os.environ.get("DATABASE_URL"))
    import django
    from django.core.management import call_command

    django.setup()
    try:
        call_command("migrate", interactive=False, verbosity=0)
        results = execute(opts)
    finally:
        if not opts.keep_db:
            database.dispose(db)
    from bench import report

    print()
    print(report.table(results))
    print(f"\nwrote {opts.json} and {opts.md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
