"""Form fields shared by every app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models


class AmountField(forms.DecimalField):
    """A Decimal amount (万元, 亩, %) that accepts the thousands separators people type:
    "1,234.5", "1，234.5" or "1 234.5".  A text input, since a number input refuses them."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {"inputmode": "decimal"}

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(",", "").replace("，", "").replace(" ", "").replace("\u00a0", "").strip()
        return super().to_python(value)


def formfield_callback(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Use AmountField for every DecimalField of a ModelForm."""
    if isinstance(field, models.DecimalField):
        return field.formfield(form_class=AmountField, **kwargs)
    return field.formfield(**kwargs)
