"""The one permission mechanism: which rows a user sees, and what the user may do.

``core`` knows nothing of units or roles.  It defines what a scope is, how a queryset applies
one and how an action is checked; the ``org`` app registers the function that computes a
user's scope from memberships.  Each model states its rule in one class method,
``scope_q(scope, action)``, for every action it knows:

- ``None``: every row (``EVERYTHING``);
- ``NOTHING``: no row, and the action is not allowed at all;
- any other ``Q``: the rows on which the action is allowed.

That one method answers both questions:

- which rows: ``Model.objects.restrict(user, action)`` (lists, exports, counts);
- may this user do this action on this record, or on this kind of record at all:
  ``may(user, action, obj_or_model)``; ``require(...)`` raises ``PermissionDenied``.
  Services call ``require`` whoever calls them (a view, an import, a command, a job); views
  only ask ``may`` what to show.

Fail closed: a model that states no rule is visible to no one, an unknown action is an error
(a typo must not grant anything), and anonymous or disabled users get nothing.  Objects
outside the scope are simply absent from the queryset, so a view that looks an object up
through ``get_restricted_or_404`` answers 404 for them exactly as for missing ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# The actions models may state rules for.  A rule asked for any other name is an error.
VIEW: Final = "view"
CHANGE: Final = "change"
DELETE: Final = "delete"
CREATE: Final = "create"  # a new record of this kind (checked on the model class)
MOVE: Final = "move"  # a project's stage
OVERRIDE: Final = "override"  # a stage gate, with a written reason
EXPORT: Final = "export"
IMPORT: Final = "import"
MERGE: Final = "merge"  # fold one enterprise into another
ATTRIBUTE: Final = "attribute"  # name this unit as the one doing the work (lead, recording unit)
RATE: Final = "rate"  # the rating procedure: fast track, review meetings, decisions
OPINE: Final = "opine"  # give an opinion at a review meeting
BOARD: Final = "board"  # shown on the shared board (which units work which enterprise)
ACTIONS: Final = frozenset(
    (VIEW, CHANGE, DELETE, CREATE, MOVE, OVERRIDE, EXPORT, IMPORT, MERGE, ATTRIBUTE, RATE, OPINE, BOARD)
)
Action = str

# "No row": compared by identity, so a rule must return this very object to refuse outright.
NOTHING: Final = Q(pk__in=[])
EVERYTHING: Final = None


@dataclass(frozen=True)
class Scope:
    """What one user's memberships give, computed once per request.  Only the models' rules
    (``scope_q``) read these fields: nothing else decides from roles."""

    user_id: int | None
    authenticated: bool = False
    is_leader: bool = False
    is_coordinator: bool = False
    # The system itself (commands, migrations, the demo loader): every action.
    is_system: bool = False
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

    @property
    def default_unit_id(self) -> int | None:
        """The unit new work is attributed to unless the user chooses: the home unit when the
        user works there, else the first unit the user works in."""
        if self.home_unit_id is not None and (self.sees_all or self.home_unit_id in self.working_unit_ids):
            return self.home_unit_id
        return min(self.working_unit_ids) if self.working_unit_ids else None


ANONYMOUS: Final = Scope(user_id=None)
SYSTEM_SCOPE: Final = Scope(user_id=None, authenticated=True, is_leader=True, is_coordinator=True, is_system=True)


class SystemActor:
    """The platform acting by itself (a command, a migration, the demo loader, a scheduled
    job without a user): every action is allowed, and the change log names it "system"."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_superuser = False
    pk = None
    id = None

    def get_username(self) -> str:
        return "system"

    def __str__(self) -> str:
        return "system"


SYSTEM: Final = SystemActor()

# Whoever a service acts for: a signed-in user, the anonymous visitor a view may pass on (who
# is refused), or the system itself.
Actor: TypeAlias = "AbstractBaseUser | AnonymousUser | SystemActor"


def person(user: Any) -> Any:
    """The user as a person to name on a record (``decided_by``, ``added_by``…): None for the
    system and for anonymous visitors."""
    if isinstance(user, SystemActor) or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    return user


_resolver: Callable[[Any], Scope] | None = None


def register_scope_resolver(resolver: Callable[[Any], Scope]) -> None:
    """Called once by the org app: how to compute a user's scope."""
    global _resolver
    _resolver = resolver


def scope_for(user: AbstractBaseUser | AnonymousUser | SystemActor | None) -> Scope:
    """The user's scope, cached on the user object for the rest of the request.  A disabled
    account has the scope of an anonymous visitor, whatever its memberships."""
    if isinstance(user, SystemActor):
        return SYSTEM_SCOPE
    if user is None or not user.is_authenticated or not getattr(user, "is_active", False):
        return ANONYMOUS
    cached = getattr(user, "_zs_scope", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if _resolver is None:  # pragma: no cover - the org app always registers one
        raise RuntimeError("no scope resolver registered")
    scope = _resolver(user)
    user._zs_scope = scope  # type: ignore[union-attr,attr-defined]
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after the user's memberships changed within one request)."""
    if hasattr(user, "_zs_scope"):
        del user._zs_scope


def rule_for(model: type[models.Model], scope: Scope, action: Action) -> Q | None:
    """The model's rule for ``action`` under ``scope``: ``EVERYTHING``, ``NOTHING`` or a Q."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not scope.authenticated:
        return NOTHING
    scope_q = getattr(model, "scope_q", None)
    if scope_q is None:
        return NOTHING  # fail closed: a model without a rule is visible to no one
    if scope.is_system:
        return EVERYTHING
    return scope_q(scope, action)  # type: ignore[no-any-return]


class RestrictedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """A queryset that can be narrowed to what a user may see or do.

    A restricted queryset remembers the action it was restricted for, and so do the objects
    it yields (``scoped_for``), so that a test can prove every object a page shows came
    through ``restrict`` (tests/scope_guard.py)."""

    _zs_action: str | None = None

    def restrict(self, user: Any, action: Action = VIEW) -> RestrictedQuerySet:
        q = rule_for(self.model, scope_for(user), action)
        qs = self.none() if q is NOTHING else (self.all() if q is None else self.filter(q))
        qs._zs_action = action
        return qs

    def _clone(self) -> RestrictedQuerySet:
        clone = super()._clone()  # type: ignore[misc]
        clone._zs_action = self._zs_action
        return clone  # type: ignore[no-any-return]

    def _fetch_all(self) -> None:
        tagging = self._result_cache is None and self._zs_action is not None
        super()._fetch_all()  # type: ignore[misc]
        if tagging and self._result_cache:
            for obj in self._result_cache:
                if isinstance(obj, models.Model):
                    obj._zs_scoped_for = self._zs_action  # type: ignore[attr-defined]


def scoped_for(obj: Any) -> str | None:
    """The action the object (or queryset) was restricted for, or None if it never was."""
    if isinstance(obj, RestrictedQuerySet):
        return obj._zs_action
    return getattr(obj, "_zs_scoped_for", None)


def may(user: Any, action: Action, target: models.Model | type[models.Model]) -> bool:
    """Whether ``user`` may do ``action`` on the record ``target`` (one query at most), or on
    records of the model ``target`` at all (no query)."""
    model = target if isinstance(target, type) else type(target)
    q = rule_for(model, scope_for(user), action)
    if q is NOTHING:
        return False
    if isinstance(target, type) or q is None:
        return True
    if target.pk is None:
        return False
    return bool(model._default_manager.filter(q, pk=target.pk).exists())


_MESSAGES: dict[str, Callable[[], str]] = {
    VIEW: lambda: _("You may not see this record."),
    CHANGE: lambda: _("You may not change this record."),
    DELETE: lambda: _("You may not delete this record."),
    CREATE: lambda: _("You may not add records of this kind."),
    MOVE: lambda: _("You may not move this project."),
    OVERRIDE: lambda: _("Only a leader may override a stage gate."),
    EXPORT: lambda: _("You may not export these records."),
    IMPORT: lambda: _("You may not import records."),
    MERGE: lambda: _("Only coordinators and leaders may merge enterprises."),
    ATTRIBUTE: lambda: _("You do not work in this unit; choose one of your own units."),
    RATE: lambda: _("Only coordinators and leaders may run the rating procedure."),
    OPINE: lambda: _("Only the meeting's members record their opinions."),
    BOARD: lambda: _("You may not see this record."),
}


def require(user: Any, action: Action, target: models.Model | type[models.Model], message: str | None = None) -> None:
    """Raise ``PermissionDenied`` (with a message for the user) unless ``may`` allows it."""
    if not may(user, action, target):
        raise PermissionDenied(message or _MESSAGES[action]())


def get_restricted_or_404(queryset: Any, user: Any, action: Action = VIEW, **lookup: Any) -> Any:
    """Look an object up within the user's scope; missing and out-of-scope both raise 404."""
    try:
        return queryset.restrict(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
