"""Long work of the enterprise registry, run as jobs (zhaoshang.jobs)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.jobs.runner import JobContext, JobError, job_kind

MERGE = "enterprises.merge"


def _describe(result: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [(gettext_lazy("kept"), result.get("kept")), (gettext_lazy("absorbed"), result.get("absorbed"))]


@job_kind(MERGE, label=gettext_lazy("Merging two enterprises"), describe=_describe)
def merge(ctx: JobContext, keep: int, absorb: int) -> dict[str, Any]:
    """``enterprise_merge`` for a record so referenced that it would hold the request too
    long: the same service, permitted and audited for the user who asked."""
    from zhaoshang.enterprises.services import enterprise_merge

    found = Enterprise.objects.in_bulk([keep, absorb])
    if len(found) != 2:
        raise JobError(_("One of the two enterprises no longer exists."))
    ctx.progress(0, 1, _("moving the references"))
    kept = enterprise_merge(user=ctx.user or SYSTEM, keep=found[keep], absorb=found[absorb])
    ctx.progress(1, 1)
    return {
        "kept": kept.name,
        "absorbed": found[absorb].name,
        "link": reverse("enterprises:detail", args=[kept.pk]),
        "link_label": _("Open %(name)s") % {"name": kept.name},
    }
