"""Import pages: upload, preview with every error, then commit; and the template download.

The uploaded bytes wait between the preview and the commit (``stored``).  The file is checked
and validated again at commit time, since the records may have changed meanwhile.  Long work
runs as jobs, whose pages show the progress, instead of inside the request: the preview of a
file larger than ``ZS_IMPORT_PREVIEW_JOB_BYTES`` (``imports.preview``, which only reads; its
page links back here to the preview) and the commit of a sheet of more than
``ZS_IMPORT_JOB_ROWS`` rows (``imports.commit``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from zhaoshang.core.scoping import IMPORT, may
from zhaoshang.core.tabular.engine import CREATE, ImportResult, Resource, get_resource, run_import
from zhaoshang.core.tabular.stored import discard, load, load_preview, store
from zhaoshang.core.tabular.template import template_response

# The job kinds that check and commit a large sheet (registered by the jobs app:
# zhaoshang/jobs/imports.py).
IMPORT_JOB = "imports.commit"
PREVIEW_JOB = "imports.preview"

ERRORS_SHOWN = 500


def _resource_or_404(name: str) -> Resource:
    try:
        return get_resource(name)
    except LookupError as exc:
        raise Http404 from exc


def _context(
    res: Resource, result: ImportResult | None = None, token: str = "", errors_total: int | None = None, **extra: Any
) -> dict[str, Any]:
    namespace = res.list_url.split(":")[0]
    context: dict[str, Any] = {
        "resource": res,
        "title": res.title,
        "import_url": reverse(f"{namespace}:import"),
        "template_url": reverse(f"{namespace}:import_template"),
        "list_url": reverse(res.list_url),
        "max_mb": settings.ZS_UPLOAD_MAX_BYTES // (1024 * 1024),
        "max_rows": settings.ZS_IMPORT_MAX_ROWS,
        "result": result,
        "token": token,
        "create": CREATE,
        **extra,
    }
    if result is not None:
        total = len(result.errors) if errors_total is None else errors_total
        context["errors_shown"] = result.errors[:ERRORS_SHOWN]
        context["errors_total"] = total
        context["errors_hidden"] = max(total - len(context["errors_shown"]), 0)
    return context


@login_required
def import_view(request: HttpRequest, resource: str) -> HttpResponse:
    """Upload a sheet, see what it would do, then commit it."""
    res = _resource_or_404(resource)
    if not may(request.user, IMPORT, res.model):
        raise PermissionDenied
    template = "imports/import.html"
    if request.method != "POST":
        previewed = request.GET.get("preview", "")
        if not previewed:
            return render(request, template, _context(res))
        # The preview a job made of a large upload (the job's page links here).
        found = load_preview(previewed, user_id=request.user.pk, resource=resource)
        if found is None:
            messages.error(request, _("This preview is not ready, has expired or is not yours; upload the file again."))
            return redirect(_context(res)["import_url"])
        kept, result, errors_total = found
        token = previewed if result.ok else ""
        return render(request, template, _context(res, result, token, errors_total, filename=kept.filename))
    user_id = request.user.pk
    token = request.POST.get("token", "")
    if token:
        stored = load(token, user_id=user_id, resource=resource)
        if stored is None:
            messages.error(request, _("The uploaded file has expired or is not yours; upload it again."))
            return redirect(_context(res)["import_url"])
        if stored.rows > settings.ZS_IMPORT_JOB_ROWS or len(stored.data) > settings.ZS_IMPORT_PREVIEW_JOB_BYTES:
            # A large sheet is written by a job: the request returns at once, the job's page
            # shows the progress (the one seam where core hands work to the jobs app).
            from zhaoshang.jobs.services import enqueue

            job = enqueue(IMPORT_JOB, user=request.user, params={"resource": resource, "token": token})
            messages.info(request, _("The import runs as a job; its page shows how far it is."))
            return redirect("jobs:detail", pk=job.pk)
        data, filename = stored.data, stored.filename
        result = run_import(resource=resource, data=data, filename=filename, user=request.user, commit=True)
        if result.ok:
            discard(token)
            messages.success(
                request,
                _("Imported %(rows)s rows: %(created)s created, %(updated)s updated.")
                % {"rows": result.rows, "created": result.created, "updated": result.updated},
            )
            return redirect(res.list_url)
        return render(request, template, _context(res, result, filename=filename))
    upload = request.FILES.get("file")
    if upload is None:
        return render(request, template, _context(res, form_error=_("Choose a file to upload.")))
    if upload.size is not None and upload.size > settings.ZS_UPLOAD_MAX_BYTES:
        result = ImportResult(
            file_error=_("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": f"{upload.size / (1024 * 1024):.1f}",
                "limit": f"{settings.ZS_UPLOAD_MAX_BYTES / (1024 * 1024):.1f}",
            }
        )
        return render(request, template, _context(res, result, filename=upload.name))
    data = upload.read()
    filename = upload.name or ""
    if len(data) > settings.ZS_IMPORT_PREVIEW_JOB_BYTES:
        # Reading and checking a large sheet takes seconds: a job does it, its page shows how
        # far it is and then links to the preview, from which the user commits as usual.
        from zhaoshang.jobs.services import enqueue

        token = store(data, filename=filename, user_id=user_id, resource=resource)
        job = enqueue(PREVIEW_JOB, user=request.user, params={"resource": resource, "token": token})
        messages.info(request, _("The file is large: it is checked as a job; its page links to the preview."))
        return redirect("jobs:detail", pk=job.pk)
    result = run_import(resource=resource, data=data, filename=filename, user=request.user, commit=False)
    if result.ok:
        token = store(data, filename=filename, user_id=user_id, resource=resource, rows=result.rows)
    return render(request, template, _context(res, result, token, filename=filename))


@login_required
def template_view(request: HttpRequest, resource: str) -> HttpResponse:
    """The empty .xlsx to fill in, with drop-down lists for the user's units and codes: for
    those who may import it, as the import page is."""
    res = _resource_or_404(resource)
    if not may(request.user, IMPORT, res.model):
        raise PermissionDenied
    return template_response(resource, user=request.user)
