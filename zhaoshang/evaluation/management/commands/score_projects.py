"""``manage.py score_projects``: score every project again with the scheme version in force."""

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
from zhaoshang.evaluation.models import Score
from zhaoshang.evaluation.selectors import active_version
from zhaoshang.evaluation.services import score_all
from zhaoshang.projects.models import Project


class Command(BaseCommand):
    help = "Score every project again with the scoring scheme in force (综合评价), with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="Do not draw the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        total = Project.objects.count()
        started = time.perf_counter()
        with (
            audit_context(source=ChangeSource.COMMAND),
            tqdm(
                total=total,
                unit="项目",
                desc="评价 scoring",
                file=sys.stderr,
                disable=options["no_progress"],
                dynamic_ncols=True,
            ) as bar,
        ):

            def advance(done: int, _total: int) -> None:
                bar.update(done - bar.n)

            with batch_mode():
                done = score_all(progress=advance).done
        seconds = time.perf_counter() - started
        grades = dict(Score.objects.values_list("grade").annotate(n=Count("pk")).order_by())
        version = active_version()
        self.stdout.write(
            f"方案版本 scheme version {version.number if version else '-'} · 项目 projects {done} · "
            + " · ".join(f"{g} {grades.get(g, 0)}" for g in "ABCD")
            + f" · {seconds:.2f} s"
        )
