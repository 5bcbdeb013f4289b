"""The job that commits a large import sheet, stored by its preview (core.tabular.stored)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhaoshang.core.tabular.engine import get_resource, run_import
from zhaoshang.core.tabular.stored import discard, load
from zhaoshang.core.tabular.views import IMPORT_JOB
from zhaoshang.jobs.runner import JobContext, JobError, job_kind

ERRORS_NAMED = 10


def _describe(result: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (gettext_lazy("rows"), result.get("rows")),
        (gettext_lazy("created"), result.get("created")),
        (gettext_lazy("updated"), result.get("updated")),
        (gettext_lazy("unchanged"), result.get("unchanged")),
    ]


@job_kind(IMPORT_JOB, label=gettext_lazy("Importing a sheet"), describe=_describe)
def commit_import(ctx: JobContext, resource: str, token: str) -> dict[str, Any]:
    """Check and write the stored sheet all or nothing, as the import page would, for the
    user who uploaded it; a refusal names the rows and columns at fault."""
    res = get_resource(resource)
    stored = load(token, user_id=getattr(ctx.user, "pk", None), resource=resource)
    if stored is None:
        raise JobError(_("The uploaded file has expired or is not yours; upload it again."))
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
