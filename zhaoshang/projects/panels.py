"""Panels that later mechanisms (screening, evaluation…) add to a project's detail page.

The pipeline does not know those apps: each registers a function that renders its panel
for one project and request (an empty string shows nothing).  Dependencies keep pointing
one way: the mechanisms import projects, never the reverse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[HttpRequest, Any, bool], str]
_PANELS: dict[str, tuple[int, Panel]] = {}


def register_panel(name: str, panel: Panel, *, order: int = 100) -> None:
    """Add (or replace) the panel ``name``; lower ``order`` shows first."""
    _PANELS[name] = (order, panel)


def render_panels(request: HttpRequest, project: Any, can_change: bool) -> list[SafeString]:
    """Every registered panel rendered for ``project``, in order, skipping empty ones."""
    html = []
    for _order, panel in sorted(_PANELS.values(), key=lambda item: item[0]):
        text = panel(request, project, can_change)
        if text:
            html.append(mark_safe(text))  # noqa: S308  # rendered by the panel's own template
    return html
