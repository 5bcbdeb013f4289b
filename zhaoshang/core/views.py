"""Site-wide views: the home page with the user's own work."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhaoshang.core.models import ChangeLog
from zhaoshang.core.scoping import VIEW, RestrictedQuerySet

RECENT_SHOWN = 10


def visible_changes(user: Any, entries: list[ChangeLog], limit: int) -> list[ChangeLog]:
    """The entries whose record the user may still see (a project the user has since lost,
    or a confidential one, is not named), at most ``limit``: one query per kind of record."""
    ids_by_type: dict[int, set[int]] = defaultdict(set)
    for entry in entries:
        ids_by_type[entry.content_type_id].add(entry.object_id)
    visible: set[tuple[int, int]] = set()
    for type_id, ids in ids_by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        manager = getattr(model, "objects", None)
        if model is None or not isinstance(manager.all() if manager is not None else None, RestrictedQuerySet):
            continue  # a record without a scope rule is shown to no one
        for pk in manager.restrict(user, VIEW).filter(pk__in=sorted(ids)).values_list("pk", flat=True):  # type: ignore[union-attr]
            visible.add((type_id, pk))
    return [e for e in entries if (e.content_type_id, e.object_id) in visible][:limit]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # core imports no domain app at module level; the home page is the one place that
    # gathers them, through their selectors, at call time.
    from zhaoshang.projects.models import Project
    from zhaoshang.projects.selectors import kanban_board, project_rows

    visible = Project.objects.restrict(request.user, VIEW)
    mine = project_rows(visible.filter(members__user=request.user)).order_by("-stage_changed_at", "-id")[:15]
    columns = kanban_board(visible, cards=0)
    recent = list(
        ChangeLog.objects.filter(user_id=request.user.pk or 0)
        .select_related("content_type")
        .order_by("-time", "-id")[: RECENT_SHOWN * 5]
    )
    return render(
        request,
        "home.html",
        {"mine": mine, "columns": columns, "recent": visible_changes(request.user, recent, RECENT_SHOWN)},
    )
