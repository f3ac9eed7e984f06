"""The audit trail of staff actions that are not plain model edits (append-only).

Model edits (consent flags, campaigns, templates, triggers, roles) are recorded by
django-auditlog where registered; the domain actions beside them (a campaign sent,
a manual send, an unknown outcome settled, a personal-data export or erasure) are
written here, by the action that performs them, in its transaction. Nothing updates
or deletes these rows except erasure, which may blank personal values in them.
"""

import getpass

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CONSENT_CHANGED = "consent_changed", _("Consentimiento cambiado")
        CAMPAIGN_PREVIEWED = "campaign_previewed", _("Campaña previsualizada")
        CAMPAIGN_SENT = "campaign_sent", _("Campaña enviada")
        CAMPAIGN_STOPPED = "campaign_stopped", _("Campaña detenida")
        TEMPLATE_EDITED = "template_edited", _("Plantilla editada")
        TRIGGER_EDITED = "trigger_edited", _("Disparador editado")
        MANUAL_SEND = "manual_send", _("Envío manual")
        UNKNOWN_SETTLED = "unknown_settled", _("Resultado incierto resuelto")
        PENDING_CANCELLED = "pending_cancelled", _("Mensajes pendientes cancelados")
        EXPORT = "export", _("Exportación de datos personales")
        ERASURE = "erasure", _("Borrado de datos personales")
        DATA_REQUEST_REGISTERED = "data_request_registered", _("Solicitud de derechos registrada")
        DATA_REQUEST_ANSWERED = "data_request_answered", _("Solicitud de derechos respondida")
        ROLE_CHANGED = "role_changed", _("Rol cambiado")

    action = models.CharField(_("acción"), max_length=30, choices=Action.choices, db_index=True)
    actor = models.CharField(_("usuario"), max_length=150)
    # Commands run on a server also record who ran them there.
    os_user = models.CharField(_("usuario del sistema"), max_length=150, blank=True, default="")
    object_type = models.CharField(_("objeto"), max_length=60, blank=True, default="")
    object_id = models.CharField(_("id del objeto"), max_length=64, blank=True, default="")
    cliente_id_ref = models.BigIntegerField(_("cliente (id)"), null=True, blank=True, db_index=True)
    before = models.JSONField(_("antes"), default=dict, blank=True)
    after = models.JSONField(_("después"), default=dict, blank=True)
    created_at = models.DateTimeField(_("fecha"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("registro de auditoría")
        verbose_name_plural = _("registro de auditoría")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} · {self.actor}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_erasure", False):
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are append-only")


def record(action: str, *, actor: str, obj=None, cliente_id=None, before=None, after=None, from_command=False):
    """Append one audit event. ``from_command`` also records the OS user running the command."""
    return AuditEvent.objects.create(
        action=action,
        actor=(actor or "")[:150],
        os_user=_os_user() if from_command else "",
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        cliente_id_ref=cliente_id,
        before=before or {},
        after=after or {},
    )


def register_model_changes() -> None:
    """django-auditlog records edits of the models that matter, with the staff user as actor."""
    from auditlog.registry import auditlog
    from django.contrib.auth import get_user_model

    from ventas.models import Campaign

    from .models import ClientPreferences, MessageTemplate, TriggerSetting

    for model in (ClientPreferences, MessageTemplate, TriggerSetting, Campaign):
        if not auditlog.contains(model):
            auditlog.register(model)
    user = get_user_model()
    if not auditlog.contains(user):
        # A role change is a change of the user's groups; passwords never reach the log.
        auditlog.register(user, m2m_fields={"groups"}, exclude_fields=["password", "last_login"])


def _os_user() -> str:
    try:
        return getpass.getuser()[:150]
    except (KeyError, OSError):
        return ""
