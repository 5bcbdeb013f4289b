"""The job: one piece of long work, its state, its progress, what it produced or why it failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.models import BaseModel
from zhaoshang.core.scoping import NOTHING, VIEW
from zhaoshang.jobs import rules

if TYPE_CHECKING:
    from zhaoshang.core.scoping import Action, Scope


class JobState(models.TextChoices):
    QUEUED = rules.QUEUED, _("queued")
    RUNNING = rules.RUNNING, _("running")
    DONE = rules.DONE, _("done")
    FAILED = rules.FAILED, _("failed")


@dataclass(frozen=True)
class Progress:
    """How far a job is, as its page shows it: the live values while it runs (from the
    cache, which the job writes without touching the database), the row's once finished."""

    done: int
    total: int | None
    message: str
    beat: dt.datetime | None = None

    @property
    def percent(self) -> int | None:
        return rules.percent(self.done, self.total)


# Live progress is kept a day at most: a job that ends deletes its entry, one whose process
# died leaves it to expire.
LIVE_SECONDS = 24 * 3600


class Job(BaseModel):
    """One piece of long work started by a user (or by the system), run by a worker outside
    the request that asked for it."""

    kind = models.CharField(_("kind"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # The language of the page that started it: the messages the job writes (what it is doing,
    # why it failed) are worded in it.
    language = models.CharField(_("language"), max_length=16, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    message = models.CharField(_("now doing"), max_length=200, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True, encoder=DjangoJSONEncoder)
    # What the user reads when the job failed; the traceback, for the administrator only, is
    # kept apart (and in the log) and never shown on a page.
    error = models.TextField(_("error"), blank=True)
    error_detail = models.TextField(_("error detail"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    # The runner's bookkeeping changes every few seconds; the change log keeps who started
    # what, not each beat.
    audit_exclude = (
        "created",
        "updated",
        "progress_done",
        "progress_total",
        "message",
        "heartbeat",
        "error_detail",
    )

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            # The user's list (newest first) and the top bar's count of unfinished jobs.
            models.Index(fields=["user", "-id"], name="jobs_job_user_recent"),
            models.Index(fields=["user", "state"], name="jobs_job_user_state"),
            # Recovery: running jobs whose worker went quiet, queued ones nobody took.
            models.Index(fields=["state", "heartbeat"], name="jobs_job_state_beat"),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label} #{self.pk}"

    @staticmethod
    def scope_q(scope: Scope, action: Action) -> Q:
        """A job is its starter's own: nobody else sees it, coordinators and leaders
        included (a job's parameters and result may hold what only that user may see).
        Nobody changes a job through a form: the runner writes it, and a retry is a service
        of its own."""
        if action != VIEW or scope.user_id is None:
            return NOTHING
        return Q(user_id=scope.user_id)

    @property
    def kind_label(self) -> str:
        from zhaoshang.jobs.runner import kind_label

        return kind_label(self.kind)

    @property
    def is_active(self) -> bool:
        return self.state in rules.ACTIVE

    @property
    def live_key(self) -> str:
        """The cache key of this job's live progress.  The creation time is part of it, so
        that a database made anew (tests, a reset demo) never reads an entry left by an older
        job of the same number."""
        stamp = int(self.created.timestamp() * 1_000_000) if self.created else 0
        return f"zhaoshang:job:{self.pk}:{stamp}"

    def progress_from(self, entry: Any) -> Progress:
        """The live progress in ``entry`` (the cache's), when it belongs to this job's current
        run; the row's values otherwise."""
        if (
            self.state == JobState.RUNNING
            and isinstance(entry, dict)
            and entry.get("attempt") == self.attempts
            and isinstance(entry.get("done"), int)
        ):
            beat = entry.get("beat")
            return Progress(
                done=entry["done"],
                total=entry.get("total"),
                message=str(entry.get("message") or ""),
                beat=dt.datetime.fromtimestamp(beat, tz=dt.UTC) if isinstance(beat, int | float) else None,
            )
        return Progress(done=self.progress_done, total=self.progress_total, message=self.message, beat=None)

    @cached_property
    def live(self) -> Progress:
        """The progress as it is now: the cache first (the running job writes it there,
        since its own transaction holds SQLite's only write lock), the row second."""
        entry = None
        if self.state == JobState.RUNNING:
            try:
                entry = cache.get(self.live_key)
            except Exception:  # a cache that cannot be reached: the row still answers
                entry = None
        return self.progress_from(entry)

    @property
    def last_sign_of_life(self) -> dt.datetime | None:
        return rules.last_sign_of_life(self.heartbeat, self.live.beat)

    @property
    def stalled(self) -> bool:
        """Running, but its worker has not been heard of for longer than the limit: recovery
        will start it again."""
        return self.state == JobState.RUNNING and rules.is_stale(
            self.last_sign_of_life, now=timezone.now(), limit_seconds=settings.ZS_JOBS_STALE_SECONDS
        )

    @property
    def may_retry(self) -> bool:
        return rules.may_retry(self.state, self.attempts, settings.ZS_JOBS_MAX_ATTEMPTS)
