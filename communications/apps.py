from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "communications"
    verbose_name = _("Comunicaciones")

    def ready(self):
        from . import signals  # noqa: F401  (connects the reservation signals)
        from .ops import logs, metrics

        logs.connect_celery()
        metrics.connect_celery()
        from . import audit

        audit.register_model_changes()
        from . import roles

        roles.connect(self)
