"""The one scoping mechanism: every query for user-visible data goes through ``restrict``.

``core`` knows nothing of units or roles.  It defines what a scope is and how a queryset
applies one; the ``org`` app registers the function that computes a user's scope from
memberships.  Each model states, in ``scope_q``, which rows a scope may see or change.
Out-of-scope objects are simply absent from the queryset, so a detail view that looks an
object up through ``restrict`` answers 404 for them exactly as for missing ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

Action = Literal["view", "change", "delete"]


@dataclass(frozen=True)
class Scope:
    """What one user may see and change, computed once per request."""

    user_id: int | None
    authenticated: bool = False
    is_leader: bool = False
    is_coordinator: bool = False
    # Units of the user's memberships with all their descendants.
    visible_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # Subtrees of units where the user is unit manager.
    managed_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # Units (with subtrees) where the user may record work: manager or officer.
    working_unit_ids: frozenset[int] = field(default_factory=frozenset)
    home_unit_id: int | None = None

    @property
    def sees_all(self) -> bool:
        return self.is_leader or self.is_coordinator

    @property
    def can_write(self) -> bool:
        return self.sees_all or bool(self.working_unit_ids)


ANONYMOUS = Scope(user_id=None)

_resolver: Callable[[Any], Scope] | None = None


def register_scope_resolver(resolver: Callable[[Any], Scope]) -> None:
    """Called once by the org app: how to compute a user's scope."""
    global _resolver
    _resolver = resolver


def scope_for(user: AbstractBaseUser | AnonymousUser | None) -> Scope:
    """The user's scope, cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_zs_scope", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if _resolver is None:  # pragma: no cover - the org app always registers one
        raise RuntimeError("no scope resolver registered")
    scope = _resolver(user)
    user._zs_scope = scope  # type: ignore[union-attr,attr-defined]
    return scope


class RestrictedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """A queryset that can be narrowed to what a user may see or change."""

    def restrict(self, user: Any, action: Action = "view") -> RestrictedQuerySet:
        scope = scope_for(user)
        if not scope.authenticated:
            return self.none()
        scope_q = getattr(self.model, "scope_q", None)
        if scope_q is None:
            # A model that declares no rule is visible to staff and changeable by coordinators.
            if action == "view" or scope.sees_all:
                return self
            return self.none()
        q = scope_q(scope, action)
        if q is None:
            return self
        return self.filter(q)


def get_restricted_or_404(queryset: Any, user: Any, action: Action = "view", **lookup: Any) -> Any:
    """Look an object up within the user's scope; missing and out-of-scope both raise 404."""
    try:
        return queryset.restrict(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
