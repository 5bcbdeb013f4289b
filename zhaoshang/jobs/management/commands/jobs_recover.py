"""``manage.py jobs_recover``: run again the jobs a dead process left behind."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhaoshang.jobs.backends import wait_here
from zhaoshang.jobs.services import jobs_recover


class Command(BaseCommand):
    help = (
        "Put back in the queue the running jobs whose worker gave no sign of life for ZS_JOBS_STALE_SECONDS, "
        "hand waiting jobs to the backend again, and give up on jobs that used all their attempts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--wait",
            type=float,
            default=3600.0,
            help="With the thread backend, seconds to wait for the recovered jobs to finish in this process.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = jobs_recover()
        self.stdout.write(
            f"重新排队 requeued {len(outcome.requeued)} · 重新提交 resubmitted {len(outcome.resubmitted)} · "
            f"放弃 given up {len(outcome.given_up)}"
        )
        if (outcome.requeued or outcome.resubmitted) and not wait_here(options["wait"]):
            self.stderr.write("jobs still running when the wait ended; they will be recovered again later")
