from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "zhaoshang.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from zhaoshang.core.scoping import register_scope_resolver
        from zhaoshang.org.selectors import compute_scope

        register_scope_resolver(compute_scope)
