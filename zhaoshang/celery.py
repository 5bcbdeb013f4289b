"""The Celery app, for ``ZS_JOBS_BACKEND=celery``: ``celery -A zhaoshang worker``.

Celery is only the carrier.  A message holds a job's id; the worker runs the same executor
as every other backend (``zhaoshang.jobs.runner.execute``), which claims the job, runs it in
one transaction and writes its state, progress and result where the pages read them.  Nothing
is kept in a Celery result backend.  Add ``-B`` (or run ``celery -A zhaoshang beat``) to let
Celery run the recovery of jobs left by a dead worker every ``ZS_JOBS_STALE_SECONDS``; the
worker also recovers once when it starts.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhaoshang.settings")

app = Celery("zhaoshang")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="zhaoshang.jobs.run", ignore_result=True)
def run_job(job_id: int) -> None:
    from django.db import connection

    from zhaoshang.jobs.runner import execute

    try:
        execute(job_id)
    finally:
        connection.close()


@app.task(name="zhaoshang.jobs.recover", ignore_result=True)
def recover_jobs() -> None:
    from django.db import connection

    from zhaoshang.jobs.services import jobs_recover

    try:
        jobs_recover()
    finally:
        connection.close()


@worker_ready.connect
def _recover_on_start(sender: Any = None, **kwargs: Any) -> None:
    if getattr(sender, "app", None) is app:
        recover_jobs.delay()
