"""Views of the organisation: the unit tree and a unit's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhaoshang.core.audit import history_for
from zhaoshang.core.scoping import get_restricted_or_404
from zhaoshang.org.models import Membership, Unit


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    units = (
        Unit.objects.restrict(request.user)
        .filter(active=True)
        .annotate(n_members=Count("memberships"))
        .order_by("path")
    )
    return render(request, "org/units.html", {"units": units})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_restricted_or_404(Unit.objects.all(), request.user, pk=pk)
    from zhaoshang.projects.models import Project
    from zhaoshang.projects.selectors import project_rows

    subtree = Unit.objects.restrict(request.user).filter(path__startswith=unit.path).values("id")
    projects = project_rows(Project.objects.restrict(request.user).filter(lead_unit_id__in=subtree)).order_by("-id")[
        :50
    ]
    memberships = list(
        Membership.objects.restrict(request.user).filter(unit=unit).select_related("user").order_by("role")
    )
    members = memberships
    children = Unit.objects.restrict(request.user).filter(parent=unit).order_by("sort_order", "name")
    history = sorted(
        [*history_for(unit), *history_for(memberships)] if memberships else list(history_for(unit)),
        key=lambda entry: (entry.time, entry.pk),
        reverse=True,
    )[:100]
    return render(
        request,
        "org/unit_detail.html",
        {"unit": unit, "members": members, "children": children, "projects": projects, "history": history},
    )
