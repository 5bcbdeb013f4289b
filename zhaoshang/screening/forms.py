"""Forms of the screening catalogue.  They collect input; the services validate and write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from zhaoshang.screening import rules
from zhaoshang.screening.models import CHECK_CHOICES, Category, Family, KeywordFact, Kind, Provenance, Rule
from zhaoshang.screening.services import RULE_FIELDS, RuleFields

AREA = forms.Textarea(attrs={"rows": 2})


def _check_help() -> str:
    lines = []
    for name, check in rules.CHECKS.items():
        params = ", ".join(f"{p.name}={p.default}" for p in check.params) or "—"
        lines.append(f"{name}: {params}")
    return "; ".join(lines)


class RuleForm(forms.Form):
    """A rule of the catalogue as its editor types it: lists as text, parameters as
    ``name=value`` lines."""

    # The rule's revision the edit started from (core.editing): a save over someone else's
    # newer one is refused and shown.
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    code = forms.CharField(
        label=_("Code"), max_length=60, help_text=_("Capital letters, digits and hyphens, e.g. 3NO-OVERCAP-GLASS.")
    )
    family = forms.ChoiceField(label=_("Family"), choices=Family.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Kind.choices,
        help_text=_("Block: the project cannot move past negotiating. Warn: shown, does not stop the project."),
    )
    basis = forms.CharField(label=_("Policy basis"), widget=AREA, help_text=_("The policy document, by its name."))
    provenance = forms.ChoiceField(label=_("Provenance"), choices=Provenance.choices)
    item_number = forms.CharField(label=_("Catalogue item number"), required=False, max_length=40)
    item_text = forms.CharField(
        label=_("Catalogue item wording"),
        required=False,
        widget=AREA,
        help_text=_("Only for a quoted item: its exact wording, copied from the source."),
    )
    source = forms.CharField(
        label=_("Source of the entry"),
        required=False,
        widget=AREA,
        help_text=_("Where the rule or the quoted wording comes from: document and page, or web address."),
    )
    industry_prefixes = forms.CharField(
        label=_("Industry code prefixes"),
        required=False,
        help_text=_("GB/T 4754-2017 codes of any level, separated by commas, e.g. 3041, 3011."),
    )
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=AREA,
        help_text=_("Separated by 、 or commas or one per line; at least 2 characters each."),
    )
    keyword_facts = forms.MultipleChoiceField(
        label=_("Keywords are looked for in"),
        required=False,
        choices=KeywordFact.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    except_terms = forms.CharField(
        label=_("Exception terms"),
        required=False,
        help_text=_("A keyword found inside one of these terms does not count, e.g. 导电石 for 电石."),
    )
    numeric_check = forms.ChoiceField(label=_("Numeric check"), required=False, choices=CHECK_CHOICES)
    params = forms.CharField(
        label=_("Check parameters"),
        required=False,
        widget=AREA,
        help_text=_check_help(),
    )
    message_zh = forms.CharField(label=_("Message (Chinese)"), widget=AREA)
    message_en = forms.CharField(label=_("Message (English)"), widget=AREA)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code names the rule in verdicts and does not change.")

    @staticmethod
    def initial_for(rule: Rule) -> dict[str, Any]:
        return {
            "revision": rule.revision,
            "code": rule.code,
            "family": rule.family,
            "category": rule.category,
            "kind": rule.kind,
            "basis": rule.basis,
            "provenance": rule.provenance,
            "item_number": rule.item_number,
            "item_text": rule.item_text,
            "source": rule.source,
            "industry_prefixes": ", ".join(rule.industry_prefixes or []),
            "keywords": "、".join(rule.keywords or []),
            "keyword_facts": list(rule.keyword_facts or []),
            "except_terms": "、".join(rule.except_terms or []),
            "numeric_check": rule.numeric_check,
            "params": "\n".join(f"{k}={v}" for k, v in (rule.params or {}).items()),
            "message_zh": rule.message_zh,
            "message_en": rule.message_en,
            "active": rule.active,
        }

    def clean_params(self) -> dict[str, str]:
        text = self.cleaned_data.get("params") or ""
        params: dict[str, str] = {}
        for line in text.replace("；", "\n").replace(";", "\n").splitlines():
            line = line.strip()
            if not line:
                continue
            name, sep, value = line.replace("＝", "=").partition("=")
            if not sep or not name.strip() or not value.strip():
                raise forms.ValidationError(_("Write one parameter per line as name=value, e.g. floor=300."))
            params[name.strip()] = value.strip()
        return params

    def service_data(self) -> RuleFields:
        return cast(RuleFields, {k: v for k, v in self.cleaned_data.items() if k in RULE_FIELDS})


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=AREA)
