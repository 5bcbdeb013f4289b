"""The one job interface: declare a kind, start a job, start a failed one again, recover the
jobs of a process that died.

    from zhaoshang.jobs.services import JobContext, enqueue, job_kind

    @job_kind("screening.rescreen", label=_("Re-screening every project"))
    def rescreen(ctx: JobContext) -> dict:
        ...
        ctx.progress(done, total, _("Screening projects"))
        return {"projects": n, "link": reverse("screening:projects")}

    job = enqueue("screening.rescreen", user=request.user)   # inside the request's transaction
    return redirect("jobs:detail", pk=job.pk)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhaoshang.core.audit import acting, record_change, snapshot
from zhaoshang.core.models import ChangeAction
from zhaoshang.core.scoping import Actor, person
from zhaoshang.jobs import rules
from zhaoshang.jobs.backends import Backend, submit
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.jobs.runner import JobContext, JobError, get_kind, in_job, job_kind, tuned

# One import gives a job module the whole interface.
__all__ = ["JobContext", "JobError", "enqueue", "in_job", "job_kind", "job_retry", "jobs_recover", "tuned"]


@transaction.atomic
def enqueue(kind: str, *, user: Actor | None, params: dict[str, Any] | None = None) -> Job:
    """Record a job of ``kind`` for ``user`` (None: the system) and hand it to the backend
    when the current transaction commits, so that it never starts before the data it needs
    is committed (and never starts at all if the request rolls back).  Returns the queued
    job at once; its page shows how it goes."""
    get_kind(kind)  # an unknown kind is a mistake in the code, refused at once
    params = dict(params or {})
    try:
        # Stored as JSON: the job function gets them back as JSON values, on every backend.
        params = json.loads(json.dumps(params, cls=DjangoJSONEncoder))
    except TypeError as exc:
        raise TypeError(f"the parameters of job {kind!r} must be JSON values: {exc}") from exc
    starter = person(user)
    job = Job(kind=kind, params=params, user=starter, language=translation.get_language() or settings.LANGUAGE_CODE)
    job.full_clean()
    job.save()
    with acting(starter):
        record_change(job, action=ChangeAction.CREATE)
    transaction.on_commit(partial(submit, job.pk))
    return job


@transaction.atomic
def job_retry(*, job: Job, user: Actor) -> Job:
    """Start a failed job again, as a new attempt with the same parameters (for the user
    who started it; at most ``ZS_JOBS_MAX_ATTEMPTS`` attempts in all)."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.user_id is None or job.user_id != getattr(user, "pk", None):
        raise ValidationError(_("Only the user who started a job may start it again."))
    if job.state != JobState.FAILED:
        raise ValidationError(_("Only a failed job can be started again."))
    if not rules.may_retry(job.state, job.attempts, settings.ZS_JOBS_MAX_ATTEMPTS):
        raise ValidationError(_("This job has been tried %(n)s times; it is not started again.") % {"n": job.attempts})
    before = snapshot(job)
    job.state = JobState.QUEUED
    job.error = ""
    job.error_detail = ""
    job.progress_done = 0
    job.message = ""
    job.result = None
    job.started = None
    job.finished = None
    job.save()
    with acting(user):
        record_change(job, action=ChangeAction.UPDATE, before=before, message="retry")
    transaction.on_commit(partial(submit, job.pk))
    return job  # type: ignore[no-any-return]


@dataclass
class Recovery:
    """What a recovery did, by job id."""

    requeued: list[int] = field(default_factory=list)
    given_up: list[int] = field(default_factory=list)
    resubmitted: list[int] = field(default_factory=list)


@transaction.atomic
def jobs_recover(*, backend: Backend | None = None) -> Recovery:
    """Find the jobs a dead process left behind and run them again.

    - A job **running** whose worker has given no sign of life (the row's heartbeat and the
      cache's beat) for ``ZS_JOBS_STALE_SECONDS`` goes back to the queue and runs again from
      scratch: a job is one transaction, so the dead run left nothing.  After
      ``ZS_JOBS_MAX_ATTEMPTS`` attempts it stays failed instead.
    - A job **queued** for longer than that limit (its process died before a worker took it,
      or a broker lost it) is handed to the backend again.  Handing a job over twice is
      harmless: only one worker's claim succeeds.

    ``backend``: where the jobs go (the configured one by default; a thread worker gives
    itself)."""
    now = timezone.now()
    limit = settings.ZS_JOBS_STALE_SECONDS
    horizon = now - dt.timedelta(seconds=limit)
    outcome = Recovery()
    quiet = list(
        Job.objects.filter(state=JobState.RUNNING)
        .filter(Q(heartbeat__lt=horizon) | Q(heartbeat__isnull=True))
        .defer("params", "result", "error_detail")
    )
    for job in quiet:
        if not job.stalled:  # the cache has a recent beat: alive (SQLite beats there only)
            continue
        if rules.recovery_of(job.attempts, settings.ZS_JOBS_MAX_ATTEMPTS) == rules.REQUEUE:
            moved = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
                state=JobState.QUEUED, message="", updated=now
            )
            if moved:
                outcome.requeued.append(job.pk)
        else:
            with translation.override(job.language or settings.LANGUAGE_CODE):
                error = _("The job was interrupted %(n)s times (its process stopped) and is not started again.") % {
                    "n": job.attempts
                }
            moved = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, attempts=job.attempts).update(
                state=JobState.FAILED, error=error, finished=now, updated=now
            )
            if moved:
                outcome.given_up.append(job.pk)
    waiting = Job.objects.filter(state=JobState.QUEUED, updated__lt=horizon).values_list("pk", flat=True)
    outcome.resubmitted = [pk for pk in waiting if pk not in outcome.requeued]
    hand_over = backend.submit if backend is not None else submit
    for pk in [*outcome.requeued, *outcome.resubmitted]:
        transaction.on_commit(partial(hand_over, pk))
    return outcome
