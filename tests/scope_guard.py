"""Deny by default, proven on every page a test renders.

Every template rendered during a test has its context walked: a queryset of a scoped model
(one whose default manager is a ``RestrictedQuerySet``) that did not pass through
``restrict``, or a record of such a model that was not read through one, fails the test
that rendered it, naming the template and the context variable.  So a view, selector or
panel that shows rows it read without the user's scope cannot pass the suite, whichever test
happens to render it (the permission matrix renders every page for every persona).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from django.db import models
from django.db.models.query import QuerySet

from zhaoshang.core.paging import Page
from zhaoshang.core.scoping import RestrictedQuerySet, scoped_for


def is_scoped_model(model: type[models.Model]) -> bool:
    manager = getattr(model, "_default_manager", None)
    return manager is not None and issubclass(manager._queryset_class, RestrictedQuerySet)


def _walk(value: Any, path: str, depth: int, seen: set[int]) -> Iterator[str]:
    if depth > 4 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, QuerySet):
        if is_scoped_model(value.model) and scoped_for(value) is None:
            yield f"{path}: a {value.model.__name__} queryset that did not pass through restrict()"
        return
    if isinstance(value, models.Model):
        if is_scoped_model(type(value)) and value.pk is not None and scoped_for(value) is None:
            yield f"{path}: {type(value).__name__} #{value.pk} read without restrict()"
        return
    if isinstance(value, Page):
        yield from _walk(value.items, f"{path}.items", depth + 1, seen)
        return
    if isinstance(value, dict):
        for key, item in list(value.items())[:300]:
            yield from _walk(item, f"{path}[{key!r}]", depth + 1, seen)
        return
    if isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(list(value)[:300]):
            yield from _walk(item, f"{path}[{i}]", depth + 1, seen)
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name, None), f"{path}.{f.name}", depth + 1, seen)


def unscoped_in(template_name: str, context: Any) -> list[str]:
    """What a rendered context shows that did not come through ``restrict``."""
    flat = context.flatten() if hasattr(context, "flatten") else dict(context or {})
    problems: list[str] = []
    seen: set[int] = set()
    for key, value in flat.items():
        problems.extend(f"{template_name}: {p}" for p in _walk(value, key, 0, seen))
    return problems
