from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "communications"
    verbose_name = _("Comunicaciones")

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers the system checks; connects the reservation signals)
