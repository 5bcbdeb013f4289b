"""The change log: who, through which request and from where every write came, and the
object before and after, also outside a web request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import translation

from zhaoshang.core.audit import (
    audit_context,
    current_context,
    history_for,
    record_change,
    record_changes_bulk,
    snapshot,
)
from zhaoshang.core.middleware import RequestContextMiddleware
from zhaoshang.core.models import ChangeAction, ChangeLog, ChangeSource
from zhaoshang.core.scoping import SYSTEM
from zhaoshang.org.models import Unit, UnitKind
from zhaoshang.org.services import unit_create
from zhaoshang.projects.models import Project
from zhaoshang.projects.services import project_create


def _project(org: Any, **extra: Any) -> Project:
    data = {"name": "网络安全基地", "investor_name": "三六零集团", "lead_unit": org.park_a, **extra}
    with audit_context(user=org.officer_a, source=ChangeSource.WEB):
        return project_create(data=data, user=org.officer_a)


def test_record_change_writes_user_request_and_source(org: Any) -> None:
    with audit_context(user=org.officer_a, source=ChangeSource.WEB, request_id="req-42"):
        unit = unit_create(user=SYSTEM, name="招商二部", kind=UnitKind.PARK_OPERATOR, parent=org.park_a)
    row = history_for(unit)[0]
    assert row.action == ChangeAction.CREATE
    assert row.user == org.officer_a
    assert row.user_name == "officer_a"
    assert row.request_id == "req-42"
    assert row.source == ChangeSource.WEB
    assert row.object_repr == "招商二部"
    assert row.before is None
    assert row.after["name"] == "招商二部"
    assert row.after["parent"] == org.park_a.pk


def test_user_name_is_frozen_when_the_account_is_renamed_or_removed(org: Any) -> None:
    user = get_user_model().objects.create_user(username="zhang.san", password="pw")
    with audit_context(user=user, source=ChangeSource.WEB):
        unit = unit_create(user=SYSTEM, name="临时专班", kind=UnitKind.DEPARTMENT, parent=org.admin)
    user.username = "li.si"
    user.save()
    assert history_for(unit)[0].user_name == "zhang.san"
    user.delete()
    row = history_for(unit)[0]
    assert row.user is None
    assert row.user_name == "zhang.san"


def test_before_and_after_are_json_with_decimals_as_strings_and_dates_iso(org: Any) -> None:
    project = _project(org, planned_investment=Decimal("12345.6"), first_contact_on=dt.date(2023, 3, 8))
    row: Any = ChangeLog.objects.get(pk=history_for(project)[0].pk)  # read back through the JSON column
    assert row.after["planned_investment"] == "12345.60"
    assert row.after["first_contact_on"] == "2023-03-08"
    assert dt.datetime.fromisoformat(row.after["stage_changed_at"]).tzinfo is not None
    assert row.after["lead_unit"] == org.park_a.pk
    assert "created" not in row.after
    assert "updated" not in row.after


def test_snapshot_skips_timestamps_and_primary_key(org: Any) -> None:
    data = snapshot(org.park_a)
    assert "id" not in data
    assert "created" not in data
    assert data["name"] == "园区运营中心A"
    assert data["path"] == org.park_a.path


def test_explicit_before_and_after_are_stored_and_compared(org: Any) -> None:
    with audit_context(user=org.coordinator, source=ChangeSource.WEB):
        row = record_change(
            org.park_b,
            action=ChangeAction.UPDATE,
            before={"name": "园区B", "sort_order": 1},
            after={"name": "园区运营中心B", "sort_order": 1},
            message="renamed",
        )
    row.refresh_from_db()
    assert row.before == {"name": "园区B", "sort_order": 1}
    assert row.after == {"name": "园区运营中心B", "sort_order": 1}
    # History shows the field's label and only what changed.
    with translation.override("en"):
        assert row.changed_fields() == [("name", "园区B", "园区运营中心B")]
    assert row.message == "renamed"


def test_delete_has_no_after_state(org: Any) -> None:
    row: Any = record_change(org.outpost, action=ChangeAction.DELETE, before=snapshot(org.outpost))
    assert row.after is None
    assert row.before["name"] == "长三角招商分局"


def test_writes_with_no_context_are_logged_as_the_system(db: Any) -> None:
    unit = unit_create(user=SYSTEM, name="孤立单位", kind=UnitKind.DEPARTMENT)
    row = history_for(unit)[0]
    assert row.user is None
    assert row.user_name == "system"
    assert row.source == ChangeSource.COMMAND
    assert row.request_id != ""


def test_an_anonymous_user_is_logged_as_the_system(db: Any) -> None:
    with audit_context(user=AnonymousUser(), source=ChangeSource.WEB, request_id="anon-1"):
        unit = unit_create(user=SYSTEM, name="匿名写入", kind=UnitKind.DEPARTMENT)
    row = history_for(unit)[0]
    assert (row.user_id, row.user_name, row.request_id, row.source) == (None, "system", "anon-1", ChangeSource.WEB)


def test_import_and_command_sources_are_recorded(org: Any) -> None:
    with audit_context(user=org.coordinator, source=ChangeSource.IMPORT):
        imported = unit_create(user=SYSTEM, name="导入单位", kind=UnitKind.MARKET_AGENCY, parent=org.admin)
    with audit_context(source=ChangeSource.COMMAND):
        commanded = unit_create(user=SYSTEM, name="命令单位", kind=UnitKind.MARKET_AGENCY, parent=org.admin)
    assert history_for(imported)[0].source == ChangeSource.IMPORT
    assert history_for(imported)[0].user_name == "coordinator"
    assert history_for(commanded)[0].source == ChangeSource.COMMAND
    assert history_for(commanded)[0].user_name == "system"


def test_audit_contexts_nest_and_restore(org: Any) -> None:
    with audit_context(user=org.coordinator, source=ChangeSource.WEB, request_id="outer") as outer:
        first = unit_create(user=SYSTEM, name="外层一", kind=UnitKind.DEPARTMENT, parent=org.admin)
        with audit_context(user=org.manager_a, source=ChangeSource.IMPORT) as inner:
            nested = unit_create(user=SYSTEM, name="内层", kind=UnitKind.DEPARTMENT, parent=org.admin)
        second = unit_create(user=SYSTEM, name="外层二", kind=UnitKind.DEPARTMENT, parent=org.admin)
        assert current_context() == outer
    assert inner.user_name == "manager_a"
    # An import started inside a request stays traceable to that request.
    assert inner.request_id == "outer"
    rows = {u.name: history_for(u)[0] for u in (first, nested, second)}
    assert (rows["外层一"].user_name, rows["外层一"].source) == ("coordinator", ChangeSource.WEB)
    assert (rows["内层"].user_name, rows["内层"].source, rows["内层"].request_id) == (
        "manager_a",
        ChangeSource.IMPORT,
        "outer",
    )
    assert (rows["外层二"].user_name, rows["外层二"].source) == ("coordinator", ChangeSource.WEB)
    # Outside every block the system is the actor again.
    assert current_context().user_name == "system"


def test_a_nested_context_may_take_its_own_request_id(org: Any) -> None:
    with audit_context(user=org.coordinator, request_id="outer"):
        with audit_context(user=org.coordinator, request_id="job-7") as inner:
            assert inner.request_id == "job-7"
        assert current_context().request_id == "outer"


def test_context_is_restored_after_an_exception(org: Any) -> None:
    with pytest.raises(RuntimeError), audit_context(user=org.coordinator, request_id="boom"):
        raise RuntimeError("fail")
    assert current_context().user_name == "system"
    assert current_context().request_id != "boom"


def test_record_changes_bulk_logs_every_row_with_one_context(org: Any) -> None:
    units = [
        Unit.objects.create(name=f"批量{i}", kind=UnitKind.SUBDISTRICT, parent=org.admin, path=f"/x{i}/")
        for i in range(3)
    ]
    entries: list[tuple[Any, str, dict[str, Any] | None, dict[str, Any] | None]]
    entries = [(u, ChangeAction.CREATE, None, snapshot(u)) for u in units]
    entries.append((units[0], ChangeAction.UPDATE, {"name": "批量0"}, {"name": "批量零"}))
    with audit_context(user=org.coordinator, source=ChangeSource.IMPORT, request_id="import-9"):
        assert record_changes_bulk(entries, message="sheet.xlsx") == 4
    rows: list[Any] = list(ChangeLog.objects.filter(request_id="import-9").order_by("id"))
    assert len(rows) == 4
    assert {r.user_name for r in rows} == {"coordinator"}
    assert {r.source for r in rows} == {ChangeSource.IMPORT}
    assert {r.message for r in rows} == {"sheet.xlsx"}
    assert [r.action for r in rows] == ["create", "create", "create", "update"]
    assert rows[3].before == {"name": "批量0"}
    assert rows[0].after["name"] == "批量0"


def test_record_changes_bulk_without_context_is_system(org: Any) -> None:
    assert record_changes_bulk([(org.park_b, ChangeAction.UPDATE, {"a": "1"}, {"a": "2"})]) == 1
    row = history_for(org.park_b)[0]
    assert (row.user_name, row.source) == ("system", ChangeSource.COMMAND)


def test_history_is_newest_first_and_per_object(org: Any) -> None:
    with audit_context(user=org.coordinator):
        record_change(org.park_a, action=ChangeAction.UPDATE, before={"n": 1}, after={"n": 2})
        record_change(org.park_a, action=ChangeAction.UPDATE, before={"n": 2}, after={"n": 3})
    rows = list(history_for(org.park_a))
    assert [r.after for r in rows[:2]] == [{"n": 3}, {"n": 2}]
    assert rows[-1].action == ChangeAction.CREATE
    assert all(r.object_id == org.park_a.pk for r in rows)
    assert len(history_for([org.park_a, org.park_b])) == len(rows) + len(history_for(org.park_b))
    assert list(history_for([])) == []


def test_web_requests_carry_the_user_and_request_id_into_the_log(org: Any) -> None:
    made: list[Unit] = []

    def view(request: HttpRequest) -> HttpResponse:
        made.append(unit_create(user=SYSTEM, name="网页单位", kind=UnitKind.DEPARTMENT, parent=org.admin))
        return HttpResponse("ok")

    request = RequestFactory().post("/", HTTP_X_REQUEST_ID="abc-123")
    request.user = org.coordinator
    response = RequestContextMiddleware(view)(request)
    assert response["X-Request-ID"] == "abc-123"
    row = history_for(made[0])[0]
    assert (row.user_id, row.user_name, row.request_id, row.source) == (
        org.coordinator.pk,
        "coordinator",
        "abc-123",
        ChangeSource.WEB,
    )


def test_an_unsafe_incoming_request_id_is_replaced(org: Any) -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="<script>")
    request.user = AnonymousUser()
    response = RequestContextMiddleware(lambda r: HttpResponse("ok"))(request)
    assert response["X-Request-ID"] != "<script>"
    assert len(response["X-Request-ID"]) == 32
