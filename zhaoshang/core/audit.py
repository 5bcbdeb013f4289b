"""Change logging for every write, from a request, an import, a command or a job.

A context variable carries who is acting and under which request id.  The web middleware
sets it per request; imports, management commands and jobs open ``audit_context``
themselves, so nothing is written without an actor, unlike a log that only knows HTTP.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar

import orjson
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from zhaoshang.core.bulk import insert_rows
from zhaoshang.core.models import ChangeAction, ChangeLog, ChangeSource

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class AuditContext:
    user_id: int | None
    user_name: str
    request_id: str
    source: str


_current: ContextVar[AuditContext | None] = ContextVar("zs_audit_context", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def audit_context(
    *, user: Any = None, source: str = ChangeSource.COMMAND, request_id: str | None = None
) -> Iterator[AuditContext]:
    """Attribute every write inside the block to ``user`` (None for the system).

    A nested block (an import started from a web request) keeps the enclosing request id
    unless given its own, so the rows it writes can be traced back to that request."""
    user_id = getattr(user, "pk", None) if user is not None and getattr(user, "is_authenticated", False) else None
    name = user.get_username() if user_id is not None else "system"
    outer = _current.get()
    if not request_id:
        request_id = outer.request_id if outer is not None else new_request_id()
    ctx = AuditContext(user_id=user_id, user_name=name, request_id=request_id, source=source)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def current_context() -> AuditContext:
    ctx = _current.get()
    if ctx is None:
        # A write outside any declared context (a shell session, a script): still logged.
        return AuditContext(user_id=None, user_name="system", request_id=new_request_id(), source=ChangeSource.COMMAND)
    return ctx


@contextlib.contextmanager
def acting(user: Any) -> Iterator[AuditContext]:
    """Attribute the writes of a service to the user it was called for.

    Inside a request the context already names that user; a command calling a service
    with ``user=`` would otherwise be logged as the system.  The request id and source of
    the enclosing context are kept."""
    ctx = current_context()
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if user_id is None or user_id == ctx.user_id:
        yield ctx
        return
    with audit_context(user=user, source=ctx.source, request_id=ctx.request_id) as inner:
        yield inner


def attributed(func: Callable[P, R]) -> Callable[P, R]:
    """Run a service taking ``user=`` inside ``acting(user)``, so that its change-log rows
    name that user also when a command or the demo loader calls it."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with acting(kwargs.get("user")):
            return func(*args, **kwargs)

    return wrapper


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    """orjson's fallback: the snapshot's forms, and text for anything else (a lazy label)."""
    if value.__class__ is Decimal:  # the usual case, an amount: at once
        return str(value)
    converted = _jsonable(value)
    return str(value) if converted is value else converted


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's concrete field values, JSON-ready (foreign keys as ids)."""
    exclude = set(getattr(obj, "audit_exclude", ()))
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude or f.primary_key:
            continue
        value = f.value_from_object(obj)
        if isinstance(value, Decimal) and isinstance(f, models.DecimalField) and value.is_finite():
            # As the database will hold it, so that an unsaved 1.5 and a loaded 1.50 do not
            # show up as a change in the history.
            with contextlib.suppress(InvalidOperation):
                value = value.quantize(Decimal(1).scaleb(-f.decimal_places))
        data[f.name] = _jsonable(value)
    return data


def creation_state(state: dict[str, Any]) -> dict[str, Any]:
    """What a creation's change-log entry keeps: the values that were given.  Empty ones
    (nothing, empty text, "no", an empty list) are left out, so that the history of a new
    record lists what it was created with, and an import of 100,000 rows does not write
    100,000 copies of every empty field."""
    return given_values(state.items())


def given_values(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The (name, value) pairs whose value was given, as ``creation_state`` keeps them."""
    # Classes are looked at first: comparing a Decimal with "" is slow.
    return {
        k: v
        for k, v in pairs
        if not (v is None or v is False or ((v.__class__ is str or v.__class__ is list) and not v))
    }


def _row(
    obj: models.Model,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    message: str,
    ctx: AuditContext,
) -> ChangeLog:
    return ChangeLog(
        user_id=ctx.user_id,
        user_name=ctx.user_name,
        request_id=ctx.request_id,
        source=ctx.source,
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        message=message,
        revision=getattr(obj, "revision", None),
    )


def record_change(
    obj: models.Model,
    *,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> ChangeLog:
    """Write one change-log row for ``obj``; ``after`` defaults to its current state."""
    if after is None and action != ChangeAction.DELETE:
        after = snapshot(obj)
    if action == ChangeAction.CREATE and before is None and after is not None:
        after = creation_state(after)
    row = _row(obj, action, before, after, message, current_context())
    row.save()
    return row


def write_change_rows(
    rows: Iterable[tuple[type[models.Model], Any, str, str, dict[str, Any] | None, dict[str, Any] | None, int | None]],
    *,
    message: str = "",
    given: bool = False,
) -> int:
    """Log many writes at once, each as (model, pk, text, action, before, after, revision),
    attributed to the current audit context (``revision``: the record's after the write).  Written as plain rows through ``bulk.insert_rows``: a
    ChangeLog instance per row took longer than writing the imported records themselves.

    ``given``: the creations' states hold their given values only already (built with
    ``given_values``), so they are not compacted again."""
    ctx = current_context()
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())

    def encode(state: dict[str, Any]) -> str:
        # Values in the forms ``snapshot`` gives (Decimal and dates as text); Chinese text
        # as it is, not escaped.  JSON text suits SQLite and PostgreSQL's COPY alike.
        return orjson.dumps(state, default=_json_default).decode()

    content_types: dict[type[models.Model], int] = {}
    values: list[tuple[Any, ...]] = []
    create = ChangeAction.CREATE
    for model, pk, text, action, before, after, revision in rows:
        if not given and action == create and before is None and after is not None:
            after = creation_state(after)
        ct = content_types.get(model)
        if ct is None:
            ct = content_types[model] = ContentType.objects.get_for_model(model, for_concrete_model=True).pk
        values.append(
            (
                str(action),
                ct,
                pk,
                text[:200],
                None if before is None else encode(before),
                None if after is None else encode(after),
                revision,
            )
        )
    names = ("action", "content_type", "object_id", "object_repr", "before", "after", "revision")
    # The same in every row of one call: given once.
    same = {
        "time": now,
        "user": ctx.user_id,
        "user_name": ctx.user_name,
        "request_id": ctx.request_id,
        "source": str(ctx.source),
        "message": message,
    }
    by_name = {f.name: f.column for f in ChangeLog._meta.concrete_fields}
    insert_rows(
        ChangeLog._meta.db_table,
        [by_name[n] for n in names],
        values,
        nested_json=True,
        constants={by_name[n]: value for n, value in same.items()},
    )
    return len(values)


def record_changes_bulk(
    entries: Iterable[tuple[models.Model, str, dict[str, Any] | None, dict[str, Any] | None]], *, message: str = ""
) -> int:
    """Log many writes of model instances at once; each entry is (obj, action, before, after)."""
    return write_change_rows(
        (
            (type(obj), obj.pk, str(obj), action, before, after, getattr(obj, "revision", None))
            for obj, action, before, after in entries
        ),
        message=message,
    )


def history_for(objs: Sequence[models.Model] | models.Model, limit: int = 100) -> Any:
    """The change log of one or more objects of the same model, newest first."""
    items = [objs] if isinstance(objs, models.Model) else list(objs)
    if not items:
        return ChangeLog.objects.none()
    ct = ContentType.objects.get_for_model(items[0], for_concrete_model=True)
    return ChangeLog.objects.filter(content_type=ct, object_id__in=[o.pk for o in items]).order_by("-time", "-id")[
        :limit
    ]
