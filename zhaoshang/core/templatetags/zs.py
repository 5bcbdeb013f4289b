"""Template helpers shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bs(field: Any, size: str = "sm") -> SafeString:
    """Render a bound field with the Bootstrap class its widget needs."""
    widget = field.field.widget
    suffix = f" form-select-{size}" if size else ""
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select" + suffix
    else:
        css = "form-control" + (f" form-control-{size}" if size else "")
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})  # type: ignore[no-any-return]


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
