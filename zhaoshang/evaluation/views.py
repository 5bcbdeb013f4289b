"""Views of the evaluation: the panel on a project's page, the rating procedure's actions,
the ranking, the comparison and the scheme pages.  Thin: restrict(), selectors, services."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhaoshang.core.forms import error_text
from zhaoshang.core.paging import peek_page
from zhaoshang.core.params import flag_param, id_list_param
from zhaoshang.core.scoping import CREATE, RATE, get_restricted_or_404, may
from zhaoshang.evaluation import rules, selectors, services
from zhaoshang.evaluation.filtersets import RankingFilter
from zhaoshang.evaluation.forms import DecisionForm, MeetingForm, OpinionForm, SchemeVersionForm
from zhaoshang.evaluation.models import ProjectCondition, ReviewMeeting, SchemeVersion, Score
from zhaoshang.projects import rules as pipeline
from zhaoshang.projects.models import Project

PER_PAGE = 50
COMPARE_MAX = 8


def _errors(exc: ValidationError) -> str:
    return error_text(exc)


# -- what a score says, for the pages ----------------------------------------------------------


def _fact_names(facts: list[str]) -> list[str]:
    return [str(rules.FACT_LABELS.get(f, f)) for f in facts]


def score_view(
    score: Score | None, version: SchemeVersion | None = None, *, with_hints: bool = False
) -> dict[str, Any] | None:
    """A stored score as rows and sentences in the current language; ``with_hints`` adds what
    would change the grade, worked out from the project's current facts (one project's page)."""
    if score is None:
        return None
    version = version or score.version
    names = version.names()
    rows = []
    for item in version.indicators:
        key = item["key"]
        c = score.contributions.get(key) or {}
        rows.append(
            {
                "key": key,
                "name": names.get(key, key),
                "weight": Decimal(str(c.get("weight", item.get("weight", "0")))),
                "points": Decimal(str(c.get("points", "0"))),
                "value": Decimal(str(c.get("value", "0"))),
                "missing": _fact_names(c.get("missing", [])),
            }
        )
    return {
        "score": score,
        "rows": rows,
        "vetoes": [names.get(v, v) for v in score.vetoes],
        "caps": [
            {
                "name": names.get(c["key"], c["key"]),
                "value": c["value"],
                "minimum": c["minimum"],
                "max_grade": c["max_grade"],
            }
            for c in score.caps
        ],
        "missing": _fact_names(score.missing),
        "hints": [selectors.hint_sentence(h, names) for h in selectors.hints_for(score.project_id, version)]
        if with_hints
        else [],
        "radar": {
            "indicators": [{"name": r["name"], "max": 100} for r in rows],
            "series": [{"name": "", "value": [float(r["value"]) for r in rows]}],
        },
    }


# -- the panel on the project page ----------------------------------------------------------------


def project_panel(request: HttpRequest, project: Any, can_change: bool) -> str:
    """Score, grade, contributions, vetoes, caps, hints, radar, and the rating procedure."""
    score = Score.objects.restrict(request.user).filter(project_id=project.pk).select_related("version").first()
    coordinates = may(request.user, RATE, project)
    procedure = selectors.procedure_of(project.pk, request.user)
    meetings = list(
        ReviewMeeting.objects.restrict(request.user)
        .filter(project_id=project.pk)
        .select_related("decided_by")
        .prefetch_related("members", "opinions__member")
    )
    open_meeting = next((m for m in meetings if not m.is_decided), None)
    fast_track_errors: list[str] = []
    if project.stage == pipeline.REVIEW and not procedure.cleared and coordinates and open_meeting is None:
        fast_track_errors = services.fast_track_errors(project)
    user_id = getattr(request.user, "pk", None)
    opinion_form = None
    decision_form = None
    if open_meeting is not None:
        members = open_meeting.members.all()
        is_member = any(m.pk == user_id for m in members)
        if coordinates or is_member:
            allowed = members if coordinates else members.filter(pk=user_id)
            opinion_form = OpinionForm(members=allowed, initial={"member": user_id if is_member else None})
        if coordinates:
            proposed = "\n".join(o.conditions for o in open_meeting.opinions.all() if o.conditions)
            decision_form = DecisionForm(initial={"conditions": proposed})
    context = {
        "p": project,
        "view": score_view(score, with_hints=True),
        "coordinates": coordinates,
        "can_change": can_change,
        "procedure": procedure,
        "at_review": project.stage == pipeline.REVIEW,
        "fast_track_eligible": project.stage == pipeline.REVIEW and coordinates and not fast_track_errors,
        "fast_track_errors": fast_track_errors,
        "meetings": meetings,
        "open_meeting": open_meeting,
        "meeting_form": MeetingForm(initial={"date": timezone.localdate()}) if coordinates else None,
        "opinion_form": opinion_form,
        "decision_form": decision_form,
        "conditions": list(
            ProjectCondition.objects.restrict(request.user).filter(project_id=project.pk).select_related("done_by")
        ),
        "may_tick": can_change or coordinates,
    }
    return render_to_string("evaluation/_panel.html", context, request=request)


def _project(request: HttpRequest, pk: int) -> Project:
    return get_restricted_or_404(Project.objects.all(), request.user, "view", pk=pk)  # type: ignore[no-any-return]


def _back(pk: int) -> HttpResponse:
    return redirect("projects:detail", pk=pk)


@login_required
@require_POST
def fast_track(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    try:
        services.fast_track_confirm(project=project, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        text = _errors(exc) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, _("Not fast-tracked: %(reasons)s") % {"reasons": text})
    else:
        messages.success(request, _("Fast track confirmed: the project may be signed."))
    return _back(pk)


@login_required
@require_POST
def meeting_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    form = MeetingForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return _back(pk)
    try:
        services.meeting_create(
            project=project,
            user=request.user,
            date=form.cleaned_data["date"],
            members=list(form.cleaned_data["members"]),
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Review meeting convened."))
    return _back(pk)


def _meeting(request: HttpRequest, pk: int) -> ReviewMeeting:
    return get_restricted_or_404(ReviewMeeting.objects.all(), request.user, "view", pk=pk)  # type: ignore[no-any-return]


@login_required
@require_POST
def opinion(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = OpinionForm(request.POST, members=meeting.members.all())
    if not form.is_valid():
        messages.error(request, error_text(form))
        return _back(meeting.project_id)
    try:
        services.opinion_set(
            meeting=meeting,
            member=form.cleaned_data["member"],
            user=request.user,
            opinion=form.cleaned_data["opinion"],
            conditions=form.cleaned_data["conditions"],
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Opinion recorded."))
    return _back(meeting.project_id)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return _back(meeting.project_id)
    try:
        services.meeting_decide(
            meeting=meeting,
            user=request.user,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            conditions=form.cleaned_data["conditions"],
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _("The decision was not recorded: %(reasons)s") % {"reasons": _errors(exc)})
    else:
        messages.success(request, _("Decision recorded."))
    return _back(meeting.project_id)


@login_required
@require_POST
def condition_done(request: HttpRequest, pk: int) -> HttpResponse:
    condition = get_restricted_or_404(ProjectCondition.objects.all(), request.user, "view", pk=pk)
    try:
        services.condition_done(
            condition=condition, user=request.user, done=flag_param(request.POST, "done", default=True)
        )
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Condition updated."))
    return _back(condition.project_id)


# -- ranking and comparison ------------------------------------------------------------------------


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """Projects the user may see, best score first, with filters and a no-count pager."""
    base = Project.objects.restrict(request.user, "view")
    f = RankingFilter(request.GET or None, queryset=base, request=request)
    qs = f.qs if f.is_bound and f.is_valid() else base
    page = peek_page(request, selectors.ranked(qs), per_page=PER_PAGE)
    rows = selectors.rank_rows(page.items, start=(page.number - 1) * PER_PAGE)
    outcomes = services.screening_outcomes([r.pk for r in rows]) if rows else {}
    page.items = [dataclasses.replace(r, outcome=outcomes.get(r.pk, "")) for r in rows]
    return render(
        request,
        "evaluation/ranking.html",
        {"filter": f, "page": page, "version": selectors.active_version(request.user)},
    )


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """Two or more projects side by side: facts, each indicator's points, grades, one radar."""
    ids = id_list_param(request.GET, "ids")
    if len(ids) < 2:
        messages.info(request, _("Tick two or more projects to compare them."))
        return redirect("evaluation:ranking")
    if len(ids) > COMPARE_MAX:
        messages.info(request, _("At most %(n)s projects are compared at once.") % {"n": COMPARE_MAX})
        ids = ids[:COMPARE_MAX]
    found = {
        p.pk: p
        for p in Project.objects.restrict(request.user, "view")
        .filter(pk__in=ids)
        .select_related("enterprise", "lead_unit", "chain_node__chain")
    }
    if len(found) != len(ids):
        raise Http404  # one of them is missing or out of scope: the same answer for both
    projects = [found[pk] for pk in ids]
    version = selectors.active_version(request.user)
    facts = selectors.project_facts(ids)
    names = version.names() if version else {}
    keys = [item["key"] for item in version.indicators] if version else []
    fact_rows = []
    for fact in COMPARE_FACTS:
        fact_rows.append(
            {
                "label": rules.FACT_LABELS[fact],
                "values": [selectors.display_value(fact, facts.get(p.pk, {}).get(fact)) for p in projects],
            }
        )
    shown = {
        s.project_id: s
        for s in Score.objects.restrict(request.user).filter(project_id__in=ids).select_related("version")
    }
    scores = [shown.get(p.pk) for p in projects]
    indicator_rows = []
    for key in keys:
        cells = []
        for s in scores:
            c = (s.contributions.get(key) if s is not None else None) or {}
            cells.append({"points": c.get("points"), "value": c.get("value"), "weight": c.get("weight")})
        indicator_rows.append({"name": names.get(key, key), "cells": cells})
    radar = {
        "indicators": [{"name": names.get(k, k), "max": 100} for k in keys],
        "series": [
            {
                "name": p.name,
                "value": [float((s.contributions.get(k) or {}).get("value", 0)) if s is not None else 0 for k in keys],
            }
            for p, s in zip(projects, scores, strict=True)
        ],
    }
    views = [score_view(s) if s is not None else None for s in scores]
    columns = [{"p": p, "score": s, "view": v} for p, s, v in zip(projects, scores, views, strict=True)]
    return render(
        request,
        "evaluation/compare.html",
        {"columns": columns, "fact_rows": fact_rows, "indicator_rows": indicator_rows, "radar": radar},
    )


COMPARE_FACTS = (
    "planned_investment",
    "fixed_asset_investment",
    "land_mu",
    "investment_intensity",
    "tax_per_mu",
    "expected_output",
    "expected_jobs",
    "is_listed",
    "is_industry_leader",
    "revenue",
    "chain_fit",
    "rd_share",
    "patents",
    "high_tech",
    "funding_status",
)


# -- scheme pages ------------------------------------------------------------------------------------


def criterion_text(criterion: rules.Criterion) -> str:
    """How one criterion scores, in a sentence (floors already applied to its bounds)."""
    fact = str(rules.FACT_LABELS.get(criterion.fact, criterion.fact))
    if criterion.method == "threshold":
        text = _("%(fact)s at least %(n)s → 100") % {"fact": fact, "n": selectors.display_value("", criterion.at_least)}
    elif criterion.method == "linear":
        text = _("%(fact)s: 0 at %(low)s or less, 100 at %(high)s or more, straight line between") % {
            "fact": fact,
            "low": selectors.display_value("", criterion.low),
            "high": selectors.display_value("", criterion.high),
        }
    elif criterion.method == "bands":
        bands = "；".join(
            f"≥ {selectors.display_value('', b)} → {selectors.display_value('', v)}" for b, v in criterion.bands
        )
        text = _("%(fact)s in bands: %(bands)s") % {"fact": fact, "bands": bands}
    else:
        levels = "；".join(
            f"{selectors.display_value(criterion.fact, code)} → {selectors.display_value('', v)}"
            for code, v in criterion.levels
        )
        text = _("%(fact)s: %(levels)s") % {"fact": fact, "levels": levels}
    if criterion.scale != rules.HUNDRED:
        text += " " + _("(worth %(n)s %% of the indicator)") % {"n": selectors.display_value("", criterion.scale)}
    if criterion.per_floor:
        text += " " + _("(bounds follow the floor)")
    return text


def _version_context(version: SchemeVersion) -> dict[str, Any]:
    spec = version.spec()
    english = (request_language() or "").startswith("en")
    return {
        "version": version,
        "indicators": [
            {
                "name": i.name_en if english else i.name_zh,
                "weight": i.weight,
                "combine": i.combine,
                "criteria": [criterion_text(c) for c in i.criteria],
            }
            for i in spec.indicators
        ],
        "vetoes": [v.name_en if english else v.name_zh for v in spec.vetoes],
        "thresholds": [
            {"name": t.name_en if english else t.name_zh, "minimum": t.minimum, "max_grade": t.max_grade}
            for t in spec.thresholds
        ],
    }


def request_language() -> str:
    from django.utils.translation import get_language

    return get_language() or ""


def _scheme_page(request: HttpRequest, version: SchemeVersion | None) -> HttpResponse:
    if version is None:
        raise Http404
    return render(
        request,
        "evaluation/scheme.html",
        {
            **_version_context(version),
            "versions": selectors.versions(request.user),
            "can_edit": may(request.user, CREATE, SchemeVersion),
        },
    )


@login_required
def scheme(request: HttpRequest) -> HttpResponse:
    return _scheme_page(request, selectors.active_version(request.user))


@login_required
def scheme_version(request: HttpRequest, number: int) -> HttpResponse:
    return _scheme_page(request, selectors.versions(request.user).filter(number=number).first())


@login_required
def scheme_edit(request: HttpRequest) -> HttpResponse:
    """A new version of the scheme (coordinators and leaders); saving re-scores every project."""
    if not may(request.user, CREATE, SchemeVersion):
        raise PermissionDenied
    current = selectors.active_version(request.user)
    if current is None:
        raise Http404
    form = SchemeVersionForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.scheme_version_create(
                user=request.user,
                indicators=data["indicators"],
                vetoes=data["vetoes"],
                hard_thresholds=data["hard_thresholds"],
                intensity_floor=data["intensity_floor"],
                tax_floor=data["tax_floor"],
                grade_bounds=(data["grade_a"], data["grade_b"], data["grade_c"]),
                note=data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Version %(n)s is now in force; every project is being scored again with it (see My jobs).")
                % {"n": version.number},
            )
            return redirect("evaluation:scheme")
    return render(request, "evaluation/scheme_form.html", {"form": form, "current": current})
