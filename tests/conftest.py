"""Personas shared by every test: a coordinator, an officer of park A, an officer of park B
who must see nothing of park A, a unit manager of park A, a viewer of park A, a leader,
and anonymous visitors (the ``client`` fixture unlogged)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from zhaoshang.core.audit import audit_context
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.org.models import Role, UnitKind
from zhaoshang.org.services import membership_set, unit_create


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Any:
    """The real hasher is slow on purpose; tests create many users and don't need that.
    Session-wide, so that data made in a test class's set-up is hashed the same way."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@dataclass
class Org:
    admin: Any
    centre: Any
    park_a: Any
    park_a_team: Any
    park_b: Any
    outpost: Any
    leader: Any
    coordinator: Any
    manager_a: Any
    officer_a: Any
    officer_a2: Any
    viewer_a: Any
    officer_b: Any


def make_user(username: str, unit: Any, role: str) -> Any:
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    membership_set(user=SYSTEM, member=user, unit=unit, role=role)
    return user


@pytest.fixture
def org(db: Any) -> Org:
    return make_org()


def make_org() -> Org:
    """The units and personas, made through the services."""
    with audit_context(source="command"):
        admin = unit_create(user=SYSTEM, name="管委会", kind=UnitKind.ADMINISTRATION)
        centre = unit_create(user=SYSTEM, name="投资促进中心", kind=UnitKind.PROMOTION_CENTRE, parent=admin)
        park_a = unit_create(user=SYSTEM, name="园区运营中心A", kind=UnitKind.PARK_OPERATOR, parent=admin)
        park_a_team = unit_create(user=SYSTEM, name="园区A招商一部", kind=UnitKind.PARK_OPERATOR, parent=park_a)
        park_b = unit_create(user=SYSTEM, name="园区运营中心B", kind=UnitKind.PARK_OPERATOR, parent=admin)
        outpost = unit_create(
            user=SYSTEM, name="长三角招商分局", kind=UnitKind.OUTPOST, parent=centre, region="yangtze_delta"
        )
        return Org(
            admin=admin,
            centre=centre,
            park_a=park_a,
            park_a_team=park_a_team,
            park_b=park_b,
            outpost=outpost,
            leader=make_user("leader", admin, Role.LEADER),
            coordinator=make_user("coordinator", centre, Role.COORDINATOR),
            manager_a=make_user("manager_a", park_a, Role.UNIT_MANAGER),
            officer_a=make_user("officer_a", park_a, Role.OFFICER),
            officer_a2=make_user("officer_a2", park_a_team, Role.OFFICER),
            viewer_a=make_user("viewer_a", park_a, Role.VIEWER),
            officer_b=make_user("officer_b", park_b, Role.OFFICER),
        )


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture(autouse=True)
def _every_page_shows_only_scoped_records() -> Any:
    """Fail any test that renders a page showing a record or queryset of a scoped model that
    did not pass through ``restrict`` (tests/scope_guard.py).  ``ZS_SCOPE_GUARD=off`` turns it
    off, to see whether the other tests catch a scope broken by hand on their own."""
    import os

    from django.test.signals import template_rendered

    if os.environ.get("ZS_SCOPE_GUARD") == "off":
        yield
        return

    from tests.scope_guard import unscoped_in

    problems: list[str] = []

    def check(sender: Any, template: Any, context: Any, **kwargs: Any) -> None:
        problems.extend(unscoped_in(getattr(template, "name", None) or "?", context))

    template_rendered.connect(check, dispatch_uid="zs-scope-guard")
    try:
        yield
    finally:
        template_rendered.disconnect(dispatch_uid="zs-scope-guard")
    if problems:
        pytest.fail("Unscoped reads shown on a page:\n" + "\n".join(sorted(set(problems))[:30]), pytrace=False)


@pytest.fixture(autouse=True)
def _jobs_run_at_commit(settings: Any) -> None:
    """Jobs run in the test's own thread when the transaction that asked for them commits
    (tests that need committed data and other threads choose their backend themselves)."""
    settings.ZS_JOBS_BACKEND = "immediate"
