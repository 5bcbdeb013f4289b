"""The job pages as each persona meets them: a job is its starter's own (anyone else gets the
404 of a missing id), its page shows state, progress, times, result and error as people read
them, the status fragment polls only while the job is unfinished, a failed job can be started
again from its page, and the top bar counts the user's unfinished jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests import job_kinds  # noqa: F401 - registers the job kinds these tests start
from tests.conftest import client_for
from zhaoshang.core.scoping import scope_for
from zhaoshang.jobs.context_processors import active_jobs
from zhaoshang.jobs.models import Job, JobState
from zhaoshang.jobs.services import enqueue
from zhaoshang.org.models import Unit


@pytest.fixture(autouse=True)
def immediate(settings: Any) -> None:
    settings.ZS_JOBS_BACKEND = "immediate"


def queued(user: Any, **params: Any) -> Job:
    """A job recorded and not yet taken (its request's commit has not handed it over)."""
    return enqueue("tests.make_units", user=user, params={"names": ["页面"], **params})  # type: ignore[no-any-return]


def ran(capture: Any, user: Any, **params: Any) -> Job:
    with capture(execute=True):
        job = enqueue("tests.make_units", user=user, params=params)
    job.refresh_from_db()
    return job  # type: ignore[no-any-return]


def pages(job: Job) -> list[str]:
    return [reverse("jobs:detail", args=[job.pk]), reverse("jobs:status", args=[job.pk])]


def test_the_user_who_started_a_job_sees_it_and_nobody_else_does(org: Any) -> None:
    job = queued(org.officer_a)
    owner = client_for(org.officer_a)
    for url in pages(job):
        assert owner.get(url).status_code == 200
    assert f"/jobs/{job.pk}/" in owner.get(reverse("jobs:list")).content.decode()
    missing = Job.objects.order_by("-pk").first().pk + 1000
    for other in (org.officer_b, org.officer_a2, org.manager_a, org.coordinator, org.leader):
        c = client_for(other)
        for url in pages(job):
            assert c.get(url).status_code == 404, (other.username, url)
        assert c.post(reverse("jobs:retry", args=[job.pk])).status_code == 404
        # Exactly like an id that does not exist.
        assert c.get(reverse("jobs:detail", args=[missing])).status_code == 404
        assert f"/jobs/{job.pk}/" not in c.get(reverse("jobs:list")).content.decode()
    assert list(Job.objects.restrict(org.officer_a, "change")) == []


def test_anonymous_is_sent_to_login_from_every_job_page(client: Any, org: Any) -> None:
    job = queued(org.officer_a)
    urls = [reverse("jobs:list"), *pages(job)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    response = client.post(reverse("jobs:retry", args=[job.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED


def test_a_failed_job_shows_its_error_in_chinese_and_can_be_started_again_from_its_page(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = ran(
        django_capture_on_commit_callbacks,
        org.officer_a,
        names=["重试一", "重试二"],
        fail_after=2,
        failing_attempts=1,
    )
    c = client_for(org.officer_a)
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "失败" in page and "Unit 重试二 may not be created now." in page
    assert 'id="job-retry"' in page and "hx-trigger" not in page
    assert "Traceback" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("jobs:retry", args=[job.pk]))
    assert response.status_code == 302 and response.url == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2 and job.error == ""
    assert Unit.objects.filter(name__startswith="重试").count() == 2
    # A job that is done is not started again.
    with django_capture_on_commit_callbacks(execute=True):
        c.post(reverse("jobs:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.attempts == 2


def test_a_job_that_failed_every_allowed_attempt_offers_no_retry(
    org: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = ran(django_capture_on_commit_callbacks, org.officer_a, names=["总失败"], fail_after=1)
    c = client_for(org.officer_a)
    for _ in range(settings.ZS_JOBS_MAX_ATTEMPTS - 1):
        with django_capture_on_commit_callbacks(execute=True):
            c.post(reverse("jobs:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == settings.ZS_JOBS_MAX_ATTEMPTS
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'id="job-retry"' not in page and f"尝试了 {job.attempts} 次" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("jobs:retry", args=[job.pk]), follow=True)
    assert "不再重新开始" in response.content.decode()
    job.refresh_from_db()
    assert job.attempts == settings.ZS_JOBS_MAX_ATTEMPTS


def test_a_done_job_page_shows_state_name_local_times_and_result_as_people_read_them(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = ran(django_capture_on_commit_callbacks, org.officer_a, names=["结果一", "结果二", "结果三"])
    Job.objects.filter(pk=job.pk).update(
        started=dt.datetime(2026, 3, 1, 1, 2, 3, tzinfo=dt.UTC),
        finished=dt.datetime(2026, 3, 1, 1, 7, 9, tzinfo=dt.UTC),
    )
    c = client_for(org.officer_a)
    page = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "已完成" in page and "Creating units" in page
    assert "2026-03-01 09:02" in page and "2026-03-01 09:07" in page  # Asia/Shanghai, to the minute
    assert "01:02" not in page and "T01" not in page and ">done<" not in page
    assert "units created" in page and "3 units" in page and 'href="/org/"' in page and "打开结果" in page
    assert 'data-progress="3/3"' in page and "100%" in page
    listing = c.get(reverse("jobs:list")).content.decode()
    assert "已完成" in listing and "2026-03-01 09:02" in listing and "Creating units" in listing
    with translation.override("en"):
        c.cookies["django_language"] = "en"
        english = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert ">done<" in english and "Open the result" in english


def test_the_status_fragment_polls_while_the_job_is_unfinished_and_stops_once_it_is_done(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    c = client_for(org.officer_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = queued(org.officer_a)
    fragment = c.get(reverse("jobs:status", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "排队中" in fragment
    assert "<html" not in fragment  # a fragment, not a page
    detail = c.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("jobs:status", args=[job.pk])}"' in detail
    callbacks[0]()
    fragment = c.get(reverse("jobs:status", args=[job.pk])).content.decode()
    assert "hx-trigger" not in fragment and "已完成" in fragment


def test_the_top_bar_counts_the_users_unfinished_jobs_and_links_to_the_list(org: Any) -> None:
    queued(org.officer_a)
    queued(org.officer_a)
    home = client_for(org.officer_a).get(reverse("home")).content.decode()
    assert 'id="nav-jobs"' in home and f'href="{reverse("jobs:list")}"' in home
    assert 'id="nav-jobs-count"' in home and ">2</span>" in home
    other = client_for(org.officer_b).get(reverse("home")).content.decode()
    assert 'id="nav-jobs"' in other and 'id="nav-jobs-count"' not in other


def test_the_top_bar_count_costs_one_query_and_none_for_anonymous(org: Any, rf: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    queued(org.officer_a)
    request = rf.get("/")
    request.user = org.officer_a
    scope_for(org.officer_a)  # the page itself has worked the scope out already
    with CaptureQueriesContext(connection) as ctx:
        count = active_jobs(request)["active_jobs"]
        assert int(count) == 1 and str(count) == "1" and count
    assert len(ctx.captured_queries) == 1
    request.user = AnonymousUser()
    with CaptureQueriesContext(connection) as ctx:
        assert active_jobs(request) == {}
    assert len(ctx.captured_queries) == 0
