"""Nothing lost: every edit carries the revision it started from.

A service that changes a record locks it, reads it inside its transaction and compares the
stored ``revision`` with the one the editor started from (``check_revision``).  When someone
saved in between, the save is refused with ``StaleEdit``, which lists what changed meanwhile
(from the change log, whose rows carry the revision each change produced); the edit page then
shows those changes and the form again, with the other person's changes filled in and the
editor's own kept (``core.forms.EditForm.rebased``).  Nothing is overwritten silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhaoshang.core.models import ChangeLog


def changes_since(obj: models.Model, revision: int) -> list[ChangeLog]:
    """The change-log rows of ``obj`` that produced a revision after ``revision``, oldest first."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return list(
        ChangeLog.objects.filter(content_type=ct, object_id=obj.pk, revision__gt=revision)
        .select_related("user")
        .order_by("time", "id")
    )


class StaleEdit(ValidationError):
    """The record was saved by someone else after the editor opened it.

    ``changes`` are the change-log rows since; ``current`` is the record as it is now."""

    def __init__(self, current: models.Model, since: int) -> None:
        self.current = current
        self.since = since
        self.changes = changes_since(current, since)
        super().__init__(stale_message(self.changes), code="stale")


def _who(entry: ChangeLog) -> str:
    user = entry.user
    if user is not None:
        return user.get_full_name() or user.get_username()
    return entry.user_name or _("the system")


def stale_message(changes: Sequence[ChangeLog]) -> str:
    """One sentence for the user: who changed what, when, while they were editing."""
    if not changes:
        return _(
            "The record was changed while you were editing it. Your changes were not saved; check them and save again."
        )
    parts = []
    for entry in changes:
        fields = "、".join(str(label) for label, _old, _new in entry.changed_fields()) or str(
            entry.get_action_display()
        )
        parts.append(
            _("%(who)s at %(when)s: %(fields)s")
            % {"who": _who(entry), "when": f"{timezone.localtime(entry.time):%Y-%m-%d %H:%M}", "fields": fields}
        )
    return _(
        "The record was changed while you were editing it (%(changes)s). Your changes were not saved yet: "
        "the form below shows their changes together with yours; check it and save again."
    ) % {"changes": "；".join(parts)}


def check_revision(current: Any, expected: int | None) -> None:
    """Refuse the write when ``current`` (read inside the writing transaction) is no longer at
    the revision the editor started from.  ``None``: the caller did not start from a form
    (a command, an import, a job), which works on the record as it is now."""
    if expected is not None and current.revision != expected:
        raise StaleEdit(current, expected)


def bump(obj: Any) -> None:
    """One more revision: call before saving a change (with ``revision`` in ``update_fields``)."""
    obj.revision = (obj.revision or 0) + 1


def copy_into(target: models.Model, source: models.Model) -> None:
    """Give the caller's copy of a record the values a service saved from its locked copy."""
    for f in source._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def locked_when_writing(queryset: Any) -> Any:
    """The rows read with ``SELECT … FOR UPDATE`` when the caller is inside a writing
    transaction (an import's commit), so that nobody changes them between its check and its
    write; read plainly otherwise (an import's preview)."""
    if transaction.get_connection(queryset.db).in_atomic_block:
        # Only the rows themselves, not those of related records read along (a project's
        # enterprise may be absent, and an outer join's side cannot be locked).
        return queryset.select_for_update(of=("self",))
    return queryset
