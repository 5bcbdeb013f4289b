"""The jobs of a large import sheet: its preview (reading and checking, nothing written) and
its commit, both over the upload kept by ``core.tabular.stored``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhaoshang.core.tabular.engine import get_resource, run_import
from zhaoshang.core.tabular.stored import Stored, discard, load, save_preview
from zhaoshang.core.tabular.views import IMPORT_JOB, PREVIEW_JOB
from zhaoshang.jobs.runner import JobContext, JobError, job_kind

ERRORS_NAMED = 10


def _upload(ctx: JobContext, resource: str, token: str) -> Stored:
    """The sheet the job's starter uploaded for ``resource``, or the job fails saying so."""
    stored = load(token, user_id=getattr(ctx.user, "pk", None), resource=resource)
    if stored is None:
        raise JobError(_("The uploaded file has expired or is not yours; upload it again."))
    return stored


def _describe(result: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (gettext_lazy("rows"), result.get("rows")),
        (gettext_lazy("created"), result.get("created")),
        (gettext_lazy("updated"), result.get("updated")),
        (gettext_lazy("unchanged"), result.get("unchanged")),
    ]


def _describe_preview(result: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (gettext_lazy("rows"), result.get("rows")),
        (gettext_lazy("new"), result.get("created")),
        (gettext_lazy("updated"), result.get("updated")),
        (gettext_lazy("errors"), result.get("errors")),
    ]


@job_kind(PREVIEW_JOB, label=gettext_lazy("Checking a sheet"), describe=_describe_preview, reads_only=True)
def preview_import(ctx: JobContext, resource: str, token: str) -> dict[str, Any]:
    """Read and check the stored sheet as the import page would, writing nothing; what it
    found is kept beside the upload and the result links to the page that shows it."""
    res = get_resource(resource)
    stored = _upload(ctx, resource, token)
    ctx.progress(0, None, _("reading the file"))
    result = run_import(
        resource=resource,
        data=stored.data,
        filename=stored.filename,
        user=ctx.user,
        commit=False,
        progress=lambda done, total: ctx.progress(done, total, _("checking the rows")),
    )
    if result.file_error:
        raise JobError(result.file_error)
    save_preview(token, result)
    namespace = res.list_url.split(":")[0]
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "errors": len(result.errors),
        "link": reverse(f"{namespace}:import") + "?preview=" + token,
        "link_label": _("See the preview and save it") if result.ok else _("See the errors found"),
    }


@job_kind(IMPORT_JOB, label=gettext_lazy("Importing a sheet"), describe=_describe)
def commit_import(ctx: JobContext, resource: str, token: str) -> dict[str, Any]:
    """Check and write the stored sheet all or nothing, as the import page would, for the
    user who uploaded it; a refusal names the rows and columns at fault."""
    res = get_resource(resource)
    stored = _upload(ctx, resource, token)
    ctx.progress(0, stored.rows, _("checking and writing the rows"))
    result = run_import(
        resource=resource,
        data=stored.data,
        filename=stored.filename,
        user=ctx.user,
        commit=True,
        progress=lambda done, total: ctx.progress(done, total),
    )
    if result.file_error:
        raise JobError(result.file_error)
    if not result.ok:
        named = "；".join(f"{e.row} {e.column}：{e.message}" for e in result.errors[:ERRORS_NAMED])
        raise JobError(
            _("Nothing was imported: %(count)s problems were found (%(first)s). Upload the file again to see them all.")
            % {"count": len(result.errors), "first": named}
        )
    transaction.on_commit(lambda: discard(token))
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "link": reverse(res.list_url),
        "link_label": _("Open the list of %(what)s") % {"what": res.title},
    }
