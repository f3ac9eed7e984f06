"""The replies inbox: what clients wrote back by SMS, in Spanish, with "por revisar" first.

Registered from communications/admin.py. Staff read a reply, mark it reviewed, or
apply the opt-out it asks for; both go through ``feedback.replies`` (the opt-out
through the gate's action, so the consent ledger records who decided it).
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .feedback import replies
from .kinds import KINDS


class NeedsReviewFilter(admin.SimpleListFilter):
    title = _("estado de revisión")
    parameter_name = "por_revisar"

    def lookups(self, request, model_admin):
        return [("1", _("Por revisar")), ("0", _("Revisadas"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(needs_review=self.value() == "1")
        return queryset


class SmsReplyAdmin(admin.ModelAdmin):
    list_display = ["received_at", "cliente", "texto", "kind", "mensaje", "por_revisar"]
    list_filter = [NeedsReviewFilter, "kind"]
    search_fields = ["cliente__nombre", "text"]
    list_select_related = ["cliente", "message"]
    date_hierarchy = "received_at"
    actions = ["mark_reviewed", "apply_opt_out"]
    fields = ["received_at", "cliente", "phone", "text", "kind", "mensaje", "consentimiento", "revision"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # replies come from clients, never typed by staff

    def has_delete_permission(self, request, obj=None):
        return False  # they are evidence of what the client asked

    def has_apply_opt_out_permission(self, request):
        return request.user.has_perm("communications.apply_opt_out")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("texto"))
    def texto(self, obj):
        return Truncator(obj.text).chars(90)

    @admin.display(description=_("por revisar"), boolean=True, ordering="needs_review")
    def por_revisar(self, obj):
        return obj.needs_review

    @admin.display(description=_("mensaje respondido"))
    def mensaje(self, obj):
        message = obj.message
        if message is None:
            return _("Ninguno (número desconocido)")
        kind = KINDS.get(message.kind)
        when = message.sent_at or message.scheduled_for
        return format_html(
            '<a href="{}">{} · {}</a>',
            reverse("admin:communications_message_change", args=[message.pk]),
            kind.label if kind else message.kind,
            date_format(timezone.localtime(when), "j N Y, H:i"),
        )

    @admin.display(description=_("cambio de consentimiento"))
    def consentimiento(self, obj):
        event = obj.consent_event
        if event is None:
            return "—"
        verb = _("Alta") if event.granted else _("Baja")
        return f"{verb} SMS · {event.get_source_display()} · {event.actor or '—'}"

    @admin.display(description=_("revisión"))
    def revision(self, obj):
        if obj.needs_review:
            return _("Por revisar")
        if obj.reviewed_at:
            return _("Revisada por %(who)s el %(when)s") % {
                "who": obj.reviewed_by,
                "when": date_format(timezone.localtime(obj.reviewed_at), "j N Y, H:i"),
            }
        return _("No requiere revisión (palabra clave aplicada)")

    @admin.action(description=_("Marcar como revisadas"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        n = replies.mark_reviewed(queryset, request.user.get_username())
        self.message_user(
            request, ngettext("%d respuesta revisada.", "%d respuestas revisadas.", n) % n, messages.SUCCESS
        )

    @admin.action(
        description=_("Dar de baja de SMS a quienes escribieron estas respuestas"), permissions=["apply_opt_out"]
    )
    def apply_opt_out(self, request, queryset):
        n = replies.apply_opt_out(queryset, request.user.get_username())
        self.message_user(
            request,
            ngettext(
                "%d cliente dado de baja de SMS (recordatorios incluidos).",
                "%d clientes dados de baja de SMS (recordatorios incluidos).",
                n,
            )
            % n,
            messages.SUCCESS,
        )
