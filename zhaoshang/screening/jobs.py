"""Long work of the screening app, run as jobs (zhaoshang.jobs)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from zhaoshang.jobs.services import JobContext, job_kind
from zhaoshang.projects.models import Project

RESCREEN = "screening.rescreen"


def _describe(result: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (_("catalogue version"), result.get("version")),
        (_("projects screened"), result.get("projects")),
        (_("outcomes that changed"), result.get("changed")),
    ]


@job_kind(RESCREEN, label=_("Re-screening every project"), describe=_describe)
def rescreen(ctx: JobContext) -> dict[str, Any]:
    """Every project screened against the catalogue as it is now (after a change of a rule or
    an entry), with the outcomes that changed written to each project's history."""
    from zhaoshang.screening.services import current_version, screen_all

    total = Project.objects.count()
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        ctx.progress(done, total)

    ctx.progress(0, total, _("screening"))
    count = screen_all(progress=tick)
    return {"projects": count.done, "version": current_version(), "changed": count.changed}
