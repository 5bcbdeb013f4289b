"""Views of the enterprise registry: thin; rows through ``restrict``, actions asked of ``may``
(what to show) and decided by the services (``require``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhaoshang.core.audit import history_for
from zhaoshang.core.editing import StaleEdit
from zhaoshang.core.forms import apply_errors, error_text
from zhaoshang.core.paging import peek_page
from zhaoshang.core.scoping import BOARD, CHANGE, CREATE, EXPORT, MERGE, VIEW, get_restricted_or_404, may
from zhaoshang.core.tabular.export import export_response
from zhaoshang.enterprises import services
from zhaoshang.enterprises.filtersets import EnterpriseFilter
from zhaoshang.enterprises.forms import ContactForm, EnterpriseForm, MergeForm, RankingForm
from zhaoshang.enterprises.models import ChainNode, Enterprise, EnterpriseContact, IndustryChain
from zhaoshang.enterprises.selectors import active_enterprises, similar_enterprises
from zhaoshang.org.selectors import attributable_units

LIST_COLUMNS = (
    "id",
    "name",
    "credit_code",
    "hq_province",
    "hq_city",
    "industry__code",
    "industry__name",
    "listing_exchange",
    "ticker",
    "is_unicorn",
    "is_industry_leader",
    "sme_level",
    "revenue",
    "is_fortune500",
    "is_china500",
    "is_private500",
)


def working_units(user: Any, enterprise_ids: list[int]) -> dict[int, list[str]]:
    """Which units are working each enterprise (open projects the user may see on the shared
    board: every non-confidential one, and the confidential ones the user may see): all staff
    see this, so that units stop chasing the same target blind."""
    from zhaoshang.projects.models import Project
    from zhaoshang.projects.rules import ALL_STAGES, OPEN_STAGES

    closed = [s for s in ALL_STAGES if s not in OPEN_STAGES]
    # Written as "not closed" so that the planner starts from the enterprise index (a few
    # rows) rather than from the stage index (most of the pipeline).
    rows = (
        Project.objects.restrict(user, BOARD)
        .filter(enterprise_id__in=enterprise_ids)
        .exclude(stage__in=closed)
        .order_by()  # no default ordering, or DISTINCT would count each project apart
        .values_list("enterprise_id", "lead_unit__name")
        .distinct()
    )
    out: dict[int, list[str]] = defaultdict(list)
    for eid, unit in rows:
        out[eid].append(unit)
    return out


def filtered_enterprises(request: HttpRequest, action: str = VIEW) -> tuple[EnterpriseFilter, Any]:
    base = active_enterprises().restrict(request.user, action).select_related("industry").only(*LIST_COLUMNS)
    f = EnterpriseFilter(request.GET or None, queryset=base)
    qs = f.qs if f.is_bound and f.is_valid() else base
    return f, qs.order_by("-id")


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    f, qs = filtered_enterprises(request)
    page = peek_page(request, qs)
    units = working_units(request.user, [e.pk for e in page.items]) if page.items else {}
    for e in page.items:
        e.working_units = units.get(e.pk, [])
    return render(
        request,
        "enterprises/list.html",
        {"filter": f, "page": page, "can_write": may(request.user, CREATE, Enterprise)},
    )


@login_required
def enterprise_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "csv") or not may(request.user, EXPORT, Enterprise):
        raise PermissionDenied
    _f, qs = filtered_enterprises(request, EXPORT)
    return export_response(resource="enterprises", queryset=qs, fmt=fmt)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(
        Enterprise.objects.select_related("industry", "owner_unit", "merged_into"), request.user, pk=pk
    )
    from zhaoshang.projects.models import Project

    user = request.user
    projects = (
        Project.objects.restrict(user, VIEW).filter(enterprise=enterprise).select_related("lead_unit").order_by("-id")
    )
    return render(
        request,
        "enterprises/detail.html",
        {
            "e": enterprise,
            "projects": projects,
            "working_units": working_units(user, [enterprise.pk]).get(enterprise.pk, []),
            "rankings": enterprise.rankings.all(),
            "nodes": ChainNode.objects.restrict(user).filter(enterprises=enterprise).select_related("chain"),
            "contacts": EnterpriseContact.objects.restrict(user, VIEW)
            .filter(enterprise=enterprise)
            .select_related("unit"),
            "history": history_for(enterprise),
            "can_change": may(user, CHANGE, enterprise),
            "can_create_project": may(user, CREATE, Project),
            "can_add_contact": may(user, CREATE, EnterpriseContact),
            "can_merge": may(user, MERGE, enterprise),
            "ranking_form": RankingForm(),
            "contact_form": ContactForm(),
        },
    )


def _form_data(form: EnterpriseForm) -> tuple[dict[str, Any], Any]:
    data = {k: v for k, v in form.cleaned_data.items() if k in Enterprise.EDITABLE_FIELDS}
    return data, form.cleaned_data.get("chain_nodes") or []


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    if not may(request.user, CREATE, Enterprise):
        raise PermissionDenied
    units = attributable_units(request.user)
    form = EnterpriseForm(request.POST or None, units=units, initial={"owner_unit": units.first()})
    candidates: list[Enterprise] = []
    if request.method == "POST" and form.is_valid():
        data, nodes = _form_data(form)
        try:
            e = services.enterprise_create(
                user=request.user,
                data=data,  # type: ignore[arg-type]
                chain_nodes=nodes,
                confirm_not_duplicate=form.cleaned_data["confirm_not_duplicate"],
            )
        except services.PossibleDuplicate as exc:
            candidates = exc.candidates
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Enterprise %(name)s added to the registry.") % {"name": e.name})
            similar = similar_enterprises(name=e.name, exclude_id=e.pk)
            if similar:
                messages.info(
                    request,
                    _("Names alike in the registry: %(names)s. If one is the same enterprise, merge them.")
                    % {"names": "、".join(s.name for s in similar)},
                )
            return redirect("enterprises:detail", pk=e.pk)
    return render(request, "enterprises/form.html", {"form": form, "candidates": candidates, "creating": True})


@login_required
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(Enterprise.objects.all(), request.user, CHANGE, pk=pk)
    units = attributable_units(request.user, keep=enterprise.owner_unit_id)
    form = EnterpriseForm(request.POST or None, instance=enterprise, units=units)
    candidates: list[Enterprise] = []
    if request.method == "POST" and form.is_valid():
        data, nodes = _form_data(form)
        # The form set its values on ``enterprise``; the service reads the stored record.
        stored = Enterprise.objects.get(pk=pk)
        try:
            services.enterprise_update(
                user=request.user,
                enterprise=stored,
                data=data,  # type: ignore[arg-type]
                chain_nodes=nodes,
                confirm_not_duplicate=form.cleaned_data["confirm_not_duplicate"],
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
        except services.PossibleDuplicate as exc:
            candidates = exc.candidates
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("enterprises:detail", pk=pk)
    return render(
        request,
        "enterprises/form.html",
        {"form": form, "candidates": candidates, "e": enterprise, "history": history_for(enterprise)},
    )


@login_required
def enterprise_merge(request: HttpRequest, pk: int) -> HttpResponse:
    absorb = get_restricted_or_404(active_enterprises(), request.user, MERGE, pk=pk)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keep = get_restricted_or_404(active_enterprises(), request.user, MERGE, pk=form.cleaned_data["keep"])
        if keep.pk != absorb.pk and services.references_to(absorb) > settings.ZS_MERGE_JOB_REFERENCES:
            from zhaoshang.enterprises.jobs import MERGE as MERGE_JOB
            from zhaoshang.jobs.services import enqueue

            job = enqueue(MERGE_JOB, user=request.user, params={"keep": keep.pk, "absorb": absorb.pk})
            messages.info(
                request, _("The merge moves many records, so it runs as a job; its page shows how far it is.")
            )
            return redirect("jobs:detail", pk=job.pk)
        try:
            services.enterprise_merge(user=request.user, keep=keep, absorb=absorb)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("%(a)s was merged into %(b)s.") % {"a": absorb.name, "b": keep.name})
            return redirect("enterprises:detail", pk=keep.pk)
    similar = [e.pk for e in similar_enterprises(name=absorb.name, exclude_id=absorb.pk)]
    candidates = Enterprise.objects.restrict(request.user, MERGE).filter(pk__in=similar)
    return render(request, "enterprises/merge.html", {"e": absorb, "form": form, "candidates": candidates})


@login_required
@require_POST
def ranking_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(Enterprise.objects.all(), request.user, CHANGE, pk=pk)
    form = RankingForm(request.POST)
    if form.is_valid():
        try:
            services.ranking_set(user=request.user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _("The ranking was not saved: %(errors)s") % {"errors": error_text(exc)})
        else:
            messages.success(request, _("Ranking saved."))
    else:
        messages.error(request, _("The ranking was not saved: %(errors)s") % {"errors": error_text(form)})
    return redirect("enterprises:detail", pk=pk)


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(Enterprise.objects.all(), request.user, VIEW, pk=pk)
    if not may(request.user, CREATE, EnterpriseContact):
        raise PermissionDenied
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_create(user=request.user, enterprise=enterprise, data=form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _("The contact was not saved: %(errors)s") % {"errors": error_text(exc)})
        else:
            messages.success(request, _("Contact saved."))
    else:
        messages.error(request, _("The contact was not saved: %(errors)s") % {"errors": error_text(form)})
    return redirect("enterprises:detail", pk=pk)


@login_required
def chain_list(request: HttpRequest) -> HttpResponse:
    chains = IndustryChain.objects.restrict(request.user).prefetch_related("nodes")
    return render(request, "enterprises/chains.html", {"chains": chains})


@login_required
def chain_detail(request: HttpRequest, pk: int) -> HttpResponse:
    chain = get_restricted_or_404(IndustryChain.objects.all(), request.user, pk=pk)
    nodes = list(ChainNode.objects.restrict(request.user).filter(chain=chain).order_by("segment", "sort_order"))
    counts = dict(
        ChainNode.objects.restrict(request.user)
        .filter(chain=chain, enterprises__merged_into__isnull=True)
        .annotate(n=Count("enterprises"))
        .values_list("id", "n")
    )
    through = Enterprise.chain_nodes.through
    sample: dict[int, list[int]] = defaultdict(list)
    for node_id, enterprise_id in (
        through.objects.filter(chainnode__chain=chain, enterprise__merged_into__isnull=True)
        .order_by("-enterprise_id")
        .values_list("chainnode_id", "enterprise_id")[:300]
    ):
        if len(sample[node_id]) < 8:
            sample[node_id].append(enterprise_id)
    shown = Enterprise.objects.restrict(request.user).in_bulk([e for ids in sample.values() for e in ids])
    segments: dict[str, list[Any]] = {"upstream": [], "midstream": [], "downstream": []}
    for node in nodes:
        node.enterprise_count = counts.get(node.pk, 0)
        node.sample = [shown[e] for e in sample.get(node.pk, []) if e in shown]
        segments.setdefault(node.segment, []).append(node)
    return render(request, "enterprises/chain_detail.html", {"chain": chain, "segments": segments})
