"""Reads of jobs for the pages: the user's list with live progress, the top bar's count, a
result worded for the reader."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from zhaoshang.jobs import rules
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.jobs.runner import describer

# What the list shows; parameters, results and tracebacks stay in the database.
LIST_FIELDS = (
    "id",
    "kind",
    "state",
    "progress_done",
    "progress_total",
    "message",
    "attempts",
    "created",
    "started",
    "finished",
    "heartbeat",
)


def jobs_of(user: Any) -> Any:
    """The user's own jobs, newest first."""
    return Job.objects.restrict(user, "view").only(*LIST_FIELDS).order_by("-id")


def with_live(jobs: list[Job]) -> list[Job]:
    """Give each running job of a page its live progress, with one cache read for all."""
    running = [job for job in jobs if job.state == JobState.RUNNING]
    if running:
        try:
            entries = cache.get_many([job.live_key for job in running])
        except Exception:  # the rows still answer
            entries = {}
        for job in running:
            job.__dict__["live"] = job.progress_from(entries.get(job.live_key))
    return jobs


def active_count(user: Any) -> int:
    """How many of the user's jobs are queued or running (one query on the user's index)."""
    return int(Job.objects.restrict(user, "view").filter(state__in=rules.ACTIVE).count())


@dataclass
class ResultView:
    summary: str = ""
    rows: list[tuple[Any, Any]] = field(default_factory=list)
    link: str | None = None
    link_label: str = ""

    def __bool__(self) -> bool:
        return bool(self.summary or self.rows or self.link)


def result_view(job: Job) -> ResultView:
    """A done job's result as people read it: its summary, the rows its kind words from the
    data (in the reader's language), and a link to what it produced."""
    result = job.result if isinstance(job.result, dict) else {}
    if job.state != JobState.DONE or not result:
        return ResultView()
    describe = describer(job.kind)
    link = rules.safe_link(result.get("link"))
    return ResultView(
        summary=str(result.get("summary") or ""),
        rows=list(describe(result)) if describe is not None else [],
        link=link,
        link_label=str(result.get("link_label") or _("Open the result")) if link else "",
    )
