from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "zhaoshang.projects"
    label = "projects"
    verbose_name = _("Project pipeline")

    def ready(self) -> None:
        # Registers the projects' sheet with the import/export engine of core.
        from zhaoshang.enterprises.services import register_listener
        from zhaoshang.projects import io  # noqa: F401
        from zhaoshang.projects.services import enterprise_listener

        register_listener(enterprise_listener)
