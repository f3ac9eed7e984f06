"""Admin for MessageTemplate: SMS templates show segments and cost live, and over-long ones are refused.

Registered from communications/admin.py (``MessageTemplateAdmin``).
"""

import json

from django import forms
from django.contrib import admin
from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .channels.sms.preview import preview_sms, segment_limit_message
from .models import Channel, MessageTemplate
from .rendering import TemplateError


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["kind", "channel", "variant", "subject", "body", "active"]

    def clean(self):
        cleaned = super().clean()
        body, channel = cleaned.get("body"), cleaned.get("channel")
        if body and channel == Channel.SMS:
            try:
                preview = preview_sms(body, cleaned.get("kind") or "")
            except TemplateError as exc:
                self.add_error("body", gettext("La plantilla tiene un error: %(error)s") % {"error": exc})
                return cleaned
            if preview.over_limit:
                self.add_error("body", segment_limit_message(preview))
        return cleaned


class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["kind", "channel", "variant", "active", "updated_at"]
    list_filter = ["channel", "active"]
    search_fields = ["kind", "variant", "body"]
    readonly_fields = ["sms_counter"]
    fields = ["kind", "channel", "variant", "subject", "body", "sms_counter", "active"]

    class Media:
        js = ["communications/sms_counter.js"]
        css = {"all": ["communications/sms_counter.css"]}

    @admin.display(description=_("SMS: segmentos y costo"))
    def sms_counter(self, obj=None):
        return format_html(
            '<div id="sms-counter" data-url="{}" aria-live="polite">{}</div>',
            reverse("admin:communications_messagetemplate_sms_preview"),
            gettext("Escribe el texto para ver segmentos y costo."),
        )

    def get_urls(self):
        extra = [
            path(
                "sms-preview/",
                self.admin_site.admin_view(self.sms_preview_view),
                name="communications_messagetemplate_sms_preview",
            )
        ]
        return extra + super().get_urls()

    def sms_preview_view(self, request):
        """JSON for the live counter: the finalized text, its encoding, segments and cost."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            return JsonResponse({"error": gettext("Sin permiso.")}, status=403)
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return JsonResponse({"error": gettext("Solicitud inválida.")}, status=400)
        try:
            preview = preview_sms(str(data.get("body", ""))[:5000], str(data.get("kind", "")))
        except TemplateError as exc:
            return JsonResponse({"error": gettext("La plantilla tiene un error: %(error)s") % {"error": exc}})
        payload = preview.as_dict()
        payload["summary"] = gettext(
            "%(segments)d segmento(s) %(encoding)s · %(cost)d CLP por SMS · quedan %(left)d caracteres en este segmento"
        ) % {
            "segments": preview.segments,
            "encoding": preview.encoding,
            "cost": preview.cost_clp,
            "left": preview.units_left,
        }
        if preview.ucs2_characters:
            payload["warning"] = gettext("Estos caracteres obligan a UCS-2 (70 por segmento): %(chars)s") % {
                "chars": " ".join(preview.ucs2_characters)
            }
        if preview.over_limit:
            payload["error"] = segment_limit_message(preview)
        return JsonResponse(payload)
