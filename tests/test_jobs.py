"""The job interface on the ``immediate`` backend: a job starts only once the request that
asked for it commits, runs in one transaction attributed to its starter, fails without leaving
anything half-written, and is run again from scratch, once, when its process died."""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tests import job_kinds
from zhaoshang.core.models import ChangeLog
from zhaoshang.jobs import rules
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.jobs.runner import execute
from zhaoshang.jobs.services import enqueue, in_job, jobs_recover, tuned
from zhaoshang.org.models import Unit


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ZS_JOBS_BACKEND = "immediate"


def run(capture: Any, kind: str, user: Any, **params: Any) -> Job:
    """Enqueue as a request would, and commit: the job runs at the commit."""
    with capture(execute=True):
        job = enqueue(kind, user=user, params=params)
    job.refresh_from_db()
    return job


def dead(job: Job, *, attempts: int = 1, minutes: int = 10) -> Job:
    """Make ``job`` look like the run of a process that died: running, quiet for a while."""
    old = timezone.now() - dt.timedelta(minutes=minutes)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, attempts=attempts, started=old, heartbeat=old)
    job.refresh_from_db()
    return job


def test_a_job_starts_only_when_the_transaction_that_asked_for_it_commits(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = enqueue("tests.make_units", user=org.officer_a, params={"names": ["园区C"], "key": "commit"})
        assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    # Not run before the commit: the data it needs might not be there yet.
    assert len(callbacks) == 1
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert not Unit.objects.filter(name="园区C").exists()
    callbacks[0]()
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 1
    assert job.result == {"created": 1, "summary": "1 units", "link": "/org/"}
    assert (job.progress_done, job.progress_total, job.message) == (1, 1, "unit 园区C")
    assert job.started is not None and job.finished is not None and job.error == ""


def test_a_job_asked_for_in_a_transaction_that_rolls_back_never_runs(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue("tests.make_units", user=org.officer_a, params={"names": ["园区D"], "key": "rollback"})
                raise RuntimeError("the request failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not Job.objects.exists() and not Unit.objects.filter(name="园区D").exists()


def test_a_job_that_fails_halfway_leaves_nothing_of_what_it_wrote(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    units_before, log_before = Unit.objects.count(), ChangeLog.objects.count()
    job = run(
        django_capture_on_commit_callbacks,
        "tests.make_units",
        org.officer_a,
        names=["半途一", "半途二", "半途三"],
        fail_after=2,
    )
    assert job.state == JobState.FAILED
    assert job.error == "Unit 半途二 may not be created now."
    assert job.error_detail == ""
    # Two units were written before it raised; neither they nor their change log remain.
    assert not Unit.objects.filter(name__startswith="半途").exists()
    assert Unit.objects.count() == units_before
    assert ChangeLog.objects.count() == log_before + 1  # the job's own creation, nothing of its work
    # Its progress as far as it got, kept on the row.
    assert (job.progress_done, job.progress_total) == (2, 3)
    assert job.finished is not None


def test_a_job_that_only_reads_runs_outside_the_transaction_a_writing_job_runs_in(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """On SQLite a transaction holds the one write lock: a preview that reads for seconds
    must not keep the web's writes waiting."""
    writing = run(django_capture_on_commit_callbacks, "tests.depth_writing", org.officer_a)
    reading = run(django_capture_on_commit_callbacks, "tests.depth_reading", org.officer_a)
    assert writing.state == reading.state == JobState.DONE
    assert job_kinds.DEPTH["reading"] == job_kinds.DEPTH["writing"] - 1


def test_an_unexpected_error_shows_a_plain_message_and_keeps_the_traceback_apart(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = run(
        django_capture_on_commit_callbacks,
        "tests.make_units",
        org.officer_a,
        names=["崩溃一"],
        fail_after=1,
        fail_with="crash",
    )
    assert job.state == JobState.FAILED
    assert "boom" not in job.error and "Traceback" not in job.error
    assert job.error  # a sentence for the user, in the starter's language
    assert "RuntimeError: secret internal detail: boom" in job.error_detail
    assert not Unit.objects.filter(name="崩溃一").exists()


def test_every_write_of_a_job_is_attributed_to_the_user_who_started_it(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = run(django_capture_on_commit_callbacks, "tests.make_units", org.officer_a, names=["署名一", "署名二"])
    assert job.state == JobState.DONE
    unit_ids = list(Unit.objects.filter(name__startswith="署名").values_list("pk", flat=True))
    rows = ChangeLog.objects.filter(object_id__in=unit_ids, content_type__model="unit")
    assert rows.count() == 2
    assert {(r.user_id, r.user_name, r.source, r.request_id) for r in rows} == {
        (org.officer_a.pk, "officer_a", "job", f"job-{job.pk}")
    }


def test_a_job_is_run_once_however_often_it_is_handed_over(org: Any, django_capture_on_commit_callbacks: Any) -> None:
    job_kinds.RUNS.pop("twice", None)
    job = run(django_capture_on_commit_callbacks, "tests.make_units", org.officer_a, names=["两次"], key="twice")
    execute(job.pk)  # a second message for the same job, a recovery racing a worker
    job.refresh_from_db()
    assert job_kinds.RUNS["twice"] == 1 and job.attempts == 1
    assert Unit.objects.filter(name="两次").count() == 1


def test_a_job_restarted_after_its_process_died_runs_again_once(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job_kinds.RUNS.pop("restart", None)
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue("tests.make_units", user=org.officer_a, params={"names": ["重启一", "重启二"], "key": "restart"})
    # The process took it and died mid-run: the row says running, nobody has beaten for long.
    dead(job)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("jobs_recover", stdout=open("/dev/null", "w"))  # noqa: SIM115
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2
    assert job_kinds.RUNS["restart"] == 1
    assert Unit.objects.filter(name__startswith="重启").count() == 2
    # A second recovery finds nothing to do: the effect is written once.
    with django_capture_on_commit_callbacks(execute=True):
        outcome = jobs_recover()
    assert (outcome.requeued, outcome.resubmitted, outcome.given_up) == ([], [], [])
    assert job_kinds.RUNS["restart"] == 1
    assert Unit.objects.filter(name__startswith="重启").count() == 2


def test_a_running_job_whose_worker_still_beats_in_the_cache_is_left_alone(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue("tests.make_units", user=org.officer_a, params={"names": ["活着"]})
    dead(job)  # the row's heartbeat is old, as on SQLite where only the cache beats
    cache.set(
        job.live_key, {"done": 1, "total": 4, "message": "alive", "beat": timezone.now().timestamp(), "attempt": 1}
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            outcome = jobs_recover()
        job.refresh_from_db()
        assert outcome.requeued == [] and job.state == JobState.RUNNING and not job.stalled
        assert (job.live.done, job.live.total, job.live.message) == (1, 4, "alive")
    finally:
        cache.delete(job.live_key)


def test_a_job_interrupted_as_often_as_allowed_stays_failed(
    org: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job_kinds.RUNS.pop("exhausted", None)
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue("tests.make_units", user=org.officer_a, params={"names": ["放弃"], "key": "exhausted"})
    dead(job, attempts=settings.ZS_JOBS_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = jobs_recover()
    job.refresh_from_db()
    assert outcome.given_up == [job.pk] and job.state == JobState.FAILED
    assert str(settings.ZS_JOBS_MAX_ATTEMPTS) in job.error
    assert "exhausted" not in job_kinds.RUNS and not job.may_retry


def test_a_queued_job_that_nobody_took_is_handed_over_again(org: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue("tests.make_units", user=org.officer_a, params={"names": ["遗落"]})
    Job.objects.filter(pk=job.pk).update(updated=timezone.now() - dt.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = jobs_recover()
    job.refresh_from_db()
    assert outcome.resubmitted == [job.pk] and job.state == JobState.DONE and job.attempts == 1


def test_a_run_given_up_for_dead_cannot_commit_its_work(org: Any, django_capture_on_commit_callbacks: Any) -> None:
    job = run(django_capture_on_commit_callbacks, "tests.superseded", org.officer_a, name="被接管")
    # Another run took the job over while this one worked: this one's writes are rolled back
    # instead of being committed a second time.
    assert not Unit.objects.filter(name="被接管").exists()
    assert job.state != JobState.DONE and job.result is None


def test_tuned_pauses_the_collector_inside_a_job_only_and_restores_it(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert gc.isenabled() and not in_job()
    job = run(django_capture_on_commit_callbacks, "tests.tuned", org.officer_a)
    assert job.result == {"tuned": True, "collector_inside": False, "collector_after": True}
    assert gc.isenabled()
    # Outside a job (a web request, a shell) nothing process-wide changes.
    with tuned() as active:
        assert active is False and gc.isenabled()
    # Found paused, left paused.
    gc.disable()
    try:
        job = run(django_capture_on_commit_callbacks, "tests.tuned", org.officer_a)
        assert job.result["collector_after"] is False and not gc.isenabled()
    finally:
        gc.enable()


def test_a_result_with_amounts_dates_and_words_is_stored_as_json_values(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = run(django_capture_on_commit_callbacks, "tests.amounts", org.officer_a, values=["1.25", "2.50"])
    assert job.state == JobState.DONE
    assert job.result == {"sum": "3.75", "on": "2026-03-01", "word": "Waiting"}


def test_in_job_is_true_only_while_a_job_function_runs(org: Any, django_capture_on_commit_callbacks: Any) -> None:
    job = run(django_capture_on_commit_callbacks, "tests.where", org.officer_a, key="flag")
    assert job.result["in_job"] is True and in_job() is False


def test_enqueue_refuses_an_unknown_kind_and_parameters_that_are_not_json(org: Any) -> None:
    with pytest.raises(LookupError):
        enqueue("tests.no_such_kind", user=org.officer_a)
    with pytest.raises(TypeError):
        enqueue("tests.make_units", user=org.officer_a, params={"names": {1, 2}})
    assert not Job.objects.exists()


def test_a_job_of_a_kind_this_version_does_not_know_fails_with_a_message(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue("tests.make_units", user=org.officer_a, params={"names": ["旧版"]})
    Job.objects.filter(pk=job.pk).update(kind="tests.removed_since")
    execute(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.error and not Unit.objects.filter(name="旧版").exists()


def test_the_rules_of_progress_life_and_retries() -> None:
    now = timezone.now()
    assert rules.percent(3, 10) == 30 and rules.percent(5, 0) is None and rules.percent(12, 10) == 100
    assert rules.percent(1, None) is None
    assert rules.is_stale(None, now=now, limit_seconds=60)
    assert rules.is_stale(now - dt.timedelta(seconds=61), now=now, limit_seconds=60)
    assert not rules.is_stale(now - dt.timedelta(seconds=5), now=now, limit_seconds=60)
    assert rules.last_sign_of_life(None, now, now - dt.timedelta(seconds=1)) == now
    assert rules.recovery_of(2, 3) == rules.REQUEUE and rules.recovery_of(3, 3) == rules.GIVE_UP
    assert rules.may_retry("failed", 2, 3) and not rules.may_retry("failed", 3, 3) and not rules.may_retry("done", 1, 3)
    assert rules.safe_link("/screening/") == "/screening/"
    for bad in ("javascript:alert(1)", "//evil.example/", "https://evil.example/", "/\\evil", None, 3):
        assert rules.safe_link(bad) is None
