"""Views of the project pipeline: thin; rows through ``restrict``, actions asked of ``may``
(what to show) and decided by the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhaoshang.core.audit import history_for
from zhaoshang.core.editing import StaleEdit
from zhaoshang.core.forms import apply_errors, error_text
from zhaoshang.core.paging import peek_page
from zhaoshang.core.params import id_param
from zhaoshang.core.scoping import CHANGE, CREATE, EXPORT, MOVE, OVERRIDE, VIEW, get_restricted_or_404, may
from zhaoshang.core.tabular.export import export_response
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.org.selectors import attributable_units
from zhaoshang.projects import rules, services
from zhaoshang.projects.filtersets import ProjectFilter
from zhaoshang.projects.forms import ContactForm, CreditFormSet, MemberForm, MoveForm, ProjectForm
from zhaoshang.projects.models import Project, ProjectContact, ProjectCredit, ProjectMember
from zhaoshang.projects.panels import render_panels
from zhaoshang.projects.selectors import kanban_board, next_stage_needs, project_rows


def filtered_projects(request: HttpRequest, action: str = VIEW) -> tuple[ProjectFilter, Any]:
    base = Project.objects.restrict(request.user, action)
    f = ProjectFilter(request.GET or None, queryset=base, request=request)
    qs = f.qs if f.is_bound and f.is_valid() else base
    return f, qs


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    f, qs = filtered_projects(request)
    page = peek_page(request, project_rows(qs).order_by("-id"))
    return render(
        request, "projects/list.html", {"filter": f, "page": page, "can_write": may(request.user, CREATE, Project)}
    )


@login_required
def project_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "csv") or not may(request.user, EXPORT, Project):
        raise PermissionDenied
    _f, qs = filtered_projects(request, EXPORT)
    return export_response(resource="projects", queryset=qs.order_by("-id"), fmt=fmt)


@login_required
def kanban(request: HttpRequest) -> HttpResponse:
    f, qs = filtered_projects(request)
    columns = kanban_board(qs)
    template = "projects/_board.html" if request.htmx else "projects/kanban.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "filter": f,
            "columns": columns,
            "query": request.GET.urlencode(),
            "can_move": may(request.user, MOVE, Project),
        },
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    project = get_restricted_or_404(
        Project.objects.select_related("enterprise", "lead_unit", "industry", "chain_node__chain", "owner"), user, pk=pk
    )
    can_change = may(user, CHANGE, project)
    nxt, missing = next_stage_needs(project)
    return render(
        request,
        "projects/detail.html",
        {
            "p": project,
            "can_change": can_change,
            "can_move": can_change and may(user, MOVE, project),
            "may_override": may(user, OVERRIDE, project),
            "timeline": project.stage_changes.all(),
            "members": ProjectMember.objects.filter(project=project).select_related("user"),
            "credits": ProjectCredit.objects.filter(project=project).select_related("unit").order_by("-share"),
            "contacts": ProjectContact.objects.filter(project=project),
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


def _form_data(form: ProjectForm) -> dict[str, Any]:
    data = {k: v for k, v in form.cleaned_data.items() if k in Project.EDITABLE_FIELDS}
    data["enterprise"] = form.cleaned_data.get("enterprise_ref")
    return data


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    if not may(request.user, CREATE, Project):
        raise PermissionDenied
    units = attributable_units(request.user)
    initial: dict[str, Any] = {"lead_unit": units.first()}
    ref = id_param(request.GET, "enterprise")
    if ref is not None:
        e = Enterprise.objects.restrict(request.user).filter(pk=ref).first()
        if e is not None:
            initial.update(enterprise_ref=str(e.pk), name=e.name, industry=e.industry_id)
    form = ProjectForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(user=request.user, data=_form_data(form))  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Project %(name)s created at the lead stage.") % {"name": project.name})
            return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/form.html", {"form": form, "creating": True})


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, CHANGE, pk=pk)
    units = attributable_units(request.user, keep=project.lead_unit_id)
    form = ProjectForm(request.POST or None, instance=project, units=units)
    if request.method == "POST" and form.is_valid():
        # The form set its values on ``project``; the service reads the stored record.
        stored = Project.objects.get(pk=pk)
        try:
            services.project_update(
                user=request.user,
                project=stored,
                data=_form_data(form),  # type: ignore[arg-type]
                revision=form.started_at(),
            )
        except StaleEdit as exc:
            form, both = form.rebased(exc.current, units=units)
            messages.warning(request, exc.message)
            if both:
                messages.warning(
                    request,
                    _(
                        "Changed by both of you: %(fields)s. Your values are shown; check them against the history below."
                    )
                    % {"fields": "、".join(both)},
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("projects:detail", pk=pk)
    return render(request, "projects/form.html", {"form": form, "p": project, "history": history_for(project)})


@login_required
@require_POST
def project_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a project; the kanban (JSON) and the detail page (form) both come here, so a
    drag on the board meets exactly the checks of the form."""
    project = get_restricted_or_404(Project.objects.all(), request.user, MOVE, pk=pk)
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = MoveForm(request.POST)
    errors: list[str] = []
    if not form.is_valid():
        errors = [error_text(form)]
    else:
        try:
            services.project_move(
                user=request.user,
                project=project,
                target=form.cleaned_data["target"],
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
        return JsonResponse({"ok": True, "stage": project.stage, "label": str(project.get_stage_display())})
    if errors:
        messages.error(request, _("The project was not moved: %(reasons)s") % {"reasons": "；".join(errors)})
    else:
        messages.success(request, _("Project moved to %(stage)s.") % {"stage": project.get_stage_display()})
    return redirect("projects:detail", pk=pk)


@login_required
@require_POST
def credits_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, CHANGE, pk=pk)
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
        services.credits_set(user=request.user, project=project, shares=shares)
    except ValidationError as exc:
        messages.error(request, _("The credit shares were not saved: %(errors)s") % {"errors": error_text(exc)})
    else:
        messages.success(request, _("Credit shares saved."))
    return redirect("projects:detail", pk=pk)


@login_required
@require_POST
def members_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, CHANGE, pk=pk)
    remove = id_param(request.POST, "remove")
    if remove is not None:
        member = get_user_model().objects.filter(pk=remove).first()
        if member is not None:
            try:
                services.member_remove(user=request.user, project=project, member=member)
            except ValidationError as exc:
                messages.error(request, error_text(exc))
            else:
                messages.success(request, _("Member removed."))
        return redirect("projects:detail", pk=pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        services.member_add(user=request.user, project=project, member=form.cleaned_data["username"])
        messages.success(request, _("Member added."))
    else:
        messages.error(request, error_text(form))
    return redirect("projects:detail", pk=pk)


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_restricted_or_404(Project.objects.all(), request.user, CHANGE, pk=pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        services.contact_add(user=request.user, project=project, data=form.cleaned_data)
        messages.success(request, _("Contact saved."))
    else:
        messages.error(request, error_text(form))
    return redirect("projects:detail", pk=pk)
