"""Views of the screening app: thin, through services, selectors and restrict()."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhaoshang.core.audit import history_for
from zhaoshang.core.editing import StaleEdit
from zhaoshang.core.forms import apply_errors
from zhaoshang.core.paging import peek_page
from zhaoshang.core.params import choice_param, text_param
from zhaoshang.core.scoping import CHANGE, VIEW, get_restricted_or_404, may
from zhaoshang.core.tabular import views as tabular_views
from zhaoshang.core.tabular.uploads import FileRefused
from zhaoshang.projects.models import Project
from zhaoshang.screening import rules, services
from zhaoshang.screening.filtersets import RuleFilter
from zhaoshang.screening.forms import DeactivateForm, RuleForm
from zhaoshang.screening.models import CatalogueEntry, EntryClass, Outcome, Rule, Verdict
from zhaoshang.screening.selectors import PanelHit, rule_links, screened_projects


def _is_editor(request: HttpRequest) -> bool:
    return may(request.user, CHANGE, Rule)


def _require_editor(request: HttpRequest) -> None:
    if not _is_editor(request):
        raise PermissionDenied


# -- rules ------------------------------------------------------------------------------------


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    base = Rule.objects.restrict(request.user, "view")
    f = RuleFilter(request.GET or None, queryset=base)
    qs = f.qs if f.is_bound and f.is_valid() else base
    page = peek_page(request, qs.order_by("family", "category", "code"), per_page=100)
    return render(
        request,
        "screening/rules.html",
        {"filter": f, "page": page, "can_edit": _is_editor(request), "version": services.current_version()},
    )


@login_required
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_restricted_or_404(Rule.objects.select_related("added_by"), request.user, pk=pk)
    return render(
        request,
        "screening/rule_detail.html",
        {
            "rule": rule,
            "can_edit": _is_editor(request),
            "history": history_for(rule),
            "check": rules.CHECKS.get(rule.numeric_check),
            "params": sorted((rule.params or {}).items()),
            "deactivate_form": DeactivateForm(),
        },
    )


@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = RuleForm(request.POST or None, initial={"active": True, "keyword_facts": list(rules.KEYWORD_FACTS)})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(data=form.service_data(), user=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Rule %(code)s added; every project is being screened again (see My jobs).") % {"code": rule.code},
            )
            return redirect("screening:rule_detail", pk=rule.pk)
    return render(request, "screening/rule_form.html", {"form": form, "creating": True})


@login_required
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    rule = get_restricted_or_404(Rule.objects.all(), request.user, "change", pk=pk)
    form = RuleForm(request.POST or None, initial=RuleForm.initial_for(rule), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(
                rule=rule,
                data=form.service_data(),
                user=request.user,
                revision=form.cleaned_data.get("revision") or 0,
            )
        except StaleEdit as exc:
            # The user's input is kept; saving again, now knowing what changed, applies it.
            data = request.POST.copy()
            current = cast(Rule, exc.current)
            data["revision"] = str(current.revision)
            form = RuleForm(data, initial=RuleForm.initial_for(current), editing=True)
            form.is_valid()
            messages.warning(request, exc.message)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Rule saved; every project is being screened again (see My jobs)."))
            return redirect("screening:rule_detail", pk=rule.pk)
    return render(request, "screening/rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    rule = get_restricted_or_404(Rule.objects.all(), request.user, "change", pk=pk)
    form = DeactivateForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.rule_set_active(rule=rule, active=not rule.active, user=request.user, reason=reason)
    if rule.active:
        messages.success(request, _("Rule reactivated; every project is being screened again (see My jobs)."))
    else:
        messages.success(request, _("Rule deactivated; every project is being screened again (see My jobs)."))
    return redirect("screening:rule_detail", pk=rule.pk)


# -- catalogue entries ------------------------------------------------------------------------


@login_required
def entry_list(request: HttpRequest) -> HttpResponse:
    qs = CatalogueEntry.objects.restrict(request.user, "view")
    entry_class = choice_param(request.GET, "entry_class", EntryClass.values, default="")
    if entry_class:
        qs = qs.filter(entry_class=entry_class)
    q = text_param(request.GET, "q")
    if q:
        qs = qs.filter(Q(wording__icontains=q) | Q(section__icontains=q) | Q(keywords__icontains=q))
    page = peek_page(request, qs.select_related("added_by").order_by("entry_class", "section", "id"))
    return render(
        request,
        "screening/entries.html",
        {
            "page": page,
            "can_edit": _is_editor(request),
            "classes": EntryClass.choices,
            "entry_class": entry_class,
            "q": q,
        },
    )


@login_required
@require_POST
def entry_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    entry = get_restricted_or_404(CatalogueEntry.objects.all(), request.user, "change", pk=pk)
    services.entry_set_active(entry=entry, active=not entry.active, user=request.user)
    messages.success(request, _("Entry updated; every project is being screened again (see My jobs)."))
    return redirect("screening:entries")


@login_required
def entry_import(request: HttpRequest) -> HttpResponse:
    """The import engine's page for the entries' sheet, for coordinators and leaders only."""
    _require_editor(request)
    return tabular_views.import_view(request, resource="screening_entries")


@login_required
def entry_template(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    return tabular_views.template_view(request, resource="screening_entries")


@login_required
def entry_export(request: HttpRequest) -> HttpResponse:
    from zhaoshang.core.tabular.export import export_response

    return export_response(
        resource="screening_entries", queryset=CatalogueEntry.objects.restrict(request.user, "view"), fmt="xlsx"
    )


# -- screened projects ------------------------------------------------------------------------


def _message(hit: dict[str, Any], english: bool) -> str:
    return str(hit.get("message_en") if english else hit.get("message_zh") or hit.get("message_en") or "")


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """Projects the user may see, by screening outcome (blocked first by default)."""
    outcome = choice_param(request.GET, "outcome", (*rules.OUTCOMES, "all"), default=rules.BLOCK)
    base = Project.objects.restrict(request.user, "view")
    page = peek_page(request, screened_projects(base, outcome))
    english = (get_language() or "").startswith("en")
    rows = []
    for p in page:
        verdict = p.screening_verdict
        rows.append((p, verdict, [(h.get("rule", ""), h.get("kind", ""), _message(h, english)) for h in verdict.hits]))
    return render(
        request,
        "screening/projects.html",
        {"page": page, "rows": rows, "outcome": outcome, "outcomes": [*Outcome.choices, ("all", _("all"))]},
    )


# -- the panel on the project's page --------------------------------------------------------


def project_panel(request: HttpRequest, project: Project, can_change: bool) -> str:
    """The project's verdict: each hit with its fact, value and basis, the rules that could
    not be checked, and leaders' overrides of the pipeline's gates."""
    verdict = Verdict.objects.filter(project_id=project.pk).first()
    if verdict is None:
        # Not stored yet (a project from before the catalogue): worked out for the page,
        # not written: a GET changes nothing.
        verdict = services.verdict_now(project)
    english = (get_language() or "").startswith("en")
    codes = {str(h.get("rule", "")) for h in verdict.hits} | {str(u.get("rule", "")) for u in verdict.unchecked}
    links = rule_links(codes)
    hits = []
    for h in verdict.hits:
        code = str(h.get("rule", ""))
        url = reverse("screening:rule_detail", args=[links[code]]) if code in links else ""
        if not url and code.startswith("ISAC2024-"):
            url = reverse("screening:entries")
        hits.append(
            PanelHit(
                rule=code,
                kind=str(h.get("kind", "")),
                fact=rules.FACT_LABELS.get(str(h.get("fact", "")), h.get("fact", "")),
                value=str(h.get("value", "")),
                detail=str(h.get("detail", "")),
                basis=str(h.get("basis", "")),
                message=_message(h, english),
                url=url,
                context=h.get("context") == rules.INVESTOR,
            )
        )
    hits.sort(key=lambda h: (h.kind != rules.BLOCK, h.rule))
    by_facts: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for u in verdict.unchecked:
        by_facts[tuple(u.get("facts", ()))].append(str(u.get("rule", "")))
    unchecked = [
        ("、".join(str(rules.FACT_LABELS.get(f, f)) for f in facts), sorted(codes))
        for facts, codes in sorted(by_facts.items())
    ]
    overrides = [s for s in project.stage_changes.all() if s.is_override]
    return render_to_string(
        "screening/_panel.html",
        {
            "verdict": verdict,
            "hits": hits,
            "unchecked": unchecked,
            "overrides": overrides,
        },
        request=request,
    )


# -- pre-screening a candidate list ------------------------------------------------------------

_VERDICT_LABELS = {
    rules.PASS: gettext_lazy("pass"),
    rules.WARN: gettext_lazy("warn"),
    rules.BLOCK: gettext_lazy("block"),
}


def _prescreen_workbook(rows: list[services.Candidate], filename: str) -> HttpResponse:
    """The pre-screening as a workbook: one line per hit (a row without hits, one line)."""
    from zhaoshang.core.tabular.export import workbook_response

    def lines() -> Iterator[list[Any]]:
        for row in rows:
            start = [row["row"], row["name"], str(_VERDICT_LABELS[row["verdict"]])]
            hits = [[h["rule"], str(_VERDICT_LABELS[h["kind"]]), h["fact"], h["basis"]] for h in row["hits"]]
            for hit in hits or [[]]:
                yield start + hit

    stem = filename.rsplit(".", 1)[0] or "candidates"
    return workbook_response(
        title=_("Pre-screening"),
        headers=[_("Row"), _("Project name"), _("Verdict"), _("Rule"), _("Kind"), _("Fact"), _("Basis")],
        rows=lines(),
        filename=f"{stem}-预甄别.xlsx",
    )


@login_required
def prescreen(request: HttpRequest) -> HttpResponse:
    """批量预甄别: upload a list of candidates, see each row's verdict, or take it as a workbook.
    Nothing is saved; any staff member may, as any may read the catalogue."""
    if not may(request.user, VIEW, Rule):
        raise PermissionDenied
    context: dict[str, Any] = {"columns": list(rules.CANDIDATE_COLUMNS)}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["form_error"] = _("Choose a file to upload.")
        else:
            filename = upload.name or ""
            try:
                rows = services.prescreen(upload.read(), filename)
            except FileRefused as exc:
                context["form_error"] = exc.message
            else:
                if request.POST.get("as") == "xlsx":
                    return _prescreen_workbook(rows, filename)
                context.update(
                    done=True,
                    filename=filename,
                    rows=rows,
                    counts={o: sum(r["verdict"] == o for r in rows) for o in rules.OUTCOMES},
                )
    return render(request, "screening/prescreen.html", context)
