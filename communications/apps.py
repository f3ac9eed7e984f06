from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "communications"
    verbose_name = _("Comunicaciones")

    def ready(self):
        # Registers the system checks and connects the reservation signals.
        from . import audit, checks, roles, signals  # noqa: F401
        from .ops import logs, metrics

        logs.connect_celery()
        metrics.connect_celery()
        audit.register_model_changes()
        roles.connect(self)
