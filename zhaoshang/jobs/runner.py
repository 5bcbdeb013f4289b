"""The job runner: the registry of job kinds, the context a job function gets, and the
executor every backend calls with a job's id.

How one job runs (``execute``):

1. **Claim.** One conditional UPDATE moves the job from queued to running and counts the
   attempt.  Two workers handed the same job (a recovery resubmitting a job another process
   already took, a message delivered twice) cannot both run it: only one UPDATE matches.
2. **Run.** The job function runs inside ``audit_context(user=<starter>, source="job")``, so
   every write it makes is attributed to the user who started it, and inside **one**
   ``transaction.atomic()``: a job that fails halfway leaves nothing half-written.  Its state
   "done" and its result are written as the last statement of that same transaction, fenced
   by the attempt number, so the effect and "done" commit together: a process that dies just
   after the commit is never taken for a dead run and run again, and a run that recovery
   gave up on (and started anew) cannot commit its work a second time.
3. **Record a failure** outside the rolled-back transaction: state failed, the message the
   user reads (``JobError``'s, a validation error's, or a general one, never a traceback) and
   the traceback apart, for the administrator.

While the job runs, its progress lives in the Django cache, not the database: on SQLite the
job's transaction holds the only write lock until it ends, so no other connection could write
the row.  A heartbeat thread flushes the progress and a beat to the cache every half second
and, on databases with row locks (PostgreSQL), touches the row's heartbeat every few seconds
through its own connection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhaoshang.core.audit import audit_context
from zhaoshang.core.bulk import batch_mode, paused_collector
from zhaoshang.core.models import ChangeSource
from zhaoshang.jobs.models import LIVE_SECONDS, Job, JobState

logger = logging.getLogger("zhaoshang.jobs")

# How often the heartbeat thread writes the latest progress to the cache, and how often it
# refreshes the beat (cache and, where it can, the row).
FLUSH_SECONDS = 0.5
HEARTBEAT_SECONDS = 5.0
MESSAGE_LENGTH = 200
ERROR_LENGTH = 2000

JobFunction = Callable[..., dict[str, Any] | None]
Describe = Callable[[dict[str, Any]], list[tuple[Any, Any]]]


# -- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any  # a lazy translation: worded in the reader's language when shown
    fn: JobFunction
    describe: Describe | None = None
    reads_only: bool = False


_KINDS: dict[str, JobKind] = {}


def job_kind(
    name: str, *, label: Any, describe: Describe | None = None, reads_only: bool = False
) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn(ctx: JobContext, **params) -> dict`` as the job ``name``.

    ``label`` (a ``gettext_lazy`` string) names the job on its pages.  ``describe(result)``
    turns the result, which is data (counts, ids, a ``link``), into (label, value) rows worded
    in the reader's language when the page is shown; without it, only the result's ``summary``
    and ``link`` are shown.  A kind that ``reads_only`` (an import's preview) runs outside
    the job's transaction, so that on SQLite it does not hold the write lock while it reads:
    only its state "done" and result are written, at the end.  Declare kinds in the app's ``jobs`` module: every app's is
    imported at start-up, so each worker knows every kind."""

    def register(fn: JobFunction) -> JobFunction:
        known = _KINDS.get(name)
        if known is not None and (known.fn.__module__, known.fn.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(
                f"job kind {name!r} is already registered by {known.fn.__module__}.{known.fn.__qualname__}"
            )
        _KINDS[name] = JobKind(name=name, label=label, fn=fn, describe=describe, reads_only=reads_only)
        return fn

    return register


def get_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r} is registered") from None


def describer(name: str) -> Describe | None:
    known = _KINDS.get(name)
    return known.describe if known is not None else None


def kind_label(name: str) -> str:
    known = _KINDS.get(name)
    return str(known.label) if known is not None else _("Job of an unknown kind")


# -- what a job function may use ---------------------------------------------------------------


class JobError(Exception):
    """Raised by a job function to stop with a message for the user (a translated string,
    ``%(name)s`` placeholders filled from ``params``).  Everything the job wrote is rolled
    back; the message is what the job's page shows."""

    def __init__(self, message: Any, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class Superseded(Exception):
    """This run was given up for dead and the job started again: its work must not commit."""


_IN_JOB: ContextVar[bool] = ContextVar("zs_in_job", default=False)


def in_job() -> bool:
    """True while a job function runs (on any backend).  Process-wide tuning (the cycle
    collector, the thread switch interval, the bulk writer thread) asks this first: it is
    for batch work, never for a web request sharing the process."""
    return _IN_JOB.get()


@contextlib.contextmanager
def tuned() -> Iterator[bool]:
    """Pause Python's cycle collector for a job's bulk work and restore it as found.

    Batch work builds millions of objects without cycles, and the collector walking them
    again and again cost more than the work (measured on imports and re-screening).  Inside
    a job only: elsewhere (a web request, a shell) the block runs untouched and the manager
    yields False.  Jobs on several threads of one process share the pause: the collector
    comes back when the last of them leaves.  It is process-wide, so with the thread backend
    the web threads of that process run without it meanwhile."""
    if not in_job():
        yield False
        return
    with paused_collector() as paused:
        yield paused


class _Live:
    """The running job's progress, shared by the job's thread and its heartbeat thread, and
    written to the cache (never the database) at most every half second."""

    def __init__(self, job: Job, attempt: int) -> None:
        self.key = job.live_key
        self.attempt = attempt
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self._lock = threading.Lock()
        self._dirty = True
        self._written = 0.0
        self._reported = False
        self._warned = False

    def update(self, done: int, total: int | None, message: str) -> None:
        with self._lock:
            self.done = max(0, int(done))
            if total is not None:
                self.total = max(0, int(total))
            if message:
                self.message = str(message)[:MESSAGE_LENGTH]
            self._dirty = True
            # The first report is written at once (a job that says where it is and then works
            # on for long shows it straight away); later ones at most twice a second, the
            # heartbeat thread writing the last of them.
            due = not self._reported or time.monotonic() - self._written >= FLUSH_SECONDS
            self._reported = True
        if due:
            self.flush()

    def flush(self, *, beat: bool = False) -> None:
        """Write the progress (and a beat) to the cache if anything changed or a beat is due."""
        with self._lock:
            if not (self._dirty or beat):
                return
            entry = {
                "done": self.done,
                "total": self.total,
                "message": self.message,
                "beat": time.time(),
                "attempt": self.attempt,
            }
            self._dirty = False
            self._written = time.monotonic()
        try:
            cache.set(self.key, entry, timeout=LIVE_SECONDS)
        except Exception:  # progress is a courtesy: the job goes on without it
            if not self._warned:
                logger.warning("job progress could not be written to the cache", exc_info=True)
                self._warned = True

    def forget(self) -> None:
        with contextlib.suppress(Exception):
            cache.delete(self.key)


class JobContext:
    """What a job function gets: who started it, and a way to say how far it is."""

    def __init__(self, *, job: Job, attempt: int, live: _Live) -> None:
        self.job_id: int = job.pk
        self.kind: str = job.kind
        self.user: Any = job.user
        self.attempt = attempt
        self._live = live

    def progress(self, done: int, total: int | None = None, message: Any = "") -> None:
        """``done`` of ``total`` (None keeps the total said before); ``message`` says what it
        is doing now (empty keeps the last one).  Cheap enough to call per chunk: the cache is
        written at most twice a second."""
        self._live.update(done, total, str(message) if message else "")


class _Heartbeat(threading.Thread):
    """Beats while the job runs: progress and a beat to the cache every half second, and the
    row's heartbeat every few seconds where another connection can write while the job's
    transaction is open (PostgreSQL; on SQLite that transaction holds the only write lock, so
    the cache's beat is the sign of life there).  Uses, and closes, its own connection."""

    def __init__(self, job: Job, attempt: int, live: _Live) -> None:
        super().__init__(name=f"zhaoshang-job-{job.pk}-heartbeat", daemon=True)
        self.job_id = job.pk
        self.attempt = attempt
        self.live = live
        self.touch_row = connection.vendor != "sqlite"
        self._stop_event = threading.Event()

    def run(self) -> None:
        last_beat = time.monotonic()
        try:
            while not self._stop_event.wait(FLUSH_SECONDS):
                due = time.monotonic() - last_beat >= HEARTBEAT_SECONDS
                self.live.flush(beat=due)
                if due:
                    last_beat = time.monotonic()
                    if self.touch_row:
                        self._touch()
        finally:
            if self.touch_row:
                connection.close()

    def _touch(self) -> None:
        try:
            Job.objects.filter(pk=self.job_id, attempts=self.attempt, state=JobState.RUNNING).update(
                heartbeat=timezone.now()
            )
        except DatabaseError:
            logger.debug("job heartbeat not written", exc_info=True)
            with contextlib.suppress(DatabaseError):
                connection.close()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=10)


# -- the executor ----------------------------------------------------------------------------


def execute(job_id: int) -> None:
    """Run one job to its end, on the calling thread's connection.  Every backend calls
    this; a job that another worker already took, or that is finished, is left alone."""
    job = _claim(job_id)
    if job is None:
        return
    attempt = job.attempts
    known = _KINDS.get(job.kind)
    language = job.language or settings.LANGUAGE_CODE
    if known is None:
        with translation.override(language):
            _fail(job, attempt, _("This kind of job is not known to this version of the platform."), "")
        logger.error("job %s: unknown kind %r", job.pk, job.kind)
        return
    live = _Live(job, attempt)
    live.flush()
    heartbeat = _Heartbeat(job, attempt, live)
    heartbeat.start()
    token = _IN_JOB.set(True)
    try:
        with (
            batch_mode(),
            translation.override(language),
            audit_context(user=job.user, source=ChangeSource.JOB, request_id=f"job-{job.pk}"),
        ):
            _run(job, attempt, known, live, heartbeat)
    finally:
        _IN_JOB.reset(token)
        heartbeat.stop()
        live.forget()


def _claim(job_id: int) -> Job | None:
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING,
        attempts=F("attempts") + 1,
        started=now,
        heartbeat=now,
        finished=None,
        progress_done=0,
        message="",
        error="",
        error_detail="",
        updated=now,
    )
    if not claimed:
        return None
    return Job.objects.select_related("user").get(pk=job_id)  # type: ignore[no-any-return]


def _run(job: Job, attempt: int, known: JobKind, live: _Live, heartbeat: _Heartbeat) -> None:
    ctx = JobContext(job=job, attempt=attempt, live=live)
    try:
        if known.reads_only:
            result = _checked_result(known.fn(ctx, **(job.params or {})))
            heartbeat.stop()
            with transaction.atomic():
                _record_done(job, attempt, result, live)
            return
        with transaction.atomic():
            result = _checked_result(known.fn(ctx, **(job.params or {})))
            heartbeat.stop()
            _record_done(job, attempt, result, live)
    except Superseded:
        logger.warning(
            "job %s attempt %s was given up for dead and started again; its work is rolled back", job.pk, attempt
        )
    except JobError as exc:
        _fail(job, attempt, exc.text(), "", live)
    except ValidationError as exc:
        _fail(job, attempt, " ".join(str(m) for m in exc.messages), "", live)
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _fail(
            job,
            attempt,
            _(
                "The job stopped because of an unexpected error. Nothing it did was saved. "
                "The details are in the log for the administrator."
            ),
            traceback.format_exc(),
            live,
        )
    except BaseException:
        # The process is being stopped (Ctrl-C, a worker shutting down): the transaction rolls
        # back; the job goes back to the queue at once instead of waiting for recovery.
        _release(job, attempt)
        raise


def _checked_result(result: Any) -> dict[str, Any]:
    """The result as it will be stored: a dict of JSON values (inside the transaction, so
    that a result that cannot be stored fails the job instead of half-finishing it)."""
    if result is None:
        return {}
    if not isinstance(result, dict):
        raise TypeError(f"a job function returns a dict, not {type(result).__name__}")
    # DjangoJSONEncoder: decimals and dates as text, lazy translations worded now.
    return json.loads(json.dumps(result, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


def _record_done(job: Job, attempt: int, result: dict[str, Any], live: _Live) -> None:
    now = timezone.now()
    total = live.total
    written = Job.objects.filter(pk=job.pk, attempts=attempt, state=JobState.RUNNING).update(
        state=JobState.DONE,
        result=result,
        progress_done=live.done if total is None else max(live.done, total),
        progress_total=total,
        message=live.message,
        finished=now,
        heartbeat=now,
        updated=now,
    )
    if written != 1:
        raise Superseded


def _fail(job: Job, attempt: int, message: str, detail: str, live: _Live | None = None) -> None:
    now = timezone.now()
    values: dict[str, Any] = {
        "state": JobState.FAILED,
        "error": str(message)[:ERROR_LENGTH],
        "error_detail": detail,
        "finished": now,
        "heartbeat": now,
        "updated": now,
    }
    if live is not None:
        values.update(progress_done=live.done, progress_total=live.total, message=live.message)
    Job.objects.filter(pk=job.pk, attempts=attempt, state=JobState.RUNNING).update(**values)


def _release(job: Job, attempt: int) -> None:
    with contextlib.suppress(Exception):
        Job.objects.filter(pk=job.pk, attempts=attempt, state=JobState.RUNNING).update(
            state=JobState.QUEUED, message="", updated=timezone.now()
        )
