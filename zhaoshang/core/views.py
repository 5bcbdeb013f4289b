"""Site-wide views: the home page with the user's own work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhaoshang.core.models import ChangeLog


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # core imports no domain app at module level; the home page is the one place that
    # gathers them, through their selectors, at call time.
    from zhaoshang.projects.models import Project
    from zhaoshang.projects.selectors import kanban_board, project_rows

    visible = Project.objects.restrict(request.user, "view")
    mine = project_rows(visible.filter(members__user=request.user)).order_by("-stage_changed_at", "-id")[:15]
    columns = kanban_board(visible, cards=0)
    recent = (
        ChangeLog.objects.filter(user_id=request.user.pk or 0)
        .select_related("content_type")
        .order_by("-time", "-id")[:10]
    )
    return render(request, "home.html", {"mine": mine, "columns": columns, "recent": recent})
