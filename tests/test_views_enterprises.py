"""The enterprise registry as each persona meets it: the shared board, search, forms, merge."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import client_for
from tests.factories import credit_code, enterprise, project
from zhaoshang.core.models import ChangeLog
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.enterprises.models import Enterprise
from zhaoshang.enterprises.services import ranking_set
from zhaoshang.projects import rules


@pytest.fixture
def registry(org):
    e360 = enterprise(
        "三六零安全科技股份有限公司",
        credit_code=credit_code(1),
        former_names="三六零集团\n奇虎三六零",
        listing_exchange="SSE",
        ticker="601360",
        owner_unit=org.park_a,
        hq_province="北京",
    )
    oliver = enterprise("郑州奥利弗电子科技有限公司", owner_unit=org.park_b, hq_province="河南", sme_level="provincial")
    tongda = enterprise("郑州市通达氧应用开发有限公司", owner_unit=org.park_b, hq_province="河南")
    return {"360": e360, "oliver": oliver, "tongda": tongda}


def listed(response):
    return {e.name for e in response.context["page"].items}


def test_anonymous_is_sent_to_login(client, registry):
    pk = registry["360"].pk
    for url in [
        reverse("enterprises:list"),
        reverse("enterprises:detail", args=[pk]),
        reverse("enterprises:create"),
        reverse("enterprises:chains"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_every_staff_member_sees_every_enterprise(org, registry):
    for user in (org.officer_a, org.officer_b, org.viewer_a, org.coordinator, org.leader):
        assert len(listed(client_for(user).get(reverse("enterprises:list")))) == 3
        assert client_for(user).get(reverse("enterprises:detail", args=[registry["oliver"].pk])).status_code == 200


def test_search_by_chinese_substring_of_name_or_former_name_with_tag(org, registry):
    c = client_for(org.officer_b)
    assert listed(c.get(reverse("enterprises:list"), {"q": "郑州"})) == {
        "郑州奥利弗电子科技有限公司",
        "郑州市通达氧应用开发有限公司",
    }
    assert listed(c.get(reverse("enterprises:list"), {"q": "奇虎"})) == {"三六零安全科技股份有限公司"}
    assert listed(c.get(reverse("enterprises:list"), {"q": "三六零", "tag": "listed"})) == {
        "三六零安全科技股份有限公司"
    }
    assert listed(c.get(reverse("enterprises:list"), {"q": "郑州", "tag": "listed"})) == set()
    assert listed(c.get(reverse("enterprises:list"), {"q": "郑州", "tag": "sme"})) == {"郑州奥利弗电子科技有限公司"}
    assert listed(c.get(reverse("enterprises:list"), {"province": "北京"})) == {"三六零安全科技股份有限公司"}
    assert listed(c.get(reverse("enterprises:list"), {"q": "科技通达"})) == set()


def test_list_shows_which_units_work_an_enterprise(org, registry):
    project("360研究院", org.park_a, org.officer_a, stage=rules.NEGOTIATING, enterprise=registry["360"])
    response = client_for(org.officer_b).get(reverse("enterprises:list"), {"q": "三六零"})
    assert response.context["page"].items[0].working_units == ["园区运营中心A"]
    # but park B's officer cannot open park A's project from the enterprise page
    detail = client_for(org.officer_b).get(reverse("enterprises:detail", args=[registry["360"].pk]))
    assert list(detail.context["projects"]) == [] and detail.context["working_units"] == ["园区运营中心A"]


def test_only_coordinators_and_the_recording_unit_may_edit(org, registry):
    pk = registry["360"].pk  # recorded by park A
    assert client_for(org.officer_b).get(reverse("enterprises:edit", args=[pk])).status_code == 404
    assert client_for(org.viewer_a).get(reverse("enterprises:edit", args=[pk])).status_code == 404
    assert client_for(org.officer_a).get(reverse("enterprises:edit", args=[pk])).status_code == 200
    assert client_for(org.coordinator).get(reverse("enterprises:edit", args=[pk])).status_code == 200
    assert client_for(org.viewer_a).get(reverse("enterprises:create")).status_code == 403


def _form(org, **over):
    data = {
        "name": "河南智能传感器科技有限公司",
        "owner_unit": org.park_a.pk,
        "registered_capital": "5,000",
        "hq_province": "河南",
    }
    data.update(over)
    return data


def test_create_with_a_bad_credit_code_explains_and_saves_nothing(org, registry):
    response = client_for(org.officer_a).post(
        reverse("enterprises:create"), _form(org, credit_code="91410100MA00000001")
    )
    assert response.status_code == 200
    assert "91410100MA00000001" in str(response.context["form"].errors["credit_code"])
    assert Enterprise.objects.count() == 3


def test_create_refuses_an_existing_credit_code(org, registry):
    response = client_for(org.officer_a).post(
        reverse("enterprises:create"), _form(org, credit_code=registry["360"].credit_code)
    )
    assert "三六零安全科技股份有限公司" in str(response.context["form"].errors["credit_code"])
    assert Enterprise.objects.count() == 3


def test_near_duplicate_name_needs_confirmation(org, registry):
    c = client_for(org.officer_a)
    response = c.post(reverse("enterprises:create"), _form(org, name="郑州奥利弗电子科技股份有限公司"))
    assert response.status_code == 200 and [e.name for e in response.context["candidates"]] == [
        "郑州奥利弗电子科技有限公司"
    ]
    assert Enterprise.objects.count() == 3
    response = c.post(
        reverse("enterprises:create"), _form(org, name="郑州奥利弗电子科技股份有限公司", confirm_not_duplicate="on")
    )
    created = Enterprise.objects.get(name="郑州奥利弗电子科技股份有限公司")
    assert response.url == reverse("enterprises:detail", args=[created.pk])
    assert created.registered_capital == Decimal("5000.00")
    assert ChangeLog.objects.filter(object_id=created.pk, action="create", user=org.officer_a).exists()


def test_edit_is_recorded_and_shown_in_the_history(org, registry):
    e = registry["360"]
    c = client_for(org.officer_a)
    c.post(
        reverse("enterprises:edit", args=[e.pk]),
        _form(
            org,
            revision=e.revision,
            name=e.name,
            credit_code=e.credit_code,
            former_names=e.former_names,
            revenue="1000000",
            listing_exchange="SSE",
            ticker="601360",
        ),
    )
    e.refresh_from_db()
    assert e.revenue == Decimal("1000000.00") and e.is_revenue_leader
    entry = ChangeLog.objects.filter(object_id=e.pk, action="update").latest("id")
    assert entry.before["revenue"] is None and entry.after["revenue"] == "1000000.00" and entry.user == org.officer_a
    page = client_for(org.officer_b).get(reverse("enterprises:detail", args=[e.pk])).content.decode()
    assert "1000000.00" in page and "officer_a" in page


def test_coordinator_merges_a_duplicate(org, registry):
    dup = enterprise("郑州奥利弗电子科技股份有限公司", owner_unit=org.park_a)
    p = project("奥利弗扩产", org.park_a, org.officer_a, enterprise=dup)
    assert (
        client_for(org.officer_a).get(reverse("enterprises:merge", args=[dup.pk])).status_code == 404
    )  # like any record one may not act on
    page = client_for(org.coordinator).get(reverse("enterprises:merge", args=[dup.pk]))
    assert [e.name for e in page.context["candidates"]] == ["郑州奥利弗电子科技有限公司"]
    response = client_for(org.coordinator).post(
        reverse("enterprises:merge", args=[dup.pk]), {"keep": registry["oliver"].pk}
    )
    assert response.url == reverse("enterprises:detail", args=[registry["oliver"].pk])
    p.refresh_from_db()
    dup.refresh_from_db()
    assert p.enterprise_id == registry["oliver"].pk and dup.merged_into_id == registry["oliver"].pk
    assert "郑州奥利弗电子科技股份有限公司" in Enterprise.objects.get(pk=registry["oliver"].pk).former_names
    assert "郑州奥利弗电子科技股份有限公司" not in listed(
        client_for(org.officer_a).get(reverse("enterprises:list"), {"q": "奥利弗"})
    )


def test_ranking_sets_the_tag(org, registry):
    c = client_for(org.officer_b)
    c.post(
        reverse("enterprises:ranking_add", args=[registry["oliver"].pk]),
        {"list": "private500", "year": 2024, "rank": 321},
    )
    assert Enterprise.objects.get(pk=registry["oliver"].pk).is_private500
    # officer B may not rank park A's enterprise
    assert (
        c.post(
            reverse("enterprises:ranking_add", args=[registry["360"].pk]),
            {"list": "fortune500", "year": 2024, "rank": 1},
        ).status_code
        == 404
    )


def test_contacts_are_seen_by_the_recording_unit_only(org, registry):
    e = registry["oliver"]
    client_for(org.officer_b).post(
        reverse("enterprises:contact_add", args=[e.pk]),
        {"name": "李经理", "phone": "13800000000", "notes": "对扩产感兴趣"},
    )
    assert [
        c.name for c in client_for(org.officer_b).get(reverse("enterprises:detail", args=[e.pk])).context["contacts"]
    ] == ["李经理"]
    assert list(client_for(org.officer_a).get(reverse("enterprises:detail", args=[e.pk])).context["contacts"]) == []
    assert [
        c.name for c in client_for(org.leader).get(reverse("enterprises:detail", args=[e.pk])).context["contacts"]
    ] == ["李经理"]


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


def test_list_and_search_queries_do_not_grow_with_rows(org, registry):
    c = client_for(org.officer_a)
    few = (
        _queries(c, reverse("enterprises:list")),
        _queries(c, reverse("enterprises:list"), {"q": "郑州", "tag": "sme"}),
    )
    for i in range(40):
        e = enterprise(
            f"郑州第{i}号精密制造有限公司",
            credit_code=credit_code(1000 + i),
            sme_level="national",
            owner_unit=org.park_b,
        )
        ranking_set(user=SYSTEM, enterprise=e, list="china500", year=2024, rank=i + 1)
        project(f"精密制造项目{i}", org.park_b, org.officer_b, enterprise=e)
    many = (
        _queries(c, reverse("enterprises:list")),
        _queries(c, reverse("enterprises:list"), {"q": "郑州", "tag": "sme"}),
    )
    assert few == many and many[0] <= 8


def test_province_is_kept_in_its_short_form_so_the_filter_finds_it(org, registry):
    c = client_for(org.officer_a)
    c.post(reverse("enterprises:create"), _form(org, name="广西柳工机械股份有限公司", hq_province="广西壮族自治区"))
    c.post(reverse("enterprises:create"), _form(org, name="河南中原传感器有限公司", hq_province="河南省"))
    assert Enterprise.objects.get(name="广西柳工机械股份有限公司").hq_province == "广西"
    assert listed(c.get(reverse("enterprises:list"), {"province": "河南"})) == {
        "郑州奥利弗电子科技有限公司",
        "郑州市通达氧应用开发有限公司",
        "河南中原传感器有限公司",
    }
