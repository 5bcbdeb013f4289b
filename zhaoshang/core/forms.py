"""Form fields shared by every app."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Self

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models

from zhaoshang.core.params import parse_id


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


def _integer_key(field: forms.ModelChoiceField) -> bool:
    """Whether the choices are named by an integer column (an id), not a code."""
    if field.queryset is None:
        return False
    meta = field.queryset.model._meta
    key = meta.get_field(field.to_field_name) if field.to_field_name else meta.pk
    return isinstance(key, models.IntegerField | models.AutoField)


def _not_an_id(value: Any) -> bool:
    return not isinstance(value, models.Model) and parse_id(value if isinstance(value, int) else str(value)) is None


class IdChoiceField(forms.ModelChoiceField):
    """A choice of one record by id: anything but an id of ``core.params`` (ASCII digits from
    1 to 2**63 - 1) is an invalid choice before any query, so "²", "１２" or 2**63 is a form
    error, never an overflow in the database."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and _integer_key(self) and _not_an_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several records by id, held to the same ids as ``IdChoiceField``."""

    def _check_values(self, value: Any) -> Any:  # type: ignore[misc]
        if _integer_key(self) and isinstance(value, list | tuple):
            for pk in value:
                if _not_an_id(pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)  # type: ignore[misc]


def formfield_callback(field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Use AmountField for every DecimalField of a ModelForm, and the id choice fields for its
    foreign keys and many-to-many fields."""
    if isinstance(field, models.DecimalField):
        return field.formfield(form_class=AmountField, **kwargs)
    if isinstance(field, models.ManyToManyField):
        return field.formfield(form_class=IdMultipleChoiceField, **kwargs)
    if isinstance(field, models.ForeignKey):
        return field.formfield(form_class=IdChoiceField, **kwargs)
    return field.formfield(**kwargs)


def _norm(value: Any) -> Any:
    """A form or model value in one comparable form: records by id, amounts without trailing
    zeros, lists sorted, empty text and nothing alike."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return sorted(str(_norm(v)) for v in value)
    if value is None or value == "":
        return None
    return str(value)


class EditForm(forms.ModelForm):
    """A model form that carries the revision it started from and the values it showed, so
    that a save refused as stale (``core.editing.StaleEdit``) can be shown again merged: the
    fields the user changed keep the user's values, the others show the record as it is now.

    Subclasses list their fields as usual; the two hidden fields are added here."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    base = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20_000)

    SALT = "zhaoshang.core.forms.EditForm"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision
            self.fields["base"].initial = signing.dumps(self.shown_values(), salt=self.SALT, compress=True)

    def shown_values(self) -> dict[str, Any]:
        """The values the form shows, as compared for a merge."""
        values = {}
        for name, field in self.fields.items():
            if name in ("revision", "base"):
                continue
            values[name] = _norm(self.get_initial_for_field(field, name))
        return values

    def base_values(self) -> dict[str, Any] | None:
        """The values the form showed when it was opened (signed, so they cannot be forged)."""
        text = self.data.get(self.add_prefix("base"), "") if self.is_bound else ""
        if not text:
            return None
        try:
            value = signing.loads(text, salt=self.SALT)
        except signing.BadSignature:
            return None
        return value if isinstance(value, dict) else None

    def started_at(self) -> int | None:
        """The revision the edit started from (None for a new record).  A form sent without
        one counts as started from nothing, so it is shown again merged rather than saved
        over whatever the record holds now."""
        if not self.instance.pk:
            return None
        value = self.cleaned_data.get("revision") if hasattr(self, "cleaned_data") else None
        return int(value) if value is not None else 0

    def rebased(self, current: models.Model, **kwargs: Any) -> tuple[Self, list[str]]:
        """After a stale save: a new form on ``current`` showing its values, except in the
        fields this user changed, which keep the user's values.  Returns the form and the
        labels of the fields both changed (the user's value is shown; theirs was saved)."""
        base = self.base_values() or {}
        fresh = type(self)(instance=current, **kwargs)
        theirs = fresh.shown_values()
        mine: dict[str, Any] = {}
        both: list[str] = []
        for name in fresh.fields:
            if name in ("revision", "base") or name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if _norm(value) == base.get(name, _norm(value)):
                continue  # not changed by this user: the record's current value is shown
            mine[name] = value
            if theirs.get(name) != base.get(name) and theirs.get(name) != _norm(value):
                both.append(str(fresh.fields[name].label or name))
        form = type(self)(instance=current, initial=mine, **kwargs)
        return form, both


def apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError on the form: field errors on their fields when the form
    has them, the rest above the form.  The one place that does this for every form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def error_text(source: forms.BaseForm | ValidationError | Exception) -> str:
    """A form's errors, or an exception's messages, as one line for a flash message."""
    if isinstance(source, forms.BaseForm):
        return "；".join(str(e) for errors in source.errors.values() for e in errors)
    if isinstance(source, ValidationError):
        return "；".join(str(m) for m in source.messages)
    return str(source)
