"""``manage.py rescreen``: screen every project again against the current catalogue."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count
from tqdm import tqdm

from zhaoshang.core.audit import audit_context
from zhaoshang.core.bulk import batch_mode
from zhaoshang.core.models import ChangeSource
from zhaoshang.projects.models import Project
from zhaoshang.screening.models import Verdict
from zhaoshang.screening.services import current_version, screen_all


class Command(BaseCommand):
    help = "Re-screen every project against the current screening catalogue (三不招、五不搞), with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        total = Project.objects.count()
        # The bar goes to the command's error stream (a file given to call_command, or stderr).
        stream = options.get("stderr") or sys.stderr
        started = time.perf_counter()
        with (
            audit_context(source=ChangeSource.COMMAND),
            tqdm(
                total=total,
                unit="项目",
                desc="甄别 screening",
                file=stream,
                disable=options["no_progress"],
                dynamic_ncols=True,
            ) as bar,
        ):

            def tick(n: int) -> None:
                bar.update(n)

            with batch_mode():
                done = screen_all(progress=tick).done
        seconds = time.perf_counter() - started
        counts = dict(Verdict.objects.values_list("outcome").annotate(n=Count("pk")).order_by())
        self.stdout.write(
            f"目录版本 catalogue version {current_version()} · 项目 projects {done} · "
            f"通过 pass {counts.get('pass', 0)} · 预警 warn {counts.get('warn', 0)} · "
            f"否决 block {counts.get('block', 0)} · {seconds:.2f} s"
        )
