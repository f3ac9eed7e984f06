"""Rows of the data-rights part (registered with the communications app)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SuppressionEntry(models.Model):
    """A keyed hash of an erased client's phone (E.164) or email (lower case).

    Blocks marketing only, for any client with that address however created. Only a new
    opt-in with evidence lifts it (``lifted_at``). The address itself is never stored.
    """

    channel = models.CharField(_("canal"), max_length=5)
    digest = models.CharField(_("huella"), max_length=64, unique=True)
    reason = models.CharField(_("motivo"), max_length=20, default="erasure")
    created_at = models.DateTimeField(_("creada"), default=timezone.now)
    lifted_at = models.DateTimeField(_("levantada"), null=True, blank=True)
    lifted_evidence = models.JSONField(_("evidencia del nuevo consentimiento"), default=dict, blank=True)

    class Meta:
        verbose_name = _("dirección suprimida")
        verbose_name_plural = _("direcciones suprimidas")

    def __str__(self):
        return f"{self.channel} {self.digest[:10]}…"


class DataRightsRequest(models.Model):
    """The log of data-rights requests: what was asked, by whom, how, when, and who answered.

    Staff register an incoming request before answering it (``privacy.requests``); the
    export and erasure paths answer it. A requester who is not (yet) matched to a client
    is recorded by name or contact in ``requester``, which erasure blanks with the rest.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("Acceso / portabilidad (exportación)")
        ERASURE = "erasure", _("Supresión (borrado)")
        RECTIFICATION = "rectification", _("Rectificación")
        OPPOSITION = "opposition", _("Oposición")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PHONE = "telefono", _("Teléfono")
        IN_PERSON = "presencial", _("Presencial")
        LETTER = "carta", _("Carta o escrito")
        WEB = "web", _("Formulario web")
        OTHER = "otro", _("Otro")

    cliente_id_ref = models.BigIntegerField(_("cliente (id)"), null=True, blank=True, db_index=True)
    requester = models.CharField(
        _("solicitante sin ficha"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Nombre y contacto de quien lo pide, si no se encuentra su ficha de cliente."),
    )
    kind = models.CharField(_("tipo"), max_length=15, choices=Kind.choices)
    channel = models.CharField(_("canal"), max_length=12, choices=Channel.choices, blank=True, default="")
    received_at = models.DateTimeField(_("recibida"), default=timezone.now)
    registered_by = models.CharField(_("registrada por"), max_length=150, blank=True, default="")
    answered_at = models.DateTimeField(_("respondida"), null=True, blank=True)
    answered_by = models.CharField(_("respondida por"), max_length=150, blank=True, default="")
    notes = models.CharField(_("notas"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("solicitud de derechos de datos")
        verbose_name_plural = _("solicitudes de derechos de datos")
        ordering = ["-received_at"]
        permissions = [
            ("export_personal_data", _("Puede exportar los datos personales de un cliente")),
            ("erase_client", _("Puede borrar los datos personales de un cliente")),
        ]

    def __str__(self):
        who = f"cliente {self.cliente_id_ref}" if self.cliente_id_ref else str(_("solicitante sin ficha"))
        return f"{self.get_kind_display()} · {who}"

    @property
    def deadline(self):
        """The legal deadline: DATA_RIGHTS_DEADLINE_DAYS calendar days from receipt (Ley 21.719: 30)."""
        return self.received_at + timedelta(days=settings.DATA_RIGHTS_DEADLINE_DAYS)

    @property
    def overdue(self) -> bool:
        return self.answered_at is None and timezone.now() > self.deadline
