"""The one set of helpers every page parses its ids, numbers and texts with (core.params),
the ``id`` path converter, and the 400 page a malformed parameter gets."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import project
from zhaoshang.core.forms import IdChoiceField, IdMultipleChoiceField
from zhaoshang.core.params import (
    MAX_ID,
    BadParameter,
    IdConverter,
    choice_param,
    flag_param,
    id_list_param,
    id_param,
    int_param,
    parse_id,
    text_param,
)
from zhaoshang.org.models import Unit


def q(text: str) -> QueryDict:
    return QueryDict(text)


@pytest.mark.parametrize(
    "text", ["²", "١٢", "１２", "0", "-1", "+1", "1.0", "1e3", " ", "", "a", str(MAX_ID + 1), "9" * 40]
)
def test_an_id_is_ascii_digits_from_one_to_the_largest_64_bit_key_and_nothing_else(text: str) -> None:
    assert parse_id(text) is None
    with pytest.raises(ValueError):
        IdConverter().to_python(text)


def test_the_largest_64_bit_key_is_still_an_id() -> None:
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert IdConverter().to_python("42") == 42
    assert IdConverter().to_url(42) == "42"


def test_an_id_parameter_is_absent_an_id_or_refused_with_its_name() -> None:
    assert id_param(q(""), "enterprise") is None
    assert id_param(q("enterprise="), "enterprise") is None
    assert id_param(q("enterprise=7"), "enterprise") == 7
    with pytest.raises(BadParameter) as exc:
        id_param(q("enterprise=%C2%B2"), "enterprise")
    assert "enterprise" in exc.value.message


def test_a_list_of_ids_keeps_its_order_without_repeats_and_refuses_any_malformed_one() -> None:
    assert id_list_param(q("ids=3&ids=1&ids=3"), "ids") == [3, 1]
    with pytest.raises(BadParameter):
        id_list_param(q("ids=3&ids=%EF%BC%91"), "ids")
    with pytest.raises(BadParameter):
        id_list_param(q("&".join(f"ids={n}" for n in range(1, 200))), "ids", max_count=100)


def test_a_page_number_that_is_not_a_number_falls_back_and_one_out_of_range_is_clamped() -> None:
    for text in ("page=abc", "page=%C2%B2", "page=" + "9" * 5000, "page=", "page=1.5"):
        assert int_param(q(text), "page", default=1, minimum=1, maximum=2000) == 1
    assert int_param(q("page=-4"), "page", default=1, minimum=1, maximum=2000) == 1
    assert int_param(q("page=99999"), "page", default=1, minimum=1, maximum=2000) == 2000
    assert int_param(q("page=3"), "page", default=1, minimum=1, maximum=2000) == 3


def test_a_choice_of_tab_not_offered_falls_back_to_the_default() -> None:
    assert choice_param(q("outcome=block"), "outcome", ["block", "warn"], default="warn") == "block"
    assert choice_param(q("outcome=%00"), "outcome", ["block", "warn"], default="warn") == "warn"


def test_a_search_text_is_stripped_and_refused_when_too_long_or_with_a_nul() -> None:
    assert text_param(q("q=+%E5%85%89%E4%BC%8F+"), "q") == "光伏"
    with pytest.raises(BadParameter):
        text_param(q("q=a%00b"), "q")
    with pytest.raises(BadParameter):
        text_param(q("q=" + "x" * 101), "q")


def test_a_button_flag_is_one_or_zero() -> None:
    assert flag_param(q(""), "done", default=True) is True
    assert flag_param(q("done=0"), "done", default=True) is False
    with pytest.raises(BadParameter):
        flag_param(q("done=yes"), "done", default=True)


def test_a_record_chosen_by_a_malformed_id_is_a_form_error_before_any_query(
    org: Any, django_assert_num_queries: Any
) -> None:
    one = IdChoiceField(queryset=Unit.objects.all())
    many = IdMultipleChoiceField(queryset=Unit.objects.all())
    for text in ("²", "１２", str(MAX_ID + 1), "0", "-1"):
        with django_assert_num_queries(0):
            assert not _valid(one, text)
            assert not _valid(many, [str(org.park_a.pk), text])
    assert one.clean(str(org.park_a.pk)) == org.park_a


def _valid(field: Any, value: Any) -> bool:
    from django.core.exceptions import ValidationError

    try:
        field.clean(value)
    except ValidationError:
        return False
    return True


def test_a_malformed_parameter_is_answered_400_naming_it_and_an_id_out_of_range_404(org: Any) -> None:
    coordinator = client_for(org.coordinator)
    p = project("比较项目", org.park_a, org.officer_a)
    response = coordinator.get(reverse("evaluation:compare"), {"ids": [str(p.pk), "²"]})
    assert response.status_code == 400
    assert "ids" in response.content.decode()
    assert coordinator.get(reverse("screening:entries"), {"q": "x" * 5000}).status_code == 400
    assert coordinator.get(f"/projects/{2**63}/").status_code == 404
    assert coordinator.get("/projects/%C2%B2/").status_code == 404
    assert coordinator.get(reverse("projects:list"), {"page": "²"}).status_code == 200


def test_a_search_term_too_long_or_with_a_nul_is_an_error_on_the_filter_not_a_server_error(org: Any) -> None:
    officer = Client(raise_request_exception=False)
    officer.force_login(org.officer_a)
    for url in (reverse("enterprises:list"), reverse("projects:list"), reverse("screening:rules")):
        for text in ("x" * 50_000, "光\x00伏"):
            response = officer.get(url, {"q": text})
            assert response.status_code == 200
            assert response.context["filter"].errors


def test_the_industry_filter_finds_projects_by_a_code_prefix(org: Any) -> None:
    from zhaoshang.enterprises.models import IndustryCode

    p = project("传感器项目", org.park_a, org.officer_a, industry=IndustryCode.objects.get(pk="3983"))
    project("其他项目", org.park_a, org.officer_a)
    page = client_for(org.officer_a).get(reverse("projects:list"), {"industry": "39"})
    assert [row.pk for row in page.context["page"].items] == [p.pk]
