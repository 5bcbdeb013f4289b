"""Screening of projects by the zone's principles (三不招, 五不搞): rule catalogue, verdicts, overrides."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "zhaoshang.screening"
    label = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        # Verdicts follow every change of a project's facts (form, import, enterprise edits);
        # a blocked project may not move past negotiating; the project page shows the verdict;
        # catalogue entries have an import sheet.
        from zhaoshang.projects.panels import register_panel
        from zhaoshang.projects.services import register_gate, register_listener
        from zhaoshang.screening import io  # noqa: F401
        from zhaoshang.screening.services import gate, screening_listener
        from zhaoshang.screening.views import project_panel

        register_listener(screening_listener)
        register_gate(gate)
        register_panel("screening", project_panel, order=10)
