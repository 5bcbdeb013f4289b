"""Views of the project pipeline: thin, through selectors, services and restrict()."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhaoshang.core.audit import history_for
from zhaoshang.core.paging import peek_page
from zhaoshang.core.scoping import get_restricted_or_404, scope_for
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.org.models import Unit
from zhaoshang.org.selectors import unit_choices_for
from zhaoshang.projects import rules, services
from zhaoshang.projects.filtersets import ProjectFilter
from zhaoshang.projects.forms import ContactForm, CreditFormSet, MemberForm, MoveForm, ProjectForm
from zhaoshang.projects.models import Project
from zhaoshang.projects.panels import render_panels
from zhaoshang.projects.selectors import kanban_board, next_stage_needs, project_rows


def filtered_projects(request: HttpRequest) -> tuple[ProjectFilter, Any]:
    base = Project.objects.restrict(request.user, "view")
    f = ProjectFilter(request.GET or None, queryset=base, request=request)
    qs = f.qs if f.is_bound and f.is_valid() else base
    return f, qs


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    f, qs = filtered_projects(request)
    page = peek_page(request, project_rows(qs).order_by("-id"))
    return render(
        request, "projects/list.html", {"filter": f, "page": page, "can_write": scope_for(request.user).can_write}
    )


@login_required
def project_export(request: HttpRequest, fmt: str) -> HttpResponse:
    from zhaoshang.core.tabular.export import export_response

    if fmt not in ("xlsx", "csv"):
        raise PermissionDenied
    _f, qs = filtered_projects(request)
    return export_response(resource="projects", queryset=qs.order_by("-id"), fmt=fmt)


@login_required
def kanban(request: HttpRequest) -> HttpResponse:
    f, qs = filtered_projects(request)
    columns = kanban_board(qs)
    template = "projects/_board.html" if request.htmx else "projects/kanban.html"  # type: ignore[attr-defined]
    return render(request, template, {"filter": f, "columns": columns, "query": request.GET.urlencode()})


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(
        Project.objects.select_related("enterprise", "lead_unit", "industry", "chain_node__chain", "owner"),
        request.user,
        pk=pk,
    )
    can_change = Project.objects.restrict(request.user, "change").filter(pk=pk).exists()
    nxt, missing = next_stage_needs(project)
    credits = project.credits.select_related("unit").order_by("-share")
    return render(
        request,
        "projects/detail.html",
        {
            "p": project,
            "can_change": can_change,
            "is_leader": scope_for(request.user).is_leader,
            "timeline": project.stage_changes.all(),
            "members": project.members.select_related("user"),
            "credits": credits,
            "contacts": project.contacts.all(),
            "history": history_for(project),
            "next_stage": rules.STAGE_LABELS.get(nxt) if nxt else None,
            "missing": missing,
            "move_form": MoveForm(initial={"target": nxt or ""}),
            "credit_formset": _credit_formset(project),
            "member_form": MemberForm(),
            "contact_form": ContactForm(),
            "panels": render_panels(request, project, can_change),
        },
    )


def _credit_formset(project: Project, data: Any = None) -> Any:
    initial = [{"unit": c.unit_id, "role": c.role, "share": c.share} for c in project.credits.all()]
    if not initial:
        initial = [{"unit": project.lead_unit_id, "role": "first_contact", "share": 100}]
    return CreditFormSet(data, initial=initial + [{}] * 2 if data is None else None, prefix="credit")


def _save_form(request: HttpRequest, form: ProjectForm, project: Project | None) -> Project | None:
    data = dict(form.cleaned_data)
    data["enterprise"] = data.pop("enterprise_ref", None)
    try:
        if project is None:
            return services.project_create(data=data, user=request.user)
        fresh = Project.objects.get(pk=project.pk)  # the form mutated ``project``; diff from the stored state
        return services.project_update(project=fresh, data=data)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errs in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            form.add_error(None, exc.messages)
    return None


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.can_write:
        raise PermissionDenied
    initial: dict[str, Any] = {"lead_unit": scope.home_unit_id}
    ref = request.GET.get("enterprise", "")
    if ref.isdigit():
        e = Enterprise.objects.filter(pk=int(ref)).first()
        if e is not None:
            initial.update(enterprise_ref=str(e.pk), name=e.name, industry=e.industry_id)
    form = ProjectForm(request.POST or None, units=unit_choices_for(request.user), initial=initial)
    if request.method == "POST" and form.is_valid():
        project = _save_form(request, form, None)
        if project is not None:
            messages.success(request, _("Project %(name)s created at the lead stage.") % {"name": project.name})
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/form.html", {"form": form, "creating": True})


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, "change", pk=pk)
    units = unit_choices_for(request.user) | Unit.objects.filter(pk=project.lead_unit_id)
    form = ProjectForm(request.POST or None, instance=project, units=units)
    if request.method == "POST" and form.is_valid():
        saved = _save_form(request, form, project)
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect("projects:detail", pk=pk)
    return render(request, "projects/form.html", {"form": form, "p": project})


@login_required
@require_POST
def project_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a project; the kanban (JSON) and the detail page (form) both come here, so a
    drag on the board meets exactly the checks of the form."""
    project = get_restricted_or_404(Project.objects.all(), request.user, "change", pk=pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = MoveForm(request.POST)
    errors: list[str] = []
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
    else:
        try:
            services.project_move(
                project=project,
                target=form.cleaned_data["target"],
                user=request.user,
                reason=form.cleaned_data["reason"],
                override=form.cleaned_data["override"],
            )
        except services.MoveRefused as exc:
            errors = exc.reasons
        except PermissionDenied as exc:
            errors = [str(exc)]
    if wants_json:
        if errors:
            return JsonResponse({"ok": False, "errors": errors}, status=422)
        project.refresh_from_db()
        return JsonResponse({"ok": True, "stage": project.stage, "label": str(project.get_stage_display())})
    if errors:
        messages.error(request, _("The project was not moved: %(reasons)s") % {"reasons": "；".join(errors)})
    else:
        messages.success(
            request, _("Project moved to %(stage)s.") % {"stage": Project.objects.get(pk=pk).get_stage_display()}
        )
    return redirect("projects:detail", pk=pk)


@login_required
@require_POST
def credits_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, "change", pk=pk)
    formset = _credit_formset(project, request.POST)
    if not formset.is_valid():
        messages.error(request, _("The credit shares were not saved: check the rows."))
        return redirect("projects:detail", pk=pk)
    shares = [
        (f.cleaned_data["unit"], f.cleaned_data["role"], f.cleaned_data["share"])
        for f in formset.forms
        if f.cleaned_data.get("unit") and f.cleaned_data.get("share") is not None
    ]
    try:
        services.credits_set(project=project, shares=shares)
    except ValidationError as exc:
        messages.error(request, _("The credit shares were not saved: %(errors)s") % {"errors": "；".join(exc.messages)})
    else:
        messages.success(request, _("Credit shares saved."))
    return redirect("projects:detail", pk=pk)


@login_required
@require_POST
def members_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, "change", pk=pk)
    remove = request.POST.get("remove", "")
    if remove.isdigit():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=int(remove)).first()
        if user is not None:
            services.member_remove(project=project, user=user)
            messages.success(request, _("Member removed."))
        return redirect("projects:detail", pk=pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        services.member_add(project=project, user=form.cleaned_data["username"])
        messages.success(request, _("Member added."))
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("projects:detail", pk=pk)


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, "change", pk=pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        services.contact_add(project=project, data=form.cleaned_data)
        messages.success(request, _("Contact saved."))
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("projects:detail", pk=pk)
