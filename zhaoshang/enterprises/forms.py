"""Forms of the enterprise registry.  They only collect input; services validate and write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.forms import EditForm, formfield_callback
from zhaoshang.enterprises.models import ChainNode, Enterprise, EnterpriseContact, EnterpriseRanking


class EnterpriseForm(EditForm):
    confirm_not_duplicate = forms.BooleanField(
        label=_("I have checked: this is a different enterprise from the similar ones listed"), required=False
    )

    class Meta:
        model = Enterprise
        formfield_callback = staticmethod(formfield_callback)
        fields = [*Enterprise.EDITABLE_FIELDS, "chain_nodes"]  # the facts the services accept
        widgets = {
            "former_names": forms.Textarea(attrs={"rows": 2}),
            "business_scope": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "industry": forms.TextInput(attrs={"list": "industry-codes", "placeholder": "3911"}),
            "chain_nodes": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["chain_nodes"]).queryset = ChainNode.objects.select_related("chain")
        # Only units the user may attribute work to (org.selectors.attributable_units).
        cast(forms.ModelChoiceField, self.fields["owner_unit"]).queryset = units
        self.fields["owner_unit"].required = True
        self.fields["industry"].help_text = _("GB/T 4754-2017 code, e.g. 3911 or 65")
        self.fields["industry"].error_messages["invalid_choice"] = _("Unknown GB/T 4754-2017 industry code.")

    def validate_unique(self) -> None:
        """Uniqueness (credit code, near-duplicate names) is the service's check, which
        normalises the code first and names the enterprise that clashes."""


class RankingForm(forms.ModelForm):
    class Meta:
        model = EnterpriseRanking
        fields = ["list", "year", "rank"]


class ContactForm(forms.ModelForm):
    class Meta:
        model = EnterpriseContact
        fields = ["name", "title", "phone", "email", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class MergeForm(forms.Form):
    keep = forms.IntegerField(label=_("Keep enterprise (number)"), min_value=1)
