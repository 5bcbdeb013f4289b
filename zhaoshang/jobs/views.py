"""The pages of jobs: thin, through restrict(), selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhaoshang.core.paging import peek_page
from zhaoshang.core.scoping import get_restricted_or_404
from zhaoshang.jobs import selectors, services
from zhaoshang.jobs.models import Job


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    page = peek_page(request, selectors.jobs_of(request.user), per_page=50)
    selectors.with_live(page.items)
    return render(request, "jobs/list.html", {"page": page})


def _status(request: HttpRequest, pk: int) -> dict[str, object]:
    job = get_restricted_or_404(Job.objects.select_related("user"), request.user, "view", pk=pk)
    return {"job": job, "result": selectors.result_view(job)}


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "jobs/detail.html", _status(request, pk))


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment the detail page polls every second while the job is unfinished; once
    the job has finished it comes back without the polling attribute, so polling stops."""
    return render(request, "jobs/_status.html", _status(request, pk))


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_restricted_or_404(Job.objects.all(), request.user, "view", pk=pk)
    try:
        services.job_retry(job=job, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The job was started again."))
    return redirect("jobs:detail", pk=job.pk)
