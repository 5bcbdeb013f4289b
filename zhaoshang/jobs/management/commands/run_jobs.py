"""``manage.py run_jobs``: a worker process that takes queued jobs from the database.

For deployments that prefer a separate process and no broker (``ZS_JOBS_BACKEND=database``,
so that the web processes only record jobs).  It also recovers the jobs of dead processes,
when it starts and every ``ZS_JOBS_STALE_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from zhaoshang.jobs.backends import DatabaseBackend
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.jobs.runner import execute
from zhaoshang.jobs.services import jobs_recover

logger = logging.getLogger("zhaoshang.jobs")


class Command(BaseCommand):
    help = "Work the job queue in this process: take queued jobs oldest first and run them, one at a time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Stop when no job is waiting.")
        parser.add_argument("--poll", type=float, default=1.0, help="Seconds between looks at an empty queue.")

    def handle(self, *args: Any, **options: Any) -> None:
        every = float(settings.ZS_JOBS_STALE_SECONDS)
        recovered_at = 0.0
        ran = 0
        while True:
            if time.monotonic() - recovered_at >= every:
                # Recovered jobs go back to the queue; this loop takes them like any other.
                jobs_recover(backend=DatabaseBackend())
                recovered_at = time.monotonic()
            pk = Job.objects.filter(state=JobState.QUEUED).order_by("id").values_list("pk", flat=True).first()
            if pk is None:
                connection.close()
                if options["once"]:
                    break
                time.sleep(options["poll"])
                continue
            try:
                execute(pk)
            except Exception:  # the database went away, say: log it and look again shortly
                logger.exception("job %s could not be run", pk)
                time.sleep(options["poll"])
            finally:
                connection.close()  # one connection per job, never two jobs on one
            ran += 1
            job = Job.objects.filter(pk=pk).only("state", "kind", "created").first()
            if job is not None:
                self.stdout.write(f"#{pk} {job.kind} {job.state}")
        self.stdout.write(f"完成 jobs run: {ran}")
