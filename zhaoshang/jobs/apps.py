"""Jobs: long work run outside the HTTP request, with progress, result and errors kept."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "zhaoshang.jobs"
    label = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # Each app declares its job kinds in its own ``jobs`` module; importing them all here
        # means a worker (a thread, ``run_jobs`` or Celery) knows every kind a page may start,
        # whichever process it runs in.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
        # The import engine is core's and knows no app above it: its job kind lives here.
        from zhaoshang.jobs import imports  # noqa: F401
