"""The thread backend with committed data, as in the web process: a job's progress shows on
its page while the job's own transaction is still open, two jobs both complete with their own
progress and results, each job runs on a connection of its own, and a worker that starts
recovers the jobs a dead process left running."""

from __future__ import annotations

import datetime as dt
import io
import time
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests import job_kinds
from tests.conftest import client_for
from zhaoshang.jobs.backends import ThreadBackend, get_backend
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.jobs.services import enqueue
from zhaoshang.org.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10.0


@pytest.fixture(autouse=True)
def threads(settings: Any) -> Any:
    settings.ZS_JOBS_BACKEND = "thread"
    settings.ZS_JOBS_THREADS = 2
    backend = get_backend()
    assert isinstance(backend, ThreadBackend)
    yield backend
    # Nothing may still run when the test's tables are emptied, and no worker thread is left
    # behind for the tests that follow.
    for release in job_kinds.RELEASE.values():
        release.set()
    assert backend.wait(WAIT)
    backend.stop()


def status(client: Any, job: Job) -> str:
    response = client.get(reverse("jobs:status", args=[job.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


def waiting(user: Any, *, done: int = 3, total: int = 10) -> tuple[Job, str]:
    key = uuid.uuid4().hex[:8]
    job_kinds.events(key)
    return enqueue("tests.wait", user=user, params={"key": key, "done": done, "total": total}), key


def both(user: Any, first: tuple[int, int], second: tuple[int, int]) -> list[tuple[Job, str]]:
    """Two jobs asked for in one request: handed over together when it commits (the test
    thread writes nothing while they run: on the SQLite test database a second writer meets
    the job's open transaction at once instead of waiting for it)."""
    with transaction.atomic():
        return [waiting(user, done=done, total=total) for done, total in (first, second)]


def test_progress_shows_on_the_job_page_while_the_job_runs(org: Any, threads: ThreadBackend) -> None:
    c = client_for(org.officer_a)  # logged in first: a login writes, and the job will hold the write lock
    job, key = waiting(org.officer_a, done=3, total=10)
    assert job_kinds.STARTED[key].wait(WAIT)
    # The job is inside its transaction, waiting: its page shows how far it is.
    fragment = status(c, job)
    assert "运行中" in fragment and 'data-progress="3/10"' in fragment and "30%" in fragment
    assert f"step 3 of {key}" in fragment and 'hx-trigger="every 1s"' in fragment
    listing = c.get(reverse("jobs:list")).content.decode()
    assert 'data-progress="3/10"' in listing and f"step 3 of {key}" in listing
    assert ">1</span>" in listing  # the top bar counts it
    # Leaving the page and coming back: the detail page polls the same fragment again.
    detail = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-progress="3/10"' in detail and 'hx-trigger="every 1s"' in detail
    job_kinds.RELEASE[key].set()
    assert threads.wait(WAIT)
    fragment = status(c, job)
    assert "已完成" in fragment and 'data-progress="10/10"' in fragment and "hx-trigger" not in fragment
    assert f"finished {key}" in fragment


def test_two_jobs_at_once_both_complete_with_their_own_progress_and_results(org: Any, threads: ThreadBackend) -> None:
    c = client_for(org.officer_a)
    (first, a), (second, b) = both(org.officer_a, (3, 10), (5, 20))
    if connection.vendor == "postgresql":
        # Side by side on two threads: both are running at the same time.
        assert job_kinds.STARTED[a].wait(WAIT) and job_kinds.STARTED[b].wait(WAIT)
        assert 'data-progress="3/10"' in status(c, first) and 'data-progress="5/20"' in status(c, second)
        job_kinds.RELEASE[a].set()
        job_kinds.RELEASE[b].set()
    else:
        # SQLite has one writer and a job is one transaction: one thread, one job after the other.
        assert job_kinds.STARTED[a].wait(WAIT)
        assert 'data-progress="3/10"' in status(c, first) and "排队中" in status(c, second)
        job_kinds.RELEASE[a].set()
        assert job_kinds.STARTED[b].wait(WAIT)
        assert 'data-progress="5/20"' in status(c, second)
        job_kinds.RELEASE[b].set()
    assert threads.wait(WAIT)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.progress_done, first.progress_total, first.result["key"]) == (JobState.DONE, 10, 10, a)
    assert (second.state, second.progress_done, second.progress_total, second.result["key"]) == (
        JobState.DONE,
        20,
        20,
        b,
    )
    assert first.message == f"finished {a}" and second.message == f"finished {b}"


def test_each_job_runs_on_a_worker_thread_and_a_connection_of_its_own(
    org: Any, settings: Any, threads: ThreadBackend
) -> None:
    settings.ZS_JOBS_THREADS = 1  # both jobs on the same thread, one after the other
    here = job_kinds.connection_id()
    with transaction.atomic():
        jobs = [enqueue("tests.where", user=org.officer_a, params={"key": k}) for k in ("one", "two")]
    assert threads.wait(WAIT)
    results = [Job.objects.get(pk=job.pk).result for job in jobs]
    assert all(r["thread"].startswith("zhaoshang-jobs-") and r["in_job"] for r in results)
    assert all(r["connection"] != here for r in results)
    if connection.vendor == "postgresql":
        # Closed after each job: the next job on the same thread opens another session.
        assert results[0]["thread"] == results[1]["thread"]
        assert results[0]["connection"] != results[1]["connection"]


def test_a_worker_that_starts_recovers_the_jobs_a_dead_process_left_running(org: Any) -> None:
    job_kinds.RUNS.pop("revive", None)
    job = Job.objects.create(
        kind="tests.make_units",
        params={"names": ["复活"], "key": "revive"},
        user=org.officer_a,
        state=JobState.RUNNING,
        attempts=1,
        started=timezone.now() - dt.timedelta(minutes=10),
        heartbeat=timezone.now() - dt.timedelta(minutes=10),
    )
    fresh = ThreadBackend()  # as in a process that has just started
    try:
        fresh.start()
        # Its first thread recovers before it takes any job; once the job function has run,
        # the job is in that worker's hands (the database is not polled meanwhile: on the
        # SQLite test database a reader would meet the job's open write).
        deadline = time.monotonic() + WAIT
        while "revive" not in job_kinds.RUNS and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fresh.wait(WAIT)
    finally:
        fresh.stop()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2 and job_kinds.RUNS["revive"] == 1
    assert Unit.objects.filter(name="复活").count() == 1


def test_live_progress_goes_through_redis_when_redis_is_the_cache(org: Any, settings: Any) -> None:
    from tests.test_jobs_celery import BROKER, redis_answers

    if not redis_answers():
        pytest.skip(f"no Redis answers at {BROKER}")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": BROKER,
            "KEY_PREFIX": f"zhaoshang-test-{uuid.uuid4().hex[:8]}",
        }
    }
    from django.core.cache import cache

    c = client_for(org.officer_a)
    job, key = waiting(org.officer_a, done=7, total=8)
    assert job_kinds.STARTED[key].wait(WAIT)
    entry = cache.get(Job.objects.get(pk=job.pk).live_key)
    assert entry["done"] == 7 and entry["total"] == 8 and entry["attempt"] == 1
    assert 'data-progress="7/8"' in status(c, job)
    job_kinds.RELEASE[key].set()
    assert get_backend().wait(WAIT)  # type: ignore[attr-defined]
    assert cache.get(job.live_key) is None  # a finished job's progress is on its row


def test_run_jobs_works_the_queue_the_web_only_recorded(org: Any, settings: Any) -> None:
    settings.ZS_JOBS_BACKEND = "database"
    with transaction.atomic():
        jobs = [
            enqueue("tests.make_units", user=org.officer_a, params={"names": [name]}) for name in ("进程一", "进程二")
        ]
    # The web process only recorded them.
    assert set(Job.objects.values_list("state", flat=True)) == {JobState.QUEUED}
    out = io.StringIO()
    call_command("run_jobs", "--once", stdout=out)
    assert [Job.objects.get(pk=job.pk).state for job in jobs] == [JobState.DONE, JobState.DONE]
    assert Unit.objects.filter(name__startswith="进程").count() == 2
    assert "jobs run: 2" in out.getvalue()
