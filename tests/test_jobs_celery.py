"""The Celery backend with a real Redis broker: a job recorded by a request waits in Redis
until a worker takes it, then runs to completion through the same executor as every backend.
Skipped, saying why, where no Redis answers at 127.0.0.1:6379."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.urls import reverse

from tests import job_kinds  # noqa: F401 - registers the job kinds these tests start
from tests.conftest import client_for
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.jobs.services import enqueue
from zhaoshang.org.models import Unit

BROKER = "redis://127.0.0.1:6379/5"  # the tests' own database number on the shared Redis


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except Exception:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_answers(), reason=f"no Redis broker answers at {BROKER}"),
]


@pytest.fixture
def celery_app(settings: Any) -> Any:
    """The project's Celery app on the tests' Redis database, with a queue of this run's own
    (a message left by another run is never taken for one of this run's jobs)."""
    import redis

    from zhaoshang.celery import app

    settings.ZS_JOBS_BACKEND = "celery"
    queue = f"zhaoshang-test-{uuid.uuid4().hex[:8]}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_default_queue")}
    app.conf.broker_url = BROKER
    app.conf.task_default_queue = queue
    try:
        yield app
    finally:
        app.conf.update(saved)
        app.pool.force_close_all()
        redis.Redis.from_url(BROKER).delete(queue)


def test_the_celery_backend_runs_a_job_to_completion_through_redis(org: Any, celery_app: Any) -> None:
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    c = client_for(org.officer_a)
    job = enqueue("tests.make_units", user=org.officer_a, params={"names": ["芹菜一", "芹菜二"]})
    # Handed to the broker at the commit; no worker yet, so nothing ran.
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert not Unit.objects.filter(name__startswith="芹菜").exists()

    finished = threading.Event()

    def on_postrun(task: Any = None, args: Any = None, **kwargs: Any) -> None:
        if task is not None and task.name == "zhaoshang.jobs.run" and list(args or []) == [job.pk]:
            finished.set()

    task_postrun.connect(on_postrun, weak=False)
    try:
        with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING"):
            assert finished.wait(15), "the worker did not run the job"
    finally:
        task_postrun.disconnect(on_postrun)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 1
    assert job.result == {"created": 2, "summary": "2 units", "link": "/org/"}
    assert Unit.objects.filter(name__startswith="芹菜").count() == 2
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "已完成" in page and "2 units" in page
