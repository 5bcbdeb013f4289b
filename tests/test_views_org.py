"""The organisation pages: the 1+5+N tree is public to staff; a unit page shows only the
projects the viewer may see, and the unit's change history."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import client_for
from tests.factories import project


def test_anonymous_is_sent_to_login(client, org):
    for url in (reverse("org:units"), reverse("org:unit_detail", args=[org.park_a.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_every_staff_member_sees_the_unit_tree(org):
    for user in (org.officer_b, org.viewer_a, org.leader):
        response = client_for(user).get(reverse("org:units"))
        assert [u.name for u in response.context["units"]][:2] == ["管委会", "投资促进中心"]
        assert "长三角招商分局" in response.content.decode()


def test_unit_page_lists_only_projects_the_viewer_may_see(org):
    project("园区A项目", org.park_a, org.officer_a)
    project("园区A一部项目", org.park_a_team, org.officer_a2)
    url = reverse("org:unit_detail", args=[org.park_a.pk])
    assert {p.name for p in client_for(org.officer_a).get(url).context["projects"]} == {"园区A项目", "园区A一部项目"}
    assert list(client_for(org.officer_b).get(url).context["projects"]) == []


def test_unit_page_shows_its_history_including_memberships(org):
    response = client_for(org.coordinator).get(reverse("org:unit_detail", args=[org.park_a.pk]))
    actions = [(entry.content_type.model, entry.action) for entry in response.context["history"]]
    assert ("unit", "create") in actions and ("membership", "create") in actions
    assert client_for(org.coordinator).get(reverse("org:unit_detail", args=[999999])).status_code == 404
