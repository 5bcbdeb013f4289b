from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data for a first look at the platform (``manage.py load_demo``).

    It sits above every domain app and writes only through their services, so the
    demo is audited and validated exactly like real work."""

    name = "zhaoshang.demo"
    label = "demo"
    verbose_name = _("Demo data")
