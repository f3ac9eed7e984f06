"""Staff views of communications: the message log, consent, templates, and each client's live usage.

Nothing here writes messages or consent directly: preference edits go through
actions.update_preferences (one ConsentEvent per change, pending messages
cancelled), and cancelling goes through actions.cancel_messages.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ventas.admin import ClienteAdmin as BaseClienteAdmin
from ventas.models import Cliente

from . import actions
from .admin_templates import MessageTemplateAdmin
from .models import (
    ClientPreferences,
    ConsentEvent,
    DeliveryEvent,
    Message,
    MessageTemplate,
    Reason,
    SendBatch,
    SendingControl,
    Status,
    TriggerSetting,
)
from .triggers import TRIGGERS
from .usage import usage_snapshot


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
    fields = [
        ("accepts_sms", "accepts_email"),
        ("accepts_promotional", "accepts_marketing_sms", "accepts_marketing_email"),
        "accepts_birthday_sms",
        "preferred_channel",
        "email_undeliverable",
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
    inlines = [ClientPreferencesInline, ConsentEventInline, RecentMessagesInline, *BaseClienteAdmin.inlines]
    readonly_fields = ["uso_actual"]

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "uso_actual"]
        return [*fields, "uso_actual"] if obj else fields

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
                },
            )


def _next(moment, reason):
    if moment is None:
        return format_html("<span style='color:#a00'>{}</span>", Reason(reason).label if reason else _("no permitido"))
    label = date_format(timezone.localtime(moment), "D j N Y, H:i")
    if reason:
        return f"{label} ({Reason(reason).label})"
    return f"{label} ({_('ahora')})"


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "cliente",
        "kind",
        "channel",
        "status",
        "reason",
        "scheduled_for",
        "segments",
        "cost_clp",
    ]
    list_filter = ["status", "reason", "kind", "channel", "category", "campaign"]
    search_fields = ["cliente__nombre", "cliente__telefono", "cliente__email", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["cliente"]
    readonly_fields = [f.name for f in Message._meta.fields]
    actions = ["cancel_pending", "resolve_unknown_as_sent", "resolve_unknown_as_failed"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    @admin.action(description=_("Cancelar los mensajes pendientes seleccionados"), permissions=["view"])
    def cancel_pending(self, request, queryset):
        n = actions.cancel_messages(queryset, Reason.STAFF_CANCELLED, detail=f"por {request.user.get_username()}")
        self.message_user(
            request, ngettext("%d mensaje cancelado.", "%d mensajes cancelados.", n) % n, messages.SUCCESS
        )

    # An ambiguous send the provider's status cannot settle (no batch id) stays "unknown"
    # and keeps its cap slot; staff who checked with the provider or the client settle it.
    @admin.action(description=_("Resolver inciertos: sí se enviaron"), permissions=["view"])
    def resolve_unknown_as_sent(self, request, queryset):
        self._resolve(request, queryset, Status.SENT, "")

    @admin.action(description=_("Resolver inciertos: no se enviaron (libera el cupo)"), permissions=["view"])
    def resolve_unknown_as_failed(self, request, queryset):
        self._resolve(request, queryset, Status.FAILED, Reason.PROVIDER_AMBIGUOUS)

    def _resolve(self, request, queryset, status, reason):
        n = actions.transition(
            queryset.filter(status=Status.UNKNOWN),
            status,
            reason=reason,
            detail=f"resuelto por {request.user.get_username()}",
        )
        self.message_user(request, ngettext("%d mensaje resuelto.", "%d mensajes resueltos.", n) % n, messages.SUCCESS)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "cliente", "granted", "channel", "scope", "source", "actor"]
    list_filter = ["granted", "channel", "scope", "source"]
    search_fields = ["cliente__nombre", "cliente__telefono", "cliente__email"]
    date_hierarchy = "created_at"
    list_select_related = ["cliente"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_type", "normalized", "raw_status", "message"]
    list_filter = ["provider", "event_type", "normalized"]
    date_hierarchy = "received_at"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


admin.site.register(MessageTemplate, MessageTemplateAdmin)


@admin.register(TriggerSetting)
class TriggerSettingAdmin(admin.ModelAdmin):
    """Staff switch each automatic trigger on or off and tune its numbers; rows come from a migration."""

    list_display = ["name", "descripcion", "enabled", "delay_hours", "window_days", "send_hour", "segments"]
    list_editable = ["enabled"]
    readonly_fields = ["descripcion", "significado"]
    fields = [
        "descripcion",
        "significado",
        "enabled",
        "delay_hours",
        "window_days",
        "send_hour",
        "segments",
        "channel",
        "template_variant",
    ]

    def has_add_permission(self, request):
        return False  # a trigger exists in code; its row only tunes it

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("disparador"))
    def descripcion(self, obj):
        trigger = TRIGGERS.get(obj.name)
        return trigger.label if trigger else obj.name

    @admin.display(description=_("qué significan los números"))
    def significado(self, obj):
        trigger = TRIGGERS.get(obj.name)
        return trigger.help if trigger else ""


# Campaign preview/send, pending communications by segment and the VIP call list live in their own modules.
from . import admin_calls, admin_campaigns  # noqa: E402, F401


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
        return not SendingControl.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        obj.updated_by = request.user.get_username()[:150]
        super().save_model(request, obj, form, change)
