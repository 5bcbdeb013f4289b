from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "zhaoshang.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprise registry")

    def ready(self) -> None:
        # Registers the registry's sheet with the import/export engine of core.
        from zhaoshang.enterprises import io  # noqa: F401
