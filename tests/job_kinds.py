"""Job kinds the job tests start: each does a little real work through a domain service (so
its writes go through the change log like a real job's), reports progress, and can be told to
fail, to wait, or to say which connection and thread it ran on."""

from __future__ import annotations

import gc
import threading
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.scoping import SYSTEM
from zhaoshang.jobs.models import Job
from zhaoshang.jobs.services import JobContext, JobError, in_job, job_kind, tuned
from zhaoshang.org.models import UnitKind
from zhaoshang.org.services import unit_create

# Set by a test, waited for by a job: "started" when the job has reported its progress,
# "release" to let it finish.  Keyed by the job's "key" parameter.
STARTED: dict[str, threading.Event] = {}
RELEASE: dict[str, threading.Event] = {}
# Run counts per key, to tell how many times a job's function actually ran.
RUNS: dict[str, int] = {}


def events(key: str) -> tuple[threading.Event, threading.Event]:
    STARTED[key] = threading.Event()
    RELEASE[key] = threading.Event()
    return STARTED[key], RELEASE[key]


def connection_id() -> Any:
    """Which database session the caller is on: PostgreSQL's backend pid, SQLite's driver object."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]
    connection.ensure_connection()
    return id(connection.connection)


def _describe_units(result: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [(_("units created"), result["created"])]


@job_kind("tests.make_units", label=_("Creating units"), describe=_describe_units)
def make_units(
    ctx: JobContext,
    *,
    names: list[str],
    fail_after: int | None = None,
    fail_with: str = "job_error",
    failing_attempts: int = 99,
    key: str = "",
) -> dict[str, Any]:
    """Create one unit per name; with ``fail_after``, raise after that many were written (in
    the first ``failing_attempts`` attempts)."""
    RUNS[key] = RUNS.get(key, 0) + 1
    for n, name in enumerate(names, start=1):
        unit_create(user=SYSTEM, name=name, kind=UnitKind.OUTPOST)
        ctx.progress(n, len(names), f"unit {name}")
        if fail_after is not None and n >= fail_after and ctx.attempt <= failing_attempts:
            if fail_with == "job_error":
                raise JobError(_("Unit %(name)s may not be created now."), name=name)
            raise RuntimeError("secret internal detail: boom")
    return {"created": len(names), "summary": f"{len(names)} units", "link": "/org/"}


@job_kind("tests.amounts", label=_("Adding amounts"))
def amounts(ctx: JobContext, *, values: list[str]) -> dict[str, Any]:
    """A result with a decimal, a date and a lazy translation, stored as JSON values."""
    import datetime as dt
    from decimal import Decimal

    return {"sum": sum((Decimal(v) for v in values), Decimal(0)), "on": dt.date(2026, 3, 1), "word": _("Waiting")}


@job_kind("tests.wait", label=_("Waiting"))
def wait(ctx: JobContext, *, key: str, done: int = 3, total: int = 10) -> dict[str, Any]:
    """Report progress, then wait for the test to release it (on its own thread)."""
    ctx.progress(done, total, f"step {done} of {key}")
    STARTED[key].set()
    if not RELEASE[key].wait(10):
        raise RuntimeError("never released")
    ctx.progress(total, total, f"finished {key}")
    return {"key": key, "thread": threading.current_thread().name, "connection": connection_id()}


@job_kind("tests.where", label=_("Telling where it runs"))
def where(ctx: JobContext, *, key: str) -> dict[str, Any]:
    ctx.progress(1, 1, key)
    return {"key": key, "thread": threading.current_thread().name, "connection": connection_id(), "in_job": in_job()}


@job_kind("tests.tuned", label=_("Tuning"))
def tuning(ctx: JobContext) -> dict[str, Any]:
    with tuned() as active:
        inside = gc.isenabled()
    return {"tuned": active, "collector_inside": inside, "collector_after": gc.isenabled()}


@job_kind("tests.superseded", label=_("Taken over"))
def superseded(ctx: JobContext, *, name: str) -> dict[str, Any]:
    """Write, then find the job started again by someone else meanwhile (as recovery does
    when it gives a run up for dead): this run's work must not commit."""
    unit_create(user=SYSTEM, name=name, kind=UnitKind.OUTPOST)
    Job.objects.filter(pk=ctx.job_id).update(attempts=ctx.attempt + 1)
    return {"created": 1}


# How many transactions were open around the last job function of each kind below.
DEPTH: dict[str, int] = {}


@job_kind("tests.depth_writing", label=_("Measuring"))
def depth_writing(ctx: JobContext) -> dict[str, Any]:
    DEPTH["writing"] = len(connection.atomic_blocks)
    return {}


@job_kind("tests.depth_reading", label=_("Measuring"), reads_only=True)
def depth_reading(ctx: JobContext) -> dict[str, Any]:
    DEPTH["reading"] = len(connection.atomic_blocks)
    return {}
