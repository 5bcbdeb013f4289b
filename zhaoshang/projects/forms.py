"""Forms of the project pipeline.  They collect input; services validate and write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.forms import AmountField, EditForm, IdChoiceField, formfield_callback
from zhaoshang.enterprises.models import ChainNode, Enterprise
from zhaoshang.enterprises.selectors import resolve_references
from zhaoshang.org.models import Unit
from zhaoshang.projects.models import CreditRole, Project, ProjectContact, Stage

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(EditForm):
    enterprise_ref = forms.CharField(
        label=_("Enterprise (registry number, credit code or exact name)"),
        required=False,
        widget=forms.TextInput(attrs={"list": "enterprise-suggestions", "autocomplete": "off"}),
    )

    class Meta:
        model = Project
        formfield_callback = staticmethod(formfield_callback)
        # The facts the services accept, less the two the form asks differently: the
        # enterprise (by reference, below) and the officer in charge (the creating user).
        fields = [f for f in Project.EDITABLE_FIELDS if f not in ("enterprise", "owner")]
        widgets = {
            "industry": forms.TextInput(attrs={"placeholder": "3911"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            **{
                f: DATE
                for f in (
                    "fx_date",
                    "first_contact_on",
                    "signed_on",
                    "registered_on",
                    "land_acquired_on",
                    "construction_started_on",
                    "production_started_on",
                    "full_capacity_on",
                )
            },
        }

    field_order = ["name", "enterprise_ref"]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only units the user may attribute work to (org.selectors.attributable_units).
        cast(forms.ModelChoiceField, self.fields["lead_unit"]).queryset = units
        cast(forms.ModelChoiceField, self.fields["chain_node"]).queryset = ChainNode.objects.select_related("chain")
        self.fields["industry"].error_messages["invalid_choice"] = _("Unknown GB/T 4754-2017 industry code.")
        if self.instance.pk and self.instance.enterprise_id:
            self.fields["enterprise_ref"].initial = str(self.instance.enterprise_id)

    def clean_enterprise_ref(self) -> Enterprise | None:
        """The enterprise named by number, credit code or exact name, resolved as the
        import resolves it (``enterprises.selectors.resolve_references``)."""
        ref = (self.cleaned_data.get("enterprise_ref") or "").strip()
        if not ref:
            return None
        found = resolve_references([ref])[ref]
        if found.error is not None:
            raise forms.ValidationError(found.error)
        assert found.enterprise_id is not None
        return Enterprise.objects.get(pk=found.enterprise_id)


class MoveForm(forms.Form):
    target = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override = forms.BooleanField(label=_("Leader override of the stage gates"), required=False)


class CreditForm(forms.Form):
    unit = IdChoiceField(label=_("Unit"), queryset=Unit.objects.filter(active=True), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=CreditRole.choices, required=False)
    share = AmountField(label=_("Share (%)"), max_digits=5, decimal_places=2, required=False, min_value=0)


CreditFormSet = forms.formset_factory(CreditForm, extra=0, min_num=1, max_num=10)


class MemberForm(forms.Form):
    username = forms.CharField(label=_("User name"))

    def clean_username(self) -> Any:
        name = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active user is called %(name)s.") % {"name": name})
        return user


class ContactForm(forms.ModelForm):
    class Meta:
        model = ProjectContact
        fields = ["name", "title", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}
