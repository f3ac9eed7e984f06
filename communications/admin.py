"""Staff views of communications: the message log, consent, templates, and each client's live usage.

Nothing here writes messages or consent directly: preference edits go through
actions.update_preferences (one ConsentEvent per change, pending messages
cancelled), and cancelling goes through actions.cancel_messages.
"""

import logging

from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ventas.admin import CampaignInteractionAdmin as BaseInteractionAdmin
from ventas.admin import ClienteAdmin as BaseClienteAdmin
from ventas.admin import FeminineMessagesMixin, clp
from ventas.models import CampaignInteraction, Cliente
from ventas.segments import SEGMENT_LABELS

from . import actions, audit, labels
from .admin_replies import SmsReplyAdmin
from .admin_templates import MessageTemplateAdmin
from .insights.admin import RiskBandFilter, insight_block
from .models import (
    PENDING_STATUSES,
    ClientPreferences,
    ConsentEvent,
    DeliveryEvent,
    Message,
    MessageTemplate,
    Reason,
    SendBatch,
    SendingControl,
    SmsReply,
    Status,
)
from .usage import usage_snapshot

log = logging.getLogger(__name__)


class ReadOnlyAdminMixin:
    """The ledger and the log are evidence: staff read them, nobody edits them by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClientPreferencesInline(admin.StackedInline):
    model = ClientPreferences
    can_delete = False
    extra = 1
    max_num = 1
    # A receptionist on the phone must know what each box stops: "Acepta SMS" is every SMS,
    # booking confirmations and reminders included (Ley 19.496 lets a client refuse them too).
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("accepts_sms", "accepts_email"),
                    ("accepts_promotional", "accepts_marketing_sms", "accepts_marketing_email"),
                    "accepts_birthday_sms",
                    "preferred_channel",
                    "email_undeliverable",
                    "objects_to_profiling",
                ],
                "description": _(
                    "«Acepta SMS» y «Acepta email» cubren todos los mensajes de ese canal: sin «Acepta SMS» el "
                    "cliente tampoco recibe confirmaciones ni recordatorios de sus reservas por SMS. Para dejar "
                    "solo las promociones, desmarque «Acepta SMS de marketing» (o «Acepta promociones» para "
                    "todos los canales)."
                ),
            },
        )
    ]


class ConsentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ConsentEvent
    extra = 0
    fields = ["created_at", "granted", "channel", "scope", "source", "actor"]
    readonly_fields = fields
    ordering = ["-created_at"]
    verbose_name_plural = _("historial de consentimiento")


class RecentMessagesInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Message
    extra = 0
    fields = ["created_at", "kind", "channel", "status", "reason", "scheduled_for"]
    readonly_fields = fields
    ordering = ["-created_at"]
    show_change_link = True
    verbose_name_plural = _("mensajes")

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-created_at")


admin.site.unregister(Cliente)


@admin.register(Cliente)
class ClienteAdmin(BaseClienteAdmin):
    inlines = [
        ClientPreferencesInline,
        ConsentEventInline,
        RecentMessagesInline,
        *BaseClienteAdmin.inlines,
    ]
    list_filter = [*BaseClienteAdmin.list_filter, RiskBandFilter]
    readonly_fields = ["uso_actual", "perfil_predictivo"]

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in ("uso_actual", "perfil_predictivo")]
        return [*fields, "uso_actual", "perfil_predictivo"] if obj else fields

    @admin.display(description=_("perfil predictivo"))
    def perfil_predictivo(self, obj):
        return insight_block(obj) if obj and obj.pk else "—"

    @admin.display(description=_("uso actual y próximo envío permitido"))
    def uso_actual(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        u = usage_snapshot(obj.pk)
        rows = [
            (_("SMS hoy"), f"{u['sms_today']} / {u['sms_daily_limit']}"),
            (_("SMS este mes"), f"{u['sms_month']} / {u['sms_monthly_limit']}"),
            (_("Email de marketing esta semana"), f"{u['email_week']} / {u['email_weekly_limit']}"),
            (_("Próximo SMS de marketing"), _next(u["next_sms"], u["next_sms_reason"])),
            (_("Próximo email de marketing"), _next(u["next_email"], u["next_email_reason"])),
        ]
        prefs = ClientPreferences.objects.filter(cliente_id=obj.pk).first()
        if prefs is not None and not prefs.accepts_sms:
            rows.append((_("SMS"), _stopped(_("ningún SMS: tampoco confirmaciones ni recordatorios de reservas"))))
        if prefs is not None and not prefs.accepts_email:
            rows.append((_("Email"), _stopped(_("ningún email: tampoco confirmaciones ni encuestas"))))
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((str(a), b) for a, b in rows))
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is not ClientPreferences:
            return super().save_formset(request, form, formset, change)
        # Consent changes are legal evidence: they go through the gate's action, one ledger entry each.
        formset.save(commit=False)  # validates and records what changed, for the admin's history; writes nothing
        for pref_form in formset.forms:
            if not pref_form.has_changed():
                continue
            data = pref_form.cleaned_data
            actions.update_preferences(
                form.instance.pk,
                {f: data[f] for f in actions.FLAG_SCOPES if f in data},
                source=ConsentEvent.Source.ADMIN,
                actor=request.user.get_username(),
            )
            ClientPreferences.objects.update_or_create(
                cliente_id=form.instance.pk,
                defaults={
                    "preferred_channel": data.get("preferred_channel", ""),
                    "email_undeliverable": data.get("email_undeliverable", ""),
                    "objects_to_profiling": data.get("objects_to_profiling", False),
                },
            )


def _short(moment):
    """ "25 nov 10:00": a column that fits at 1366 px (the full date is on the message page)."""
    return date_format(timezone.localtime(moment), "j M H:i") if moment else "—"


def _stopped(text):
    return format_html("<span style='color:#a00'>{}</span>", text)


def _next(moment, reason):
    if moment is None:
        return format_html("<span style='color:#a00'>{}</span>", Reason(reason).label if reason else _("no permitido"))
    label = date_format(timezone.localtime(moment), "D j N Y, H:i")
    if reason:
        return f"{label} ({Reason(reason).label})"
    return f"{label} ({_('ahora')})"


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Few, compact columns: at 1366 px the reason and cost must stay on screen.
    list_display = ["creado", "cliente", "kind", "channel", "estado", "programado", "costo"]
    list_display_links = ["creado"]
    list_filter = ["status", "reason", "kind", "channel", "category", "campaign"]
    search_fields = ["cliente__nombre", "cliente__telefono", "cliente__email", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["cliente"]
    actions = ["cancel_pending", "resolve_unknown_as_sent", "resolve_unknown_as_failed"]

    def has_cancel_pending_permission(self, request):
        return request.user.has_perm("communications.cancel_pending")

    def has_settle_unknown_permission(self, request):
        return request.user.has_perm("communications.settle_unknown")

    def get_fieldsets(self, request, obj=None):
        # A failed, blocked or cancelled message never reached the client: its text is what was prepared.
        text = "texto_enviado" if obj is not None and obj.sent_at else "texto_preparado"
        return [
            (
                None,
                {
                    "fields": [
                        "cliente",
                        ("kind", "channel", "category"),
                        "estado_y_detalle",
                        "destino",
                        ("campaign", "reserva"),
                    ]
                },
            ),
            (_("Contenido"), {"fields": ["subject", text, "contexto"]}),
            (
                _("Fechas"),
                {
                    "fields": [
                        ("created_at", "scheduled_for", "expires_at"),
                        ("queued_at", "sent_at", "delivered_at"),
                        ("failed_at", "closed_at"),
                        ("opened_at", "clicked_at", "replied_at", "converted_at"),
                    ]
                },
            ),
            (
                _("Envío y costo"),
                {
                    "classes": ["collapse"],
                    "fields": [
                        ("provider", "provider_status", "attempts"),
                        ("segments", "cost_clp"),
                        "primera_decision",
                        "client_segment_label",
                    ],
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [
            *(f.name for f in Message._meta.fields),
            "estado_y_detalle",
            "destino",
            "texto_enviado",
            "texto_preparado",
            "contexto",
            "costo",
            "primera_decision",
            "client_segment_label",
        ]

    @admin.display(description=_("creado"), ordering="created_at")
    def creado(self, obj):
        return _short(obj.created_at)

    @admin.display(description=_("programado para"), ordering="scheduled_for")
    def programado(self, obj):
        return _short(obj.scheduled_for)

    @admin.display(description=_("estado"), ordering="status")
    def estado(self, obj):
        parts = [obj.get_status_display()]
        if obj.reason:
            parts.append(obj.get_reason_display())
        return " · ".join(str(p) for p in parts)

    @admin.display(description=_("estado"))
    def estado_y_detalle(self, obj):
        return f"{self.estado(obj)} · {obj.reason_detail}" if obj.reason_detail else self.estado(obj)

    @admin.display(description=_("destino"))
    def destino(self, obj):
        if obj.destination:
            return obj.destination
        # The gate blocks before writing a destination: show what the client record holds,
        # so staff see which number or address was refused, and fix it.
        current = obj.cliente.telefono if obj.channel == "sms" else obj.cliente.email
        if not current:
            return _("Sin destino: el cliente no tiene %(what)s registrado") % {
                "what": _("teléfono") if obj.channel == "sms" else _("email")
            }
        if obj.status in (Status.BLOCKED, Status.CANCELLED, Status.EXPIRED) and obj.reason:
            return _("%(value)s (dato actual del cliente; motivo: %(reason)s)") % {
                "value": current,
                "reason": obj.get_reason_display(),
            }
        return _("%(value)s (dato actual del cliente)") % {"value": current}

    @admin.display(description=_("texto enviado"))
    def texto_enviado(self, obj):
        return obj.body or "—"

    @admin.display(description=_("texto preparado (no enviado)"))
    def texto_preparado(self, obj):
        return obj.body or obj.custom_text or "—"

    @admin.display(description=_("datos del mensaje"))
    def contexto(self, obj):
        return labels.key_value_html(obj.context)

    @admin.display(description=_("costo"), ordering="cost_clp")
    def costo(self, obj):
        if obj.cost_clp is None:
            return "—"
        if obj.segments:
            return f"{clp(obj.cost_clp)} ({obj.segments} SMS)"
        return clp(obj.cost_clp)

    @admin.display(description=_("primera decisión"))
    def primera_decision(self, obj):
        if not obj.first_status:
            return "—"
        status = obj.get_first_status_display()
        return f"{status} · {obj.get_first_reason_display()}" if obj.first_reason else status

    @admin.display(description=_("segmento del cliente al decidir"))
    def client_segment_label(self, obj):
        return SEGMENT_LABELS.get(obj.client_segment, obj.client_segment or "—")

    @admin.action(description=_("Cancelar los mensajes pendientes seleccionados"), permissions=["cancel_pending"])
    def cancel_pending(self, request, queryset):
        pending = queryset.filter(status__in=PENDING_STATUSES)
        if not _confirmed(request):
            return self._confirm(request, queryset, pending, _("Cancelar mensajes pendientes"), "cancel_pending")
        actor = request.user.get_username()
        with transaction.atomic():
            ids = list(pending.values_list("pk", flat=True)[:AUDITED_IDS])
            n = actions.cancel_messages(pending, Reason.STAFF_CANCELLED, detail=f"por {actor}")
            audit.record(audit.AuditEvent.Action.PENDING_CANCELLED, actor=actor, after={"mensajes": n, "ids": ids})
        log.info("staff user=%s cancelled %d pending message(s)", request.user.pk, n)
        self.message_user(
            request, ngettext("%d mensaje cancelado.", "%d mensajes cancelados.", n) % n, messages.SUCCESS
        )

    # An ambiguous send the provider's status cannot settle (no batch id) stays "unknown"
    # and keeps its cap slot; staff who checked with the provider or the client settle it.
    @admin.action(description=_("Resolver inciertos: sí se enviaron"), permissions=["settle_unknown"])
    def resolve_unknown_as_sent(self, request, queryset):
        return self._resolve(request, queryset, Status.SENT, "", "resolve_unknown_as_sent")

    @admin.action(description=_("Resolver inciertos: no se enviaron (libera el cupo)"), permissions=["settle_unknown"])
    def resolve_unknown_as_failed(self, request, queryset):
        return self._resolve(request, queryset, Status.FAILED, Reason.PROVIDER_AMBIGUOUS, "resolve_unknown_as_failed")

    def _resolve(self, request, queryset, status, reason, action):
        unknown = queryset.filter(status=Status.UNKNOWN)
        if not _confirmed(request):
            title = (
                _("Resolver envíos inciertos como enviados")
                if status == Status.SENT
                else _("Resolver envíos inciertos como no enviados")
            )
            return self._confirm(request, queryset, unknown, title, action)
        actor = request.user.get_username()
        with transaction.atomic():
            ids = list(unknown.values_list("pk", flat=True)[:AUDITED_IDS])
            n = actions.transition(unknown, status, reason=reason, detail=f"resuelto por {actor}")
            audit.record(
                audit.AuditEvent.Action.UNKNOWN_SETTLED,
                actor=actor,
                before={"estado": Status.UNKNOWN},
                after={"estado": status, "mensajes": n, "ids": ids},
            )
        log.info("staff user=%s settled %d unknown message(s) as %s", request.user.pk, n, status)
        self.message_user(request, ngettext("%d mensaje resuelto.", "%d mensajes resueltos.", n) % n, messages.SUCCESS)

    def _confirm(self, request, selected, affected, title, action):
        """The intermediate page: what the action will touch, and a button that really does it."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "action": action,
            "selected": [str(pk) for pk in selected.values_list("pk", flat=True)],
            "affected": affected.select_related("cliente")[:100],
            "affected_count": affected.count(),
            "skipped_count": selected.count() - affected.count(),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/communications/message/confirm_action.html", context)


# How many message ids an audit event of a bulk action lists (the count is always complete).
AUDITED_IDS = 200


def _confirmed(request) -> bool:
    return request.POST.get("confirmado") == "si"


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "cliente", "cambio", "source", "actor"]
    list_filter = ["granted", "channel", "scope", "source"]
    search_fields = ["cliente__nombre", "cliente__telefono", "cliente__email"]
    date_hierarchy = "created_at"
    list_select_related = ["cliente"]
    fields = ["cliente", "cambio", "source", "actor", "message", "created_at", "evidencia"]
    readonly_fields = fields

    @admin.display(description=_("cambio"))
    def cambio(self, obj):
        return str(obj).split(" · ")[0]

    @admin.display(description=_("evidencia"))
    def evidencia(self, obj):
        return labels.key_value_html(obj.evidence)


class EventTypeFilter(admin.SimpleListFilter):
    title = _("tipo de evento")
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return [(k, v) for k, v in labels.EVENT_TYPE_LABELS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(event_type=self.value()) if self.value() else queryset


class NormalizedFilter(admin.SimpleListFilter):
    title = _("interpretación")
    parameter_name = "normalized"

    def lookups(self, request, model_admin):
        return [(k, v) for k, v in labels.NORMALIZED_LABELS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(normalized=self.value()) if self.value() else queryset


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["recibido", "tipo", "interpretacion", "raw_status", "message"]
    list_display_links = ["recibido"]
    list_filter = [EventTypeFilter, NormalizedFilter, "provider"]
    date_hierarchy = "received_at"
    list_select_related = ["message__cliente"]
    fields = ["received_at", "tipo", "interpretacion", "raw_status", "provider", "message", "datos"]
    readonly_fields = fields

    @admin.display(description=_("recibido"), ordering="received_at")
    def recibido(self, obj):
        return _short(obj.received_at)

    @admin.display(description=_("tipo de evento"), ordering="event_type")
    def tipo(self, obj):
        return labels.event_type_label(obj.event_type)

    @admin.display(description=_("interpretación"), ordering="normalized")
    def interpretacion(self, obj):
        return labels.normalized_label(obj.normalized)

    @admin.display(description=_("datos recibidos"))
    def datos(self, obj):
        return labels.key_value_html(obj.payload)


@admin.register(MessageTemplate)
class SpanishMessageTemplateAdmin(FeminineMessagesMixin, MessageTemplateAdmin):
    pass


admin.site.unregister(CampaignInteraction)


@admin.register(CampaignInteraction)
class CampaignInteractionAdmin(BaseInteractionAdmin):
    """Details are shown as labelled lines (call outcome, notes, the message replied to), never as JSON."""

    fields = ["cliente", "campaign", "interaction_type", "timestamp", "detalle"]
    readonly_fields = ["detalle"]

    @admin.display(description=_("detalles"))
    def detalle(self, obj):
        from .calls import outcome_label

        details = dict(obj.details or {})
        values = {}
        if "outcome" in details:
            values[labels.key_label("outcome")] = outcome_label(details["outcome"])
        message_id = details.get("message")
        if isinstance(message_id, int):
            url = reverse("admin:communications_message_change", args=[message_id])
            values[labels.key_label("message")] = format_html('<a href="{}">{}</a>', url, _("ver mensaje"))
        event_id = details.get("delivery_event")
        if isinstance(event_id, int):
            url = reverse("admin:communications_deliveryevent_change", args=[event_id])
            values[labels.key_label("delivery_event")] = format_html('<a href="{}">{}</a>', url, _("ver evento"))
        return labels.key_value_html(details, values=values)


def _superusers_only(admin_class):
    """django-celery-beat's schedules are plumbing: staff tune triggers in «Disparadores automáticos»."""

    class SuperusersOnly(admin_class):
        def has_module_permission(self, request):
            return request.user.is_active and request.user.is_superuser

        def has_view_permission(self, request, obj=None):
            return request.user.is_active and request.user.is_superuser

        def has_change_permission(self, request, obj=None):
            return request.user.is_active and request.user.is_superuser

        def has_add_permission(self, request, *args):
            return request.user.is_active and request.user.is_superuser

        def has_delete_permission(self, request, obj=None):
            return request.user.is_active and request.user.is_superuser

    SuperusersOnly.__name__ = f"SuperusersOnly{admin_class.__name__}"
    return SuperusersOnly


def _hide_beat_models():
    for model, model_admin in list(admin.site._registry.items()):
        if model._meta.app_label == "django_celery_beat":
            admin.site.unregister(model)
            admin.site.register(model, _superusers_only(type(model_admin)))


_hide_beat_models()

# Campaign preview/send, pending communications by segment, the VIP call list and the
# trigger settings live in their own modules.
from . import (  # noqa: E402, F401
    admin_calls,
    admin_campaigns,
    admin_dashboard,
    admin_privacy,
    admin_send,
    admin_triggers,
)

admin.site.register(SmsReply, SmsReplyAdmin)
admin_privacy.install_client_actions(ClienteAdmin)
admin_send.install(ClienteAdmin)


@admin.register(SendBatch)
class SendBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each claim of a send task: how many messages, provider requests and destinations, and outcomes."""

    list_display = [
        "started_at",
        "channel",
        "category",
        "claimed",
        "requests",
        "destinations",
        "outcome_summary",
        "messages_link",
    ]
    list_filter = ["channel", "category"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in SendBatch._meta.fields]
    OUTCOME_LABELS = {
        **dict(Status.choices),
        "retry": _("reintento programado"),
        "paused": _("retenido (canal en pausa)"),
        "not_claimed": _("tomado por otro proceso"),
    }

    @admin.display(description=_("resultados"))
    def outcome_summary(self, obj):
        return ", ".join(f"{self.OUTCOME_LABELS.get(k, k)}: {n}" for k, n in sorted(obj.outcomes.items()))

    @admin.display(description=_("mensajes"))
    def messages_link(self, obj):
        url = reverse("admin:communications_message_changelist") + f"?send_batch={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("ver mensajes"))


@admin.register(SendingControl)
class SendingControlAdmin(admin.ModelAdmin):
    """The "pausar marketing" switch: one row, read by every send task before it claims."""

    list_display = ["__str__", "marketing_paused", "updated_at", "updated_by"]
    fields = ["marketing_paused", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        # The row pauses all marketing: creating it needs the add permission, not only "no row yet".
        return super().has_add_permission(request) and not SendingControl.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        obj.updated_by = request.user.get_username()[:150]
        super().save_model(request, obj, form, change)
