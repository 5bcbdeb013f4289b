"""Forms of the evaluation: scheme versions and the rating procedure.  They collect input;
the services validate and write."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.forms import AmountField, IdChoiceField, IdMultipleChoiceField
from zhaoshang.evaluation.models import Decision, Opinion, SchemeVersion

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _json_field(label: Any, initial: Any, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        initial=json.dumps(initial, ensure_ascii=False, indent=1),
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=help_text,
    )


def _parse_json(value: str, message: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError) as exc:
        raise forms.ValidationError(message) from exc


class SchemeVersionForm(forms.Form):
    """A new version of the scheme, prefilled from the current one: each indicator's weight
    and its criteria (JSON, for the parameters), the zone's floors, the grade bounds, the
    vetoes and hard thresholds, and a note saying what changed."""

    intensity_floor = AmountField(label=_("investment intensity floor (10k CNY per mu)"))
    tax_floor = AmountField(label=_("expected tax per mu floor (10k CNY per mu)"))
    grade_a = AmountField(label=_("lower bound of grade A"))
    grade_b = AmountField(label=_("lower bound of grade B"))
    grade_c = AmountField(label=_("lower bound of grade C"))
    note = forms.CharField(
        label=_("what changed and why"), widget=forms.Textarea(attrs={"rows": 2}), required=True, max_length=2000
    )

    def __init__(self, *args: Any, current: SchemeVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        self.indicator_keys: list[str] = []
        names = current.names()
        for item in current.indicators:
            key = item["key"]
            self.indicator_keys.append(key)
            self.fields[f"weight_{key}"] = AmountField(
                label=_("weight: %(name)s") % {"name": names.get(key, key)}, initial=Decimal(str(item["weight"]))
            )
            self.fields[f"criteria_{key}"] = _json_field(
                _("criteria: %(name)s") % {"name": names.get(key, key)}, item.get("criteria", [])
            )
        self.fields["vetoes"] = _json_field(_("vetoes"), current.vetoes)
        self.fields["hard_thresholds"] = _json_field(
            _("hard thresholds"),
            current.hard_thresholds,
            _("A fact below its floor (or minimum) caps the grade at max_grade."),
        )
        for name in ("intensity_floor", "tax_floor", "grade_a", "grade_b", "grade_c"):
            self.fields[name].initial = getattr(current, name)

    def weight_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"weight_{k}"], self[f"criteria_{k}"]) for k in self.indicator_keys]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        indicators = []
        for item in self.current.indicators:
            key = item["key"]
            criteria_text = data.get(f"criteria_{key}")
            if criteria_text is None:
                continue
            try:
                criteria = _parse_json(criteria_text, _("The criteria are not valid JSON."))
            except forms.ValidationError as exc:
                self.add_error(f"criteria_{key}", exc)
                continue
            weight = data.get(f"weight_{key}")
            indicators.append({**item, "weight": str(weight) if weight is not None else None, "criteria": criteria})
        data["indicators"] = indicators
        for name in ("vetoes", "hard_thresholds"):
            try:
                data[name] = _parse_json(data.get(name, ""), _("This is not valid JSON."))
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        return data


def _staff() -> Any:
    return get_user_model().objects.filter(is_active=True).order_by("username")


class MeetingForm(forms.Form):
    date = forms.DateField(label=_("meeting date"), widget=DATE)
    members = IdMultipleChoiceField(
        label=_("members"), queryset=_staff(), widget=forms.SelectMultiple(attrs={"size": 6})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["members"]
        field.queryset = _staff()
        field.label_from_instance = lambda u: u.get_full_name() or u.username


class OpinionForm(forms.Form):
    member = IdChoiceField(label=_("member"), queryset=_staff())
    opinion = forms.ChoiceField(label=_("opinion"), choices=Opinion.choices)
    conditions = forms.CharField(label=_("conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, members: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["member"]
        if members is not None:
            field.queryset = members
        field.label_from_instance = lambda u: u.get_full_name() or u.username


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), choices=Decision.choices)
    reason = forms.CharField(
        label=_("reason for the decision"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    conditions = forms.CharField(
        label=_("conditions (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("They become follow-up items on the project."),
    )
