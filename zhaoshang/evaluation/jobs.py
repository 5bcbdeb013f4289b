"""Long work of the evaluation app, run as jobs (zhaoshang.jobs)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from zhaoshang.jobs.services import JobContext, job_kind

RESCORE = "evaluation.rescore"


def _describe(result: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [
        (_("scheme version"), result.get("version")),
        (_("projects scored"), result.get("projects")),
        (_("grades that changed"), result.get("changed")),
    ]


@job_kind(RESCORE, label=_("Scoring every project with the scheme in force"), describe=_describe)
def rescore(ctx: JobContext) -> dict[str, Any]:
    """Every project scored with the active version of the scheme (after a new version), with
    the grades that changed written to each project's history."""
    from zhaoshang.evaluation.selectors import active_version
    from zhaoshang.evaluation.services import score_all

    def tick(done: int, total: int) -> None:
        ctx.progress(done, total)

    count = score_all(progress=tick)
    version = active_version()
    return {"projects": count.done, "version": version.number if version else None, "changed": count.changed}
