"""Base model and the change log shared by every domain app."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhaoshang.core.scoping import RestrictedQuerySet


class BaseModel(models.Model):
    """Timestamps, a revision number and the restricted default manager every user-visible
    model uses.

    ``revision`` counts the record's saved changes: an edit form carries the revision it
    started from, and the service refuses the save when the record moved on meanwhile
    (optimistic locking), showing what changed instead of silently overwriting it."""

    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    revision = models.PositiveIntegerField(_("revision"), default=1, db_default=1, editable=False)

    objects: ClassVar[Any] = RestrictedQuerySet.as_manager()

    # Fields left out of change-log snapshots (noise or derived data; the revision has a
    # column of its own in the change log).
    audit_exclude: ClassVar[tuple[str, ...]] = ("created", "updated", "revision")

    class Meta:
        abstract = True


class ChangeAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    MOVE = "move", _("stage moved")
    MERGE = "merge", _("merged")


class ChangeSource(models.TextChoices):
    WEB = "web", _("web")
    IMPORT = "import", _("import")
    COMMAND = "command", _("command")
    JOB = "job", _("background job")


class ChangeLog(models.Model):
    """One audited write: who, when, through which request, and the object before and after.

    The user's name is frozen at write time so that the history still reads correctly
    after an account is renamed or removed.
    """

    time = models.DateTimeField(_("time"), auto_now_add=True)
    # Indexes: every import writes a row per record, so only those the pages read are kept
    # (an object's history; a user's recent changes on the home page; a request's changes).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=16, choices=ChangeSource.choices, default=ChangeSource.WEB)
    action = models.CharField(_("action"), max_length=16, choices=ChangeAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    # The object's revision after this change (``BaseModel.revision``), so that a refused
    # stale save can list the changes made since the revision the editor started from.
    revision = models.PositiveIntegerField(_("revision"), null=True, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("change log")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-time"]),
            models.Index(fields=["user", "-time"], name="core_changelog_user_recent"),
        ]
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} {self.action} {self.object_repr}"

    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        """Field-by-field differences for display: the field's label, and choice values
        shown by their label (a stage reads "签约", not "signed")."""
        before = self.before or {}
        after = self.after or {}
        model = ContentType.objects.get_for_id(self.content_type_id).model_class()
        rows: list[tuple[str, Any, Any]] = []
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            label: Any = key
            try:
                field = model._meta.get_field(key) if model is not None else None
            except FieldDoesNotExist:
                field = None
            if field is not None:
                label = getattr(field, "verbose_name", key)
                choices = dict(getattr(field, "flatchoices", None) or [])
                if choices:
                    old, new = choices.get(old, old), choices.get(new, new)
            rows.append((label, old, new))
        return rows
