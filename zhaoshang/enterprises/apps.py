from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "zhaoshang.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprise registry")

    def ready(self) -> None:
        # Registers the registry's sheet with the import/export engine of core.
        from zhaoshang.enterprises import io  # noqa: F401

        post_migrate.connect(_reinstall_search_index, sender=self)


def _reinstall_search_index(using: str = "default", **kwargs: Any) -> None:
    """SQLite rebuilds a table to alter it, which drops its triggers: after every migrate
    the full-text index of the registry is checked and, where needed, rebuilt."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from zhaoshang.enterprises import search_index

    connection = connections[using]
    if MigrationRecorder(connection).migration_qs.filter(app="enterprises", name="0005_fulltext_search_index").exists():
        search_index.install(connection)
