"""The CRM core, re-created faithfully enough for communications to extend it.

Model and field names are Spanish, as in the monolith. ``ventas`` never imports
``communications``: reservation events leave through Django signals.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, Max, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .phones import normalize_phone
from .segments import PAID_STATES, SEGMENT_LABELS, SEGMENTS, segment_expression


class ClienteQuerySet(models.QuerySet):
    def with_segments(self):
        """Annotate visits, spend, last paid visit and segment for every client in one query."""
        paid = Q(ventareserva__estado_pago__in=PAID_STATES)
        return self.annotate(
            paid_visits=Count("ventareserva", filter=paid),
            total_spend=Coalesce(Sum("ventareserva__pagado", filter=paid), Value(0)),
            last_paid_visit=Max("ventareserva__fecha_reserva", filter=paid),
        ).annotate(segment=segment_expression())

    def in_segments(self, *segments: str):
        return self.with_segments().filter(segment__in=segments)


class Cliente(models.Model):
    nombre = models.CharField(_("nombre"), max_length=120)
    email = models.EmailField(_("email"), blank=True, default="")
    # E.164 when it parses; legacy rows may keep unparseable text, which the
    # communications gate then blocks as invalid_phone instead of guessing.
    telefono = models.CharField(_("teléfono"), max_length=32, unique=True, null=True, blank=True)
    fecha_nacimiento = models.DateField(_("fecha de nacimiento"), null=True, blank=True)
    pais = models.CharField(_("país"), max_length=60, blank=True, default="Chile")
    ciudad = models.CharField(_("ciudad"), max_length=80, blank=True, default="")
    created_at = models.DateTimeField(_("creado"), default=timezone.now, db_index=True)

    objects = ClienteQuerySet.as_manager()

    class Meta:
        verbose_name = _("cliente")
        verbose_name_plural = _("clientes")
        ordering = ["nombre"]

    def __str__(self):
        return self.nombre

    def save(self, *args, **kwargs):
        if self.telefono is not None:
            stripped = self.telefono.strip()
            self.telefono = normalize_phone(stripped) or stripped or None
        self.email = (self.email or "").strip()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.telefono:
            normalized = normalize_phone(self.telefono)
            if normalized is None:
                raise ValidationError({"telefono": _("Número de teléfono no válido.")})
            self.telefono = normalized

    @property
    def segment_label(self):
        segment = getattr(self, "segment", None)
        return SEGMENT_LABELS.get(segment, "—")


class Servicio(models.Model):
    class Tipo(models.TextChoices):
        TINA = "tina", _("Tina caliente")
        MASAJE = "masaje", _("Masaje")
        CABANA = "cabaña", _("Cabaña")
        OTRO = "otro", _("Otro")

    nombre = models.CharField(_("nombre"), max_length=120)
    precio_base = models.PositiveIntegerField(_("precio base (CLP)"))
    duracion = models.PositiveIntegerField(_("duración (minutos)"), default=60)
    categoria = models.CharField(_("categoría"), max_length=60, blank=True, default="")
    tipo_servicio = models.CharField(_("tipo"), max_length=10, choices=Tipo.choices, default=Tipo.OTRO)
    activo = models.BooleanField(_("activo"), default=True)

    class Meta:
        verbose_name = _("servicio")
        verbose_name_plural = _("servicios")
        ordering = ["nombre"]

    def __str__(self):
        return self.nombre


class VentaReserva(models.Model):
    """A booking and its sale. Amounts are whole Chilean pesos."""

    class EstadoPago(models.TextChoices):
        PENDIENTE = "pendiente", _("Pendiente")
        PAGADO = "pagado", _("Pagado")
        PARCIAL = "parcial", _("Parcial")
        CANCELADO = "cancelado", _("Cancelado")

    class EstadoReserva(models.TextChoices):
        PENDIENTE = "pendiente", _("Pendiente")
        CHECKIN = "checkin", _("Check-in")
        CHECKOUT = "checkout", _("Check-out")

    cliente = models.ForeignKey(Cliente, on_delete=models.PROTECT, verbose_name=_("cliente"))
    fecha_creacion = models.DateTimeField(_("fecha de creación"), default=timezone.now)
    fecha_reserva = models.DateTimeField(_("fecha de la reserva"), default=timezone.now, db_index=True)
    total = models.PositiveIntegerField(_("total (CLP)"), default=0)
    pagado = models.PositiveIntegerField(_("pagado (CLP)"), default=0)
    saldo_pendiente = models.PositiveIntegerField(_("saldo pendiente (CLP)"), default=0)
    estado_pago = models.CharField(
        _("estado de pago"), max_length=10, choices=EstadoPago.choices, default=EstadoPago.PENDIENTE, db_index=True
    )
    estado_reserva = models.CharField(
        _("estado de la reserva"), max_length=10, choices=EstadoReserva.choices, default=EstadoReserva.PENDIENTE
    )

    class Meta:
        verbose_name = _("venta / reserva")
        verbose_name_plural = _("ventas / reservas")
        ordering = ["-fecha_reserva"]
        indexes = [models.Index(fields=["cliente", "estado_pago", "fecha_reserva"])]

    def __str__(self):
        return _("Reserva %(id)s de %(cliente)s") % {"id": self.pk, "cliente": self.cliente}

    @property
    def is_cancelled(self) -> bool:
        return self.estado_pago == self.EstadoPago.CANCELADO


class ReservaServicio(models.Model):
    """One booked service inside a VentaReserva, at a local date and time."""

    venta_reserva = models.ForeignKey(
        VentaReserva, on_delete=models.CASCADE, related_name="reservaservicios", verbose_name=_("reserva")
    )
    servicio = models.ForeignKey(Servicio, on_delete=models.PROTECT, verbose_name=_("servicio"))
    fecha_agendamiento = models.DateField(_("fecha agendada"), db_index=True)
    hora_inicio = models.TimeField(_("hora de inicio"))
    cantidad_personas = models.PositiveSmallIntegerField(_("personas"), default=1)

    class Meta:
        verbose_name = _("servicio reservado")
        verbose_name_plural = _("servicios reservados")
        ordering = ["fecha_agendamiento", "hora_inicio"]

    def __str__(self):
        return f"{self.servicio} · {self.fecha_agendamiento:%d-%m-%Y} {self.hora_inicio:%H:%M}"

    @property
    def starts_at(self):
        """The aware local start time (the date and time are Santiago wall-clock)."""
        import datetime

        naive = datetime.datetime.combine(self.fecha_agendamiento, self.hora_inicio)
        return timezone.make_aware(naive, timezone.get_default_timezone())


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        ACTIVE = "active", _("Activa")
        SENDING = "sending", _("En envío")
        SENT = "sent", _("Enviada")
        STOPPED = "stopped", _("Detenida")
        PAUSED = "paused", _("Pausada")
        COMPLETED = "completed", _("Completada")

    name = models.CharField(_("nombre"), max_length=150)
    description = models.TextField(_("descripción"), blank=True, default="")
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField(_("inicio"), null=True, blank=True)
    end_date = models.DateField(_("término"), null=True, blank=True)
    target_min_visits = models.PositiveIntegerField(_("visitas mínimas"), default=0)
    target_min_spend = models.PositiveIntegerField(_("gasto mínimo (CLP)"), default=0)
    sms_template = models.TextField(_("plantilla SMS"), blank=True, default="")
    email_subject = models.CharField(_("asunto del email"), max_length=200, blank=True, default="")
    email_body = models.TextField(_("cuerpo del email"), blank=True, default="")
    created_at = models.DateTimeField(_("creada"), default=timezone.now)

    # How it is sent. Plain values: ventas knows nothing of communications, which
    # reads these fields and checks them against its own kinds before sending.
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaña")
        VIP_EARLY_ACCESS = "vip_early_access", _("Acceso anticipado VIP")

    class WhenCapped(models.TextChoices):
        DEFER = "defer", _("Diferir al próximo momento permitido")
        DROP = "drop", _("No enviar")

    channel = models.CharField(_("canal"), max_length=5, choices=Channel.choices, default=Channel.SMS)
    segments = models.JSONField(_("segmentos"), default=list, blank=True, help_text=_("Vacío: todos los segmentos."))
    kind = models.CharField(_("tipo de mensaje"), max_length=40, choices=Kind.choices, default=Kind.CAMPAIGN)
    send_at = models.DateTimeField(
        _("enviar a partir de"), null=True, blank=True, help_text=_("Vacío: en cuanto se confirme.")
    )
    when_capped = models.CharField(
        _("si el cliente llegó a su límite"), max_length=5, choices=WhenCapped.choices, default=WhenCapped.DEFER
    )
    # Opt-in to send-time optimisation (communications' insights): off unless staff choose it.
    optimize_send_time = models.BooleanField(
        _("enviar a la mejor hora de cada cliente"),
        default=False,
        help_text=_(
            "Cada cliente la recibe a la hora en que suele responder, el mismo día o el siguiente día hábil "
            "(nunca más de 24 horas después). Los límites y el horario permitido se respetan igual."
        ),
    )
    sent_at = models.DateTimeField(_("enviada"), null=True, blank=True, editable=False)
    # Its own control share among clients outside the global holdout, to measure this campaign.
    holdout_percent = models.PositiveSmallIntegerField(
        _("grupo de control de la campaña (%)"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_("Porcentaje de clientes que no recibe esta campaña, para medir su efecto."),
    )

    class Meta:
        verbose_name = _("campaña")
        verbose_name_plural = _("campañas")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        unknown = [s for s in self.segments or [] if s not in SEGMENTS]
        if not isinstance(self.segments, list) or unknown:
            raise ValidationError(
                {"segments": _("Segmentos desconocidos: %(s)s") % {"s": ", ".join(map(str, unknown))}}
            )


class CampaignInteraction(models.Model):
    class Type(models.TextChoices):
        EMAIL_SENT = "email_sent", _("Email enviado")
        EMAIL_OPENED = "email_opened", _("Email abierto")
        EMAIL_CLICKED = "email_clicked", _("Clic en email")
        SMS_SENT = "sms_sent", _("SMS enviado")
        SMS_DELIVERED = "sms_delivered", _("SMS entregado")
        SMS_REPLIED = "sms_replied", _("Respuesta SMS")
        CALL = "call", _("Llamada")
        CONVERTED = "converted", _("Conversión")
        OPTED_OUT = "opted_out", _("Baja")

    cliente = models.ForeignKey(
        Cliente, on_delete=models.CASCADE, related_name="interactions", verbose_name=_("cliente")
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("campaña"))
    interaction_type = models.CharField(_("tipo"), max_length=20, choices=Type.choices, db_index=True)
    timestamp = models.DateTimeField(_("fecha"), default=timezone.now, db_index=True)
    details = models.JSONField(_("detalles"), default=dict, blank=True)

    class Meta:
        verbose_name = _("interacción de campaña")
        verbose_name_plural = _("interacciones de campaña")
        ordering = ["-timestamp"]

    def __str__(self):
        return f"{self.get_interaction_type_display()} · {self.cliente}"


class InactiveVipCall(Cliente):
    """The staff call list over clients: VIPs gone quiet, whom staff phone.

    A proxy, so the admin can list and permission the call list on its own; it adds
    no table. Who is on it, and the calls (CampaignInteraction rows of type "call"),
    are decided and written by the communications app.
    """

    class Meta:
        proxy = True
        verbose_name = _("llamada a VIP inactivo")
        verbose_name_plural = _("llamadas a VIP inactivos")
