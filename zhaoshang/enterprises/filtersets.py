"""Filters of the enterprise list (shared by the page and its export)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.filters import IdChoiceFilter, TextFilter
from zhaoshang.enterprises.models import ChainNode, Enterprise
from zhaoshang.enterprises.selectors import TAG_FILTERS, search_enterprises

TAG_CHOICES = [
    ("fortune500", _("Fortune Global 500")),
    ("china500", _("China 500")),
    ("private500", _("China private 500")),
    ("listed", _("listed company")),
    ("unicorn", _("unicorn")),
    ("leader", _("industry leader")),
    ("revenue_leader", _("revenue ≥ 10 bn CNY")),
    ("sme", _("specialised SME (any level)")),
    ("sme_national", _("national little giant")),
    ("sme_provincial", _("provincial specialised SME")),
    ("sme_municipal", _("municipal specialised SME")),
]

PROVINCES = [
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾", "境外",
]  # fmt: skip


def industry_q(code: str, field: str = "industry") -> Q:
    """Match a GB/T 4754 code at any level: a section letter or a code prefix."""
    code = code.strip().upper()
    if not code:
        return Q()
    if code.isalpha():
        return Q(**{f"{field}__section": code[:1]})
    return Q(**{f"{field}__code__startswith": code})


class EnterpriseFilter(django_filters.FilterSet):
    q = TextFilter(label=_("Name contains"), method="filter_q")
    tag = django_filters.ChoiceFilter(label=_("Tag"), choices=TAG_CHOICES, method="filter_tag")
    industry = TextFilter(label=_("Industry code"), method="filter_industry")
    chain_node = IdChoiceFilter(
        label=_("Chain node"), queryset=ChainNode.objects.select_related("chain"), method="filter_node"
    )
    province = django_filters.ChoiceFilter(
        label=_("Headquarters province"), field_name="hq_province", choices=[(p, p) for p in PROVINCES]
    )

    class Meta:
        model = Enterprise
        fields: list[str] = []

    def filter_q(self, qs: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        return search_enterprises(qs, value)

    def filter_tag(self, qs: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        return qs.filter(TAG_FILTERS[value]) if value in TAG_FILTERS else qs

    def filter_industry(self, qs: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        return qs.filter(industry_q(value))

    def filter_node(self, qs: QuerySet[Enterprise], name: str, value: Any) -> QuerySet[Enterprise]:
        return qs.filter(chain_nodes=value) if value else qs
