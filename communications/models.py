"""Rows of the communications app. Only the gate and its actions write them.

Consent: Ley 19.496 art. 28 B lets a business send commercial messages until the
client asks to stop, and forbids sending after that; Ley 21.719 requires proof of
what the client agreed to. So preferences default to "yes", every change is an
append-only ConsentEvent (the proof), and ClientPreferences is the current state.
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ventas.models import Campaign, Cliente, VentaReserva
from ventas.segments import SEGMENT_LABELS, SEGMENTS

from . import lookups  # noqa: F401 - registers the ``__any`` lookup before any query uses it


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class Category(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transaccional")
    MARKETING = "marketing", _("Marketing")


class ClientPreferences(models.Model):
    cliente = models.OneToOneField(Cliente, on_delete=models.CASCADE, related_name="preferencias")
    # The plan's four flags.
    accepts_sms = models.BooleanField(_("acepta SMS"), default=True)
    accepts_email = models.BooleanField(_("acepta email"), default=True)
    accepts_birthday_sms = models.BooleanField(_("acepta SMS de cumpleaños"), default=True)
    accepts_promotional = models.BooleanField(_("acepta promociones"), default=True)
    # What users expect beyond them: stop marketing on one channel but keep it on the
    # other (the one-click email unsubscribe must not silence booking SMS).
    accepts_marketing_sms = models.BooleanField(_("acepta SMS de marketing"), default=True)
    accepts_marketing_email = models.BooleanField(_("acepta email de marketing"), default=True)
    preferred_channel = models.CharField(
        _("canal preferido"), max_length=5, choices=Channel.choices, blank=True, default=""
    )
    # A hard bounce makes the address undeliverable until the client's email changes.
    email_undeliverable = models.CharField(_("email rechazado (rebote)"), max_length=254, blank=True, default="")
    # The right to object to profiling (Ley 21.719, GDPR art. 21): no churn score, send-time
    # choice or recommendation is computed or used for this client.
    objects_to_profiling = models.BooleanField(_("se opone a la elaboración de perfiles"), default=False)
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("preferencias de comunicación")
        verbose_name_plural = _("preferencias de comunicación")

    def __str__(self):
        return str(self.cliente)


class ConsentEvent(models.Model):
    """Append-only ledger of every grant and withdrawal of consent."""

    class Scope(models.TextChoices):
        ALL = "all", _("Todo")
        MARKETING = "marketing", _("Marketing")
        BIRTHDAY = "birthday", _("Cumpleaños")

    class Source(models.TextChoices):
        BOOKING_FORM = "booking_form", _("Formulario de reserva")
        ADMIN = "admin", _("Administración")
        SMS_KEYWORD = "sms_keyword", _("Palabra clave SMS")
        UNSUBSCRIBE_LINK = "unsubscribe_link", _("Enlace de baja")
        ONE_CLICK = "one_click", _("Baja en un clic")
        PREFERENCE_CENTER = "preference_center", _("Centro de preferencias")
        IMPORT = "import", _("Importación")
        BOUNCE = "bounce", _("Rebote")
        COMPLAINT = "complaint", _("Queja de spam")
        API = "api", _("Sistema")

    cliente = models.ForeignKey(Cliente, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(_("canal"), max_length=5, choices=[("all", _("Todos")), *Channel.choices])
    scope = models.CharField(_("alcance"), max_length=10, choices=Scope.choices)
    granted = models.BooleanField(_("otorgado"))
    source = models.CharField(_("origen"), max_length=20, choices=Source.choices)
    actor = models.CharField(_("actor"), max_length=150, blank=True, default="")
    evidence = models.JSONField(_("evidencia"), default=dict, blank=True)
    # The message that caused the change (unsubscribe link, one-click, SMS reply, complaint),
    # so opt-out rates can be charged to the kind and campaign that provoked them.
    message = models.ForeignKey(
        "Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_events",
        verbose_name=_("mensaje"),
    )
    created_at = models.DateTimeField(_("fecha"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("evento de consentimiento")
        verbose_name_plural = _("eventos de consentimiento")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        # Staff read this in the client's history: "Baja de SMS (marketing) · Palabra clave SMS".
        if self.channel == "all":
            what = _("todos los canales")
        else:
            what = self.get_channel_display()
        verb = _("Alta en %(what)s") if self.granted else _("Baja de %(what)s")
        scope = "" if self.scope == self.Scope.ALL else f" ({str(self.get_scope_display()).lower()})"
        return f"{verb % {'what': what}}{scope} · {self.get_source_display()}"


class AddressOptOut(models.Model):
    """An address (email or phone) whose owner asked for no more marketing.

    Ley 19.496 art. 28 B protects the person at the address, not a CRM row: a couple
    sharing an email, or a duplicate client record, must not resume marketing to an
    address that unsubscribed. Keyed by the normalised address (email lowercased,
    phone E.164); read only through ``communications.suppression``.
    """

    channel = models.CharField(_("canal"), max_length=5, choices=Channel.choices)
    address = models.CharField(_("dirección"), max_length=254)
    cliente = models.ForeignKey(
        Cliente, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("pedido por")
    )
    source = models.CharField(_("origen"), max_length=20, blank=True, default="")
    created_at = models.DateTimeField(_("fecha"), default=timezone.now)

    class Meta:
        verbose_name = _("baja de una dirección")
        verbose_name_plural = _("bajas de direcciones")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="one_opt_out_per_address")]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.pk}"


class CommunicationLimit(models.Model):
    """The row the gate locks to serialise decisions per client.

    Usage is not stored here as counters that could drift: the message ledger is the
    truth, and ``communications.usage`` reads each window from it under this lock.
    """

    cliente = models.OneToOneField(Cliente, on_delete=models.CASCADE, primary_key=True, related_name="limite")

    class Meta:
        verbose_name = _("límite de comunicación")
        verbose_name_plural = _("límites de comunicación")

    def __str__(self):
        return str(self.cliente)


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Programado")
    QUEUED = "queued", _("En cola")
    SENDING = "sending", _("Enviando")
    SENT = "sent", _("Enviado")
    UNKNOWN = "unknown", _("Incierto")
    DELIVERED = "delivered", _("Entregado")
    FAILED = "failed", _("Fallido")
    BLOCKED = "blocked", _("Bloqueado")
    CANCELLED = "cancelled", _("Cancelado")
    EXPIRED = "expired", _("Expirado")


# A message holds a slot in its client's caps while it may still go out or may have gone out.
COUNTED_STATUSES = (
    Status.SCHEDULED,
    Status.QUEUED,
    Status.SENDING,
    Status.SENT,
    Status.UNKNOWN,
    Status.DELIVERED,
)
# Not yet handed to a provider: what opt-outs, cancellations and expiry can still stop.
PENDING_STATUSES = (Status.SCHEDULED, Status.QUEUED)
FINAL_STATUSES = (Status.DELIVERED, Status.FAILED, Status.BLOCKED, Status.CANCELLED, Status.EXPIRED)

# Forward-only lifecycle (ARCHITECTURE.md §2). A late provider status never moves a row back.
TRANSITIONS = {
    Status.SCHEDULED: {Status.QUEUED, Status.SCHEDULED, Status.BLOCKED, Status.CANCELLED, Status.EXPIRED},
    Status.QUEUED: {Status.SENDING, Status.BLOCKED, Status.CANCELLED, Status.EXPIRED},
    Status.SENDING: {Status.SENT, Status.UNKNOWN, Status.FAILED, Status.BLOCKED, Status.CANCELLED, Status.EXPIRED},
    Status.SENT: {Status.DELIVERED, Status.FAILED},
    Status.UNKNOWN: {Status.SENT, Status.DELIVERED, Status.FAILED},
}


class Reason(models.TextChoices):
    OPTED_OUT = "opted_out", _("El cliente se dio de baja")
    NO_PHONE = "no_phone", _("Sin teléfono")
    INVALID_PHONE = "invalid_phone", _("Teléfono no apto para SMS")
    NO_EMAIL = "no_email", _("Sin email")
    INVALID_EMAIL = "invalid_email", _("Email no válido")
    EMAIL_UNDELIVERABLE = "email_undeliverable", _("Email rebotado")
    CAP_SMS_DAILY = "cap_sms_daily", _("Límite diario de SMS")
    CAP_SMS_MONTHLY = "cap_sms_monthly", _("Límite mensual de SMS")
    CAP_EMAIL_WEEKLY = "cap_email_weekly", _("Límite semanal de email")
    CAP_KIND = "cap_kind", _("Límite de este tipo de mensaje")
    QUIET_HOURS = "quiet_hours", _("Fuera de horario permitido (diferido)")
    DUPLICATE = "duplicate", _("Duplicado")
    SEGMENT = "segment", _("Fuera del segmento")
    EXPIRED = "expired", _("Expiró")
    TEMPLATE_ERROR = "template_error", _("Error en la plantilla")
    PROVIDER_REJECTED = "provider_rejected", _("Rechazado por el proveedor")
    PROVIDER_UNAVAILABLE = "provider_unavailable", _("Proveedor no disponible (reintentos agotados)")
    PROVIDER_AMBIGUOUS = "provider_ambiguous", _("Resultado incierto del proveedor")
    PROVIDER_MISCONFIGURED = "provider_misconfigured", _("Proveedor mal configurado")
    STAFF_CANCELLED = "staff_cancelled", _("Cancelado por el equipo")
    RESPONDED = "responded", _("El cliente ya respondió")
    BOOKING_CANCELLED = "booking_cancelled", _("Reserva cancelada")
    BOOKING_CHANGED = "booking_changed", _("La reserva cambió")
    # The worker stopped after telling the provider to send and before hearing back:
    # the SMS may have gone out, so it is never resent automatically.
    INTERRUPTED = "interrupted", _("Interrumpido durante el envío al proveedor")
    # The address belonged to a client whose data was erased (Ley 21.719): no marketing to it.
    SUPPRESSED = "suppressed", _("Dirección suprimida (datos borrados)")
    # The control groups that measure incremental effect (ARCHITECTURE §11).
    HOLDOUT = "holdout", _("Grupo de control")
    CAMPAIGN_HOLDOUT = "campaign_holdout", _("Grupo de control de la campaña")
    # Not a deferral: the slot moved to the client's best hour (insights), caps still applied.
    SEND_TIME = "send_time", _("Hora de envío ajustada al cliente")


def kind_choices():
    """Spanish labels of the message kinds; a callable, since kinds.py imports this module."""
    from .kinds import KINDS

    return [(name, kind.label) for name, kind in KINDS.items()]


class Message(models.Model):
    """The outbox and the log in one row per message."""

    # No index of its own: msg_client_day_usage leads with the client (see Meta.indexes).
    cliente = models.ForeignKey(Cliente, on_delete=models.CASCADE, related_name="messages", db_index=False)
    channel = models.CharField(_("canal"), max_length=5, choices=Channel.choices)
    kind = models.CharField(_("tipo"), max_length=40, choices=kind_choices)
    category = models.CharField(_("categoría"), max_length=13, choices=Category.choices)
    idempotency_key = models.CharField(_("clave de idempotencia"), max_length=200, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("campaña"))
    reserva = models.ForeignKey(
        VentaReserva, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("reserva")
    )
    # Small, JSON-safe ids and values the template may use (never free text from outside).
    context = models.JSONField(_("contexto"), default=dict, blank=True)

    destination = models.CharField(_("destino"), max_length=254, blank=True, default="")
    subject = models.CharField(_("asunto"), max_length=250, blank=True, default="")
    body = models.TextField(_("texto enviado"), blank=True, default="")
    # Staff-typed text for manual sends; rendered like a template.
    custom_text = models.TextField(_("texto personalizado"), blank=True, default="")

    # No index of its own: msg_status_due leads with the status (see Meta.indexes).
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("motivo"), max_length=30, choices=Reason.choices, blank=True, default="")
    reason_detail = models.CharField(_("detalle"), max_length=500, blank=True, default="")
    # The gate's first decision, written once at request and never overwritten (delivery,
    # expiry and promotion keep their own fields): the rollup counts deferrals from it.
    first_status = models.CharField(
        _("primera decisión"), max_length=10, choices=Status.choices, blank=True, default=""
    )
    first_reason = models.CharField(
        _("motivo de la primera decisión"), max_length=30, choices=Reason.choices, blank=True, default=""
    )
    # The request's own rules, kept so a scheduled message is re-decided by them when promoted:
    # a campaign set to "No enviar" when capped must not go out the next day instead.
    when_capped = models.CharField(_("si el cliente llegó a su límite"), max_length=5, blank=True, default="")
    segment_rule = models.JSONField(_("segmentos permitidos"), null=True, blank=True)
    # The client's segment when the gate decided: history must not move with the live segment.
    client_segment = models.CharField(_("segmento del cliente"), max_length=30, blank=True, default="")

    scheduled_for = models.DateTimeField(_("programado para"), db_index=True)
    # The local (Santiago) day whose caps this message occupies.
    counts_on = models.DateField(_("cuenta el día"))
    expires_at = models.DateTimeField(_("expira"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    lease_until = models.DateTimeField(_("reservado hasta"), null=True, blank=True)
    # Each claim writes a fresh token; only its holder may mark the provider call as started.
    claim_token = models.UUIDField(_("reserva de envío"), null=True, blank=True, editable=False)
    # Committed just before the provider request. A row found with this mark and no outcome
    # (a worker killed mid-call) may have been sent: it becomes "unknown", never a resend.
    provider_call_started_at = models.DateTimeField(_("llamada al proveedor iniciada"), null=True, blank=True)

    provider = models.CharField(_("proveedor"), max_length=20, blank=True, default="")
    provider_batch_id = models.CharField(_("lote del proveedor"), max_length=100, blank=True, default="")
    provider_message_id = models.CharField(_("id del proveedor"), max_length=100, blank=True, default="")
    provider_status = models.CharField(_("estado del proveedor"), max_length=40, blank=True, default="")
    segments = models.PositiveSmallIntegerField(_("segmentos"), null=True, blank=True)
    encoding = models.CharField(_("codificación"), max_length=5, blank=True, default="")
    cost_clp = models.PositiveIntegerField(_("costo (CLP)"), null=True, blank=True)

    created_at = models.DateTimeField(_("creado"), default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(_("en cola"), null=True, blank=True)
    sent_at = models.DateTimeField(_("enviado"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("entregado"), null=True, blank=True)
    failed_at = models.DateTimeField(_("fallido"), null=True, blank=True)
    closed_at = models.DateTimeField(_("cerrado"), null=True, blank=True)  # blocked / cancelled / expired

    opened_at = models.DateTimeField(_("abierto"), null=True, blank=True)
    machine_open = models.BooleanField(_("apertura automática"), default=False)
    # A random allowed hour instead of the client's best (send-time exploration), so the data
    # does not only confirm itself.
    send_time_exploration = models.BooleanField(_("hora de exploración"), default=False)
    clicked_at = models.DateTimeField(_("clic"), null=True, blank=True)
    replied_at = models.DateTimeField(_("respondido"), null=True, blank=True)
    converted_at = models.DateTimeField(_("convertido"), null=True, blank=True)
    # Attribution (labelled "no causal"): the booking this message is credited with and
    # what the client paid for it, overwritten by each stats refresh of that booking's days.
    conversion_reserva = models.ForeignKey(
        VentaReserva,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attributed_messages",
        verbose_name=_("reserva atribuida"),
    )
    conversion_revenue_clp = models.PositiveIntegerField(_("ingreso atribuido (CLP)"), null=True, blank=True)

    public_id = models.UUIDField(_("identificador público"), default=uuid.uuid4, unique=True, editable=False)
    # The batch whose claim last took this row (None on the one-task-per-message path).
    send_batch = models.ForeignKey(
        "SendBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("lote de envío"),
    )

    class Meta:
        verbose_name = _("mensaje")
        verbose_name_plural = _("mensajes")
        ordering = ["-created_at", "-id"]
        # Actions that stop a message or release a cap slot are not "view": roles grant them by name.
        permissions = [
            ("cancel_pending", _("Puede cancelar mensajes pendientes")),
            ("settle_unknown", _("Puede resolver envíos inciertos")),
            ("mark_transactional", _("Puede marcar una campaña como transaccional")),
            ("send_transactional", _("Puede enviar mensajes transaccionales desde la ficha del cliente")),
        ]
        indexes = [
            # A client's messages by local day; channel, status and category in the key make the
            # cap reads (gate usage, the dashboard's clients at their caps) index-only scans.
            models.Index(fields=["cliente", "counts_on", "channel", "status", "category"], name="msg_client_day_usage"),
            models.Index(fields=["status", "scheduled_for"], name="msg_status_due"),
            # Every index is written again on each status change, and a sent message changes
            # status three times (claimed, marked, sent): so no index here duplicates another's
            # leading column (the client: msg_client_day_usage; the status: msg_status_due), and
            # text columns get plain indexes (db_index on PostgreSQL adds a second "_like" one,
            # for LIKE queries nobody runs on a kind or a batch id).
            models.Index(fields=["kind"], name="msg_kind"),
            models.Index(fields=["provider_batch_id"], name="msg_provider_batch"),
            # The stats refresh rebuilds one local day at a time; (status, cliente) serve the
            # dashboard's "clients with messages counted today" without reading the table.
            models.Index(fields=["counts_on", "status", "cliente"], name="msg_day_status_client"),
            # The staff banner on every admin page asks for the last day's template failures:
            # a partial index holds only those rows, however large the log grows.
            models.Index(
                fields=["scheduled_for"], condition=models.Q(reason="template_error"), name="msg_template_error"
            ),
        ]

    def __str__(self):
        return _("%(kind)s por %(channel)s a %(cliente)s (%(status)s)") % {
            "kind": self.get_kind_display(),
            "channel": self.get_channel_display(),
            "cliente": self.cliente,
            "status": str(self.get_status_display()).lower(),
        }

    @property
    def responded(self) -> bool:
        """A click, a reply or a booking is a response; an open alone is not (scanners open mail)."""
        return bool(self.clicked_at or self.replied_at or self.converted_at)


class DeliveryEvent(models.Model):
    """Raw provider events (status polls, replies, webhooks, bounces), stored once each."""

    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("mensaje"),
    )
    provider = models.CharField(_("proveedor"), max_length=20)
    event_type = models.CharField(_("tipo de evento"), max_length=20)  # status / reply / bounce / complaint / ...
    # Our own vocabulary (delivered, failed, ...) next to the provider's raw word.
    normalized = models.CharField(_("interpretación"), max_length=20, blank=True, default="")
    raw_status = models.CharField(_("estado del proveedor"), max_length=60, blank=True, default="")
    dedupe_key = models.CharField(_("clave de deduplicación"), max_length=200, unique=True)
    payload = models.JSONField(_("datos recibidos"), default=dict, blank=True)
    received_at = models.DateTimeField(_("recibido"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("evento de entrega")
        verbose_name_plural = _("eventos de entrega")
        ordering = ["-received_at"]

    def __str__(self):
        from .labels import event_type_label

        return f"{event_type_label(self.event_type)} · {self.provider}"


class MessageTemplate(models.Model):
    """Spanish copy per kind and channel, in Django template syntax with a restricted context."""

    kind = models.CharField(_("tipo"), max_length=40, choices=kind_choices)
    channel = models.CharField(_("canal"), max_length=5, choices=Channel.choices)
    variant = models.CharField(_("variante"), max_length=20, blank=True, default="")  # e.g. "vip"
    subject = models.CharField(_("asunto"), max_length=250, blank=True, default="")
    body = models.TextField(_("texto"))
    active = models.BooleanField(_("activa"), default=True)
    updated_at = models.DateTimeField(_("actualizada"), auto_now=True)

    class Meta:
        verbose_name = _("plantilla de mensaje")
        verbose_name_plural = _("plantillas de mensaje")
        constraints = [models.UniqueConstraint(fields=["kind", "channel", "variant"], name="one_template_per_kind")]
        ordering = ["kind", "channel", "variant"]

    def __str__(self):
        label = str(self.get_kind_display())
        channel = f"({self.get_channel_display()})"
        if not label.endswith(channel):  # "Reactivación (SMS)" already names it
            label = f"{label} {channel}"
        return f"{label} · {_('variante')} {self.variant}" if self.variant else label


class TriggerSetting(models.Model):
    """Staff control of one automatic trigger: on/off and its tunable numbers.

    Defaults come from a data migration; each trigger documents what its numbers mean
    (communications.triggers). Empty segments means the trigger's own default audience.
    """

    name = models.CharField(_("disparador"), max_length=40, unique=True, editable=False)
    enabled = models.BooleanField(_("activo"), default=True)
    delay_hours = models.PositiveIntegerField(_("desfase (horas)"), default=0)
    window_days = models.PositiveIntegerField(_("ventana (días)"), default=0)
    send_hour = models.PositiveSmallIntegerField(
        _("hora local de envío"), default=10, validators=[MaxValueValidator(23)], help_text=_("De 0 a 23.")
    )
    segments = models.JSONField(_("segmentos"), default=list, blank=True)
    channel = models.CharField(_("canal"), max_length=5, choices=Channel.choices, blank=True, default="")
    template_variant = models.CharField(_("variante de plantilla"), max_length=20, blank=True, default="")
    early_high_risk = models.BooleanField(
        _("reactivación anticipada (riesgo alto, valor alto)"),
        default=False,
        help_text=_(
            "Alcanza desde los 45 días sin visita pagada a clientes con riesgo de abandono alto y valor "
            "(CLP pagados en 365 días) en el cuartil superior. El límite de una secuencia cada 90 días se mantiene."
        ),
    )
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)

    class Meta:
        verbose_name = _("disparador automático")
        verbose_name_plural = _("disparadores automáticos")
        ordering = ["name"]

    def __str__(self):
        from .triggers import TRIGGERS

        trigger = TRIGGERS.get(self.name)
        return str(trigger.label) if trigger else self.name

    @staticmethod
    def valid_segments(value) -> bool:
        """A list of known segment names (a bare string would be read as a list of letters)."""
        return isinstance(value, list) and all(isinstance(s, str) and s in SEGMENTS for s in value)

    def clean(self):
        super().clean()
        if not self.valid_segments(self.segments):
            unknown = [str(s) for s in self.segments] if isinstance(self.segments, list) else [str(self.segments)]
            unknown = [s for s in unknown if s not in SEGMENTS]
            raise ValidationError({"segments": _("Segmentos desconocidos: %(s)s") % {"s": ", ".join(unknown) or "—"}})

    def segment_labels(self) -> list[str]:
        return [str(SEGMENT_LABELS.get(s, s)) for s in self.segments or []]


class CampaignRun(models.Model):
    """One preview or send of a campaign, run by a Celery task; the admin polls it for progress.

    The admin request only creates this row and starts the task, so a campaign to
    100,000 clients never runs inside a staff member's request. The task walks the
    audience in pages and checks ``stop_requested`` between pages ("Detener campaña").
    """

    class Mode(models.TextChoices):
        PREVIEW = "preview", _("Vista previa")
        SEND = "send", _("Envío")

    class State(models.TextChoices):
        PENDING = "pending", _("En espera")
        RUNNING = "running", _("En curso")
        DONE = "done", _("Terminado")
        STOPPED = "stopped", _("Detenido")
        FAILED = "failed", _("Con error")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs", verbose_name=_("campaña"))
    mode = models.CharField(_("modo"), max_length=7, choices=Mode.choices)
    state = models.CharField(_("estado"), max_length=7, choices=State.choices, default=State.PENDING)
    requested_by = models.CharField(_("pedido por"), max_length=150, blank=True, default="")
    total = models.PositiveIntegerField(_("destinatarios estimados"), default=0)
    processed = models.PositiveIntegerField(_("procesados"), default=0)
    # Counts so far, in the shape of campaigns.Summary.as_json (plain data).
    summary = models.JSONField(_("resultado"), default=dict, blank=True)
    stop_requested = models.BooleanField(_("detención pedida"), default=False)
    error = models.CharField(_("error"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("creado"), default=timezone.now)
    started_at = models.DateTimeField(_("inicio"), null=True, blank=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)

    ACTIVE_STATES = (State.PENDING, State.RUNNING)

    class Meta:
        verbose_name = _("ejecución de campaña")
        verbose_name_plural = _("ejecuciones de campaña")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.campaign} · {self.get_mode_display()} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state not in self.ACTIVE_STATES


class SweepRun(models.Model):
    """One run of a beat task: the dashboard's "last run", the silent-sweep alert and /healthz/sistema."""

    task = models.CharField(_("tarea"), max_length=80)
    started_at = models.DateTimeField(_("inicio"), default=timezone.now)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    ok = models.BooleanField(_("correcta"), null=True)
    counts = models.JSONField(_("recuentos"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("ejecución de tarea periódica")
        verbose_name_plural = _("ejecuciones de tareas periódicas")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["task", "-started_at"], name="sweeprun_task_started")]

    def __str__(self):
        return f"{self.task} {self.started_at:%Y-%m-%d %H:%M}"


class SendBatch(models.Model):
    """One claim of a send task: what it took from the outbox and what became of it (shown in the admin)."""

    channel = models.CharField(_("canal"), max_length=5, choices=Channel.choices)
    category = models.CharField(_("categoría"), max_length=13, choices=Category.choices)
    worker = models.CharField(_("proceso"), max_length=100, blank=True, default="")
    started_at = models.DateTimeField(_("inicio"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    claimed = models.PositiveIntegerField(_("mensajes tomados"), default=0)
    requests = models.PositiveIntegerField(_("solicitudes al proveedor"), default=0)
    destinations = models.PositiveIntegerField(_("destinatarios enviados"), default=0)
    # Messages per outcome (sent, unknown, failed, retry, blocked, ...).
    outcomes = models.JSONField(_("resultados"), default=dict, blank=True)

    class Meta:
        verbose_name = _("lote de envío")
        verbose_name_plural = _("lotes de envío")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.channel}/{self.category} #{self.pk}"


class SendingControl(models.Model):
    """Operator switches read by every claim (one row, pk=1, edited in the admin)."""

    marketing_paused = models.BooleanField(
        _("pausar marketing"),
        default=False,
        help_text=_(
            "Mientras esté marcado, ningún mensaje de marketing sale; quedan en cola y salen al desmarcarlo. "
            "Los mensajes transaccionales (confirmaciones, recordatorios) siguen saliendo."
        ),
    )
    updated_at = models.DateTimeField(_("actualizado"), auto_now=True)
    updated_by = models.CharField(_("actualizado por"), max_length=150, blank=True, default="")

    class Meta:
        verbose_name = _("control de envíos")
        verbose_name_plural = _("control de envíos")

    def __str__(self):
        return str(_("Control de envíos"))

    @classmethod
    def marketing_is_paused(cls) -> bool:
        return cls.objects.filter(pk=1, marketing_paused=True).exists()


# Rows that live in their own packages (statistics, the replies inbox, data rights, the
# audit trail) but belong to this app.
from .audit import AuditEvent  # noqa: E402,F401
from .feedback.models import SmsReply  # noqa: E402,F401
from .insights.models import ClientInsight, InsightRun  # noqa: E402,F401
from .privacy.models import DataRightsRequest, SuppressionEntry  # noqa: E402,F401
from .stats.models import Alert, DailyStat, LiftStat, WeeklyReport  # noqa: E402,F401
