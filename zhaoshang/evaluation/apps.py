from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "zhaoshang.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        # Scores follow every change of a project's facts; signing waits for the rating
        # procedure; the project page shows the score and the procedure.
        from zhaoshang.evaluation.services import facts_listener, signing_gate
        from zhaoshang.evaluation.views import project_panel
        from zhaoshang.projects.panels import register_panel
        from zhaoshang.projects.services import register_gate, register_listener

        register_listener(facts_listener)
        register_gate(signing_gate)
        register_panel("evaluation", project_panel, order=20)
