"""Views of the enterprise registry: thin, through selectors, services and restrict()."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhaoshang.core.audit import history_for
from zhaoshang.core.paging import peek_page
from zhaoshang.core.scoping import get_restricted_or_404, scope_for
from zhaoshang.enterprises import services
from zhaoshang.enterprises.filtersets import EnterpriseFilter
from zhaoshang.enterprises.forms import ContactForm, EnterpriseForm, MergeForm, RankingForm
from zhaoshang.enterprises.models import ChainNode, Enterprise, EnterpriseContact, IndustryChain
from zhaoshang.enterprises.selectors import active_enterprises, find_duplicates
from zhaoshang.org.selectors import unit_choices_for

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


def working_units(enterprise_ids: list[int]) -> dict[int, list[str]]:
    """Which units are working each enterprise (open, non-confidential projects): the shared
    board shows this to all staff so that units stop chasing the same target blind."""
    from zhaoshang.projects.models import Project
    from zhaoshang.projects.rules import ALL_STAGES, OPEN_STAGES

    closed = [s for s in ALL_STAGES if s not in OPEN_STAGES]
    # Written as "not closed" so that the planner starts from the enterprise index (a few
    # rows) rather than from the stage index (most of the pipeline).
    rows = (
        Project.objects.filter(enterprise_id__in=enterprise_ids, confidential=False)
        .exclude(stage__in=closed)
        .order_by()  # no default ordering, or DISTINCT would count each project apart
        .values_list("enterprise_id", "lead_unit__name")
        .distinct()
    )
    out: dict[int, list[str]] = defaultdict(list)
    for eid, unit in rows:
        out[eid].append(unit)
    return out


def filtered_enterprises(request: HttpRequest) -> tuple[EnterpriseFilter, Any]:
    base = active_enterprises().restrict(request.user, "view").select_related("industry").only(*LIST_COLUMNS)
    f = EnterpriseFilter(request.GET or None, queryset=base)
    qs = f.qs if f.is_bound and f.is_valid() else base
    return f, qs.order_by("-id")


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    f, qs = filtered_enterprises(request)
    page = peek_page(request, qs)
    units = working_units([e.pk for e in page.items]) if page.items else {}
    for e in page.items:
        e.working_units = units.get(e.pk, [])
    return render(
        request,
        "enterprises/list.html",
        {"filter": f, "page": page, "can_write": scope_for(request.user).can_write},
    )


@login_required
def enterprise_export(request: HttpRequest, fmt: str) -> HttpResponse:
    from zhaoshang.core.tabular.export import export_response

    if fmt not in ("xlsx", "csv"):
        raise PermissionDenied
    _f, qs = filtered_enterprises(request)
    return export_response(resource="enterprises", queryset=qs, fmt=fmt)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(
        Enterprise.objects.select_related("industry", "owner_unit", "merged_into"), request.user, pk=pk
    )
    from zhaoshang.projects.models import Project

    projects = (
        Project.objects.restrict(request.user, "view")
        .filter(enterprise=enterprise)
        .select_related("lead_unit")
        .order_by("-id")
    )
    can_change = Enterprise.objects.restrict(request.user, "change").filter(pk=pk).exists()
    return render(
        request,
        "enterprises/detail.html",
        {
            "e": enterprise,
            "projects": projects,
            "working_units": working_units([enterprise.pk]).get(enterprise.pk, []),
            "rankings": enterprise.rankings.all(),
            "nodes": enterprise.chain_nodes.select_related("chain"),
            "contacts": EnterpriseContact.objects.restrict(request.user, "view")
            .filter(enterprise=enterprise)
            .select_related("unit"),
            "history": history_for(enterprise),
            "can_change": can_change,
            "can_write": scope_for(request.user).can_write,
            "is_coordinator": scope_for(request.user).sees_all,
            "ranking_form": RankingForm(),
            "contact_form": ContactForm(),
        },
    )


def _form_data(form: EnterpriseForm) -> tuple[dict[str, Any], Any]:
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("chain_nodes", "confirm_not_duplicate")}
    return data, form.cleaned_data.get("chain_nodes") or []


def _apply_errors(form: EnterpriseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.can_write:
        raise PermissionDenied
    units = unit_choices_for(request.user)
    form = EnterpriseForm(request.POST or None, units=units, initial={"owner_unit": scope.home_unit_id})
    candidates: list[Enterprise] = []
    if request.method == "POST" and form.is_valid():
        data, nodes = _form_data(form)
        try:
            e = services.enterprise_create(
                data=data, chain_nodes=nodes, confirm_not_duplicate=form.cleaned_data["confirm_not_duplicate"]
            )
        except services.PossibleDuplicate as exc:
            candidates = exc.candidates
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Enterprise %(name)s added to the registry.") % {"name": e.name})
            return redirect("enterprises:detail", pk=e.pk)
    return render(request, "enterprises/form.html", {"form": form, "candidates": candidates, "creating": True})


@login_required
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(Enterprise.objects.all(), request.user, "change", pk=pk)
    form = EnterpriseForm(
        request.POST or None, instance=enterprise, units=unit_choices_for(request.user) | _one_unit(enterprise)
    )
    candidates: list[Enterprise] = []
    if request.method == "POST" and form.is_valid():
        data, nodes = _form_data(form)
        fresh = Enterprise.objects.get(pk=pk)  # the form mutated ``enterprise``; the service diffs from the DB state
        try:
            services.enterprise_update(
                enterprise=fresh,
                data=data,
                chain_nodes=nodes,
                confirm_not_duplicate=form.cleaned_data["confirm_not_duplicate"],
            )
        except services.PossibleDuplicate as exc:
            candidates = exc.candidates
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("enterprises:detail", pk=pk)
    return render(request, "enterprises/form.html", {"form": form, "candidates": candidates, "e": enterprise})


def _one_unit(enterprise: Enterprise) -> Any:
    from zhaoshang.org.models import Unit

    return Unit.objects.filter(pk=enterprise.owner_unit_id or 0)


@login_required
def enterprise_merge(request: HttpRequest, pk: int) -> HttpResponse:
    if not scope_for(request.user).sees_all:
        raise PermissionDenied
    absorb = get_restricted_or_404(active_enterprises(), request.user, "change", pk=pk)
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        keep = get_restricted_or_404(active_enterprises(), request.user, "change", pk=form.cleaned_data["keep"])
        try:
            services.enterprise_merge(keep=keep, absorb=absorb)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("%(a)s was merged into %(b)s.") % {"a": absorb.name, "b": keep.name})
            return redirect("enterprises:detail", pk=keep.pk)
    return render(
        request,
        "enterprises/merge.html",
        {"e": absorb, "form": form, "candidates": find_duplicates(name=absorb.name, exclude_id=absorb.pk)},
    )


@login_required
@require_POST
def ranking_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(Enterprise.objects.all(), request.user, "change", pk=pk)
    form = RankingForm(request.POST)
    if form.is_valid():
        services.ranking_set(enterprise=enterprise, **form.cleaned_data)
        messages.success(request, _("Ranking saved."))
    else:
        messages.error(
            request,
            _("The ranking was not saved: %(errors)s")
            % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
    return redirect("enterprises:detail", pk=pk)


@login_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_restricted_or_404(Enterprise.objects.all(), request.user, "view", pk=pk)
    scope = scope_for(request.user)
    unit_id = scope.home_unit_id
    if not scope.can_write or unit_id is None:
        raise PermissionDenied
    form = ContactForm(request.POST)
    if form.is_valid():
        from zhaoshang.org.models import Unit

        services.contact_create(enterprise=enterprise, unit=Unit.objects.get(pk=unit_id or 0), data=form.cleaned_data)
        messages.success(request, _("Contact saved."))
    else:
        messages.error(
            request,
            _("The contact was not saved: %(errors)s")
            % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
    return redirect("enterprises:detail", pk=pk)


@login_required
def chain_list(request: HttpRequest) -> HttpResponse:
    chains = IndustryChain.objects.restrict(request.user).prefetch_related("nodes")
    return render(request, "enterprises/chains.html", {"chains": chains})


@login_required
def chain_detail(request: HttpRequest, pk: int) -> HttpResponse:
    chain = get_restricted_or_404(IndustryChain.objects.all(), request.user, pk=pk)
    nodes = list(ChainNode.objects.filter(chain=chain).order_by("segment", "sort_order"))
    from django.db.models import Count

    counts = dict(
        ChainNode.objects.filter(chain=chain, enterprises__merged_into__isnull=True)
        .annotate(n=Count("enterprises"))
        .values_list("id", "n")
    )
    through = Enterprise.chain_nodes.through
    sample: dict[int, list[Any]] = defaultdict(list)
    for row in (
        through.objects.filter(chainnode__chain=chain).select_related("enterprise").order_by("-enterprise_id")[:300]
    ):
        if len(sample[row.chainnode_id]) < 8:
            sample[row.chainnode_id].append(row.enterprise)
    segments: dict[str, list[Any]] = {"upstream": [], "midstream": [], "downstream": []}
    for node in nodes:
        node.enterprise_count = counts.get(node.pk, 0)
        node.sample = sample.get(node.pk, [])
        segments.setdefault(node.segment, []).append(node)
    return render(request, "enterprises/chain_detail.html", {"chain": chain, "segments": segments})
