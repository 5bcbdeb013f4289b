"""Where a job runs once its request has committed, chosen by ``ZS_JOBS_BACKEND``.

- ``thread`` (the default): worker threads of the web process itself, started on the first
  job (or the first recovery); nothing to install or run beside the app.
- ``celery``: a Celery worker (``celery -A zhaoshang worker``) fed through Redis
  (``ZS_JOBS_BROKER_URL``); the message carries the job's id only.
- ``immediate``: at once, in the committing thread, for tests and commands.
- ``database``: nowhere in the web process; ``manage.py run_jobs`` takes queued jobs from the
  database, for deployments that prefer a separate process and no broker.

Every backend ends in the same ``runner.execute(job_id)``, so a job behaves alike wherever it
runs.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Protocol

from django.conf import settings
from django.db import connection

from zhaoshang.jobs.runner import execute

logger = logging.getLogger("zhaoshang.jobs")


class Backend(Protocol):
    def submit(self, job_id: int) -> None: ...


class ImmediateBackend:
    """Runs the job in the thread that committed it, on that thread's connection."""

    def submit(self, job_id: int) -> None:
        execute(job_id)


class DatabaseBackend:
    """Leaves the job queued in the database for ``manage.py run_jobs``."""

    def submit(self, job_id: int) -> None:
        return None


class CeleryBackend:
    """Hands the job's id to Celery.  A broker that cannot be reached does not fail the
    request that already committed: the job stays queued and the next recovery sends it
    again."""

    def submit(self, job_id: int) -> None:
        from zhaoshang.celery import run_job

        try:
            run_job.apply_async(
                args=[job_id],
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
            )
        except Exception:
            logger.exception("job %s could not be handed to Celery; it stays queued for recovery", job_id)


class ThreadBackend:
    """Worker threads in this process, started lazily.  Each job runs on the worker's own
    connection, which is closed after the job: no two jobs share one.

    On SQLite one thread works the queue whatever ``ZS_JOBS_THREADS`` says: every job is one
    transaction, SQLite has one writer, and a second job would only wait for the first's lock
    (and give up after the busy timeout)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._recovered = False

    def thread_count(self) -> int:
        if connection.vendor == "sqlite":
            return 1
        return max(1, int(settings.ZS_JOBS_THREADS))

    def start(self) -> None:
        """Start the workers if they are not running (the first one recovers jobs a dead
        process left behind before it takes any)."""
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            for n in range(len(self._threads), self.thread_count()):
                thread = threading.Thread(target=self._work, name=f"zhaoshang-jobs-{n + 1}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def submit(self, job_id: int) -> None:
        self.start()
        self._queue.put(job_id)

    def stop(self) -> None:
        """Let the workers finish the jobs handed to them, then end (for tests and an orderly
        shutdown; a process that just exits leaves its running job to recovery)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _thread in threads:
            self._queue.put(None)
        for thread in threads:
            thread.join(timeout=30)

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until every job handed to this process's workers has finished (for
        commands, and tests); False when the time ran out first."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def _work(self) -> None:
        with self._lock:
            recover, self._recovered = not self._recovered, True
        if recover:
            self._recover()
        idle = max(5, int(settings.ZS_JOBS_STALE_SECONDS))
        while True:
            try:
                job_id = self._queue.get(timeout=idle)
            except queue.Empty:
                # Idle for a while: look for jobs a dead process left running meanwhile.
                self._recover()
                continue
            if job_id is None:
                self._queue.task_done()
                return
            try:
                execute(job_id)
            except Exception:
                logger.exception("job %s: the worker thread could not run it", job_id)
            finally:
                connection.close()
                self._queue.task_done()

    def _recover(self) -> None:
        from zhaoshang.jobs.services import jobs_recover

        try:
            jobs_recover(backend=self)
        except Exception:
            logger.exception("job recovery failed")
        finally:
            connection.close()


_BACKENDS: dict[str, Backend] = {}
_BACKENDS_LOCK = threading.Lock()
_CLASSES: dict[str, type] = {
    "thread": ThreadBackend,
    "celery": CeleryBackend,
    "immediate": ImmediateBackend,
    "database": DatabaseBackend,
}


def get_backend(name: str | None = None) -> Backend:
    """The backend named (by default the one in ``ZS_JOBS_BACKEND``), one per process."""
    name = name or settings.ZS_JOBS_BACKEND
    with _BACKENDS_LOCK:
        backend = _BACKENDS.get(name)
        if backend is None:
            backend = _BACKENDS[name] = _CLASSES[name]()
        return backend


def submit(job_id: int) -> None:
    """Hand a committed job to the configured backend."""
    get_backend().submit(job_id)


def wait_here(timeout: float = 30.0) -> bool:
    """Wait until this process's worker threads have finished what they were given: a
    command that recovers or starts jobs with the thread backend would otherwise exit, and
    take its daemon threads with it, in the middle of a job."""
    backend = get_backend()
    if isinstance(backend, ThreadBackend):
        return backend.wait(timeout)
    return True
