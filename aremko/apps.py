"""Third-party apps shown to staff under Spanish names."""

from auditlog.apps import AuditlogConfig
from django.utils.translation import gettext_lazy as _


class AuditlogEnEspanol(AuditlogConfig):
    # django-auditlog ships no Spanish catalogue: its admin section read "AUDIT LOG".
    verbose_name = _("Historial de cambios")
