"""The replies inbox: what clients write back by SMS, for staff to read in Spanish.

Registered with the communications app (imported at the end of communications.models).
Written only by ``communications.feedback.replies``; consent changes go through the
gate's actions, and the reply keeps a link to the ConsentEvent it caused.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SmsReply(models.Model):
    """One SMS a client sent us, linked to the message it answers (when it matches one)."""

    class Kind(models.TextChoices):
        OPT_OUT = "opt_out", _("Baja (aplicada)")
        OPT_IN = "opt_in", _("Alta (aplicada)")
        REVIEW = "review", _("Posible baja")
        CONVERSATION = "conversation", _("Conversación")

    cliente = models.ForeignKey(
        "ventas.Cliente",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sms_replies",
        verbose_name=_("cliente"),
    )
    message = models.ForeignKey(
        "communications.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sms_replies",
        verbose_name=_("mensaje respondido"),
    )
    delivery_event = models.OneToOneField(
        "communications.DeliveryEvent",
        on_delete=models.CASCADE,
        related_name="sms_reply",
        verbose_name=_("evento del proveedor"),
    )
    phone = models.CharField(_("teléfono"), max_length=40, blank=True, default="")
    text = models.TextField(_("texto"), blank=True, default="")
    kind = models.CharField(_("clasificación"), max_length=12, choices=Kind.choices)
    # The consent change this reply caused: applied by its keyword or by staff from the inbox.
    consent_event = models.ForeignKey(
        "communications.ConsentEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cambio de consentimiento"),
    )
    needs_review = models.BooleanField(_("por revisar"), default=False, db_index=True)
    received_at = models.DateTimeField(_("recibida"), default=timezone.now, db_index=True)
    reviewed_at = models.DateTimeField(_("revisada"), null=True, blank=True)
    reviewed_by = models.CharField(_("revisada por"), max_length=150, blank=True, default="")

    class Meta:
        verbose_name = _("respuesta SMS")
        verbose_name_plural = _("respuestas SMS")
        ordering = ["-received_at", "-id"]
        permissions = [("apply_opt_out", _("Puede dar de baja a un cliente desde su respuesta"))]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.cliente or self.phone}"
