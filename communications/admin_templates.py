"""Admin for MessageTemplate: each kind's variables shown, broken or unknown ones refused in Spanish,
and SMS templates show segments and cost live (over-long ones are refused).

Registered from communications/admin.py (``MessageTemplateAdmin``).
"""

import json

from django import forms
from django.contrib import admin
from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .channels.sms.preview import SmsPreview, preview_sms, segment_limit_message
from .kinds import KINDS
from .models import MessageTemplate
from .rendering import TemplateError
from .template_checks import template_problems, variables_for


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["kind", "channel", "variant", "subject", "body", "active"]

    def clean(self):
        cleaned = super().clean()
        kind, channel = cleaned.get("kind") or "", cleaned.get("channel") or ""
        # The same check as the campaign form, check_templates and the system check: a template
        # that would block every message of its kind is refused here, beside the field.
        for field, field_channel in (("subject", ""), ("body", channel)):
            for problem in template_problems(kind, cleaned.get(field) or "", field_channel):
                self.add_error(field, problem)
        return cleaned


def variables_table(kind: str) -> str:
    rows = [(f"{{{{ {v.name} }}}}", str(v.label)) for v in variables_for(kind)]
    return format_html(
        "<ul class='template-variables'>{}</ul>",
        format_html_join("", "<li><code>{}</code>: {}</li>", rows),
    )


def counter_texts(preview: SmsPreview) -> dict:
    """What the live counter says, in plain Spanish (no encoding names: they mean nothing to staff)."""
    texts = {
        "summary": ngettext(
            "Este texto usa %(n)d SMS (%(cost)d CLP por envío). Quedan %(left)d caracteres antes de que cueste otro.",
            "Este texto usa %(n)d SMS (%(cost)d CLP por envío). Quedan %(left)d caracteres antes de que cueste otro.",
            preview.segments,
        )
        % {"n": preview.segments, "cost": preview.cost_clp, "left": preview.units_left}
    }
    if preview.accents_removed:
        texts["warning"] = gettext(
            "Al enviar se quitarán los acentos (á→a, ó→o…): con ellos costaría %(with)d SMS en vez de %(n)d."
        ) % {"with": preview.segments_with_accents, "n": preview.segments}
    elif preview.ucs2_characters:
        texts["warning"] = gettext(
            "Los acentos á í ó ú y los emojis duplican el costo: con %(chars)s cada SMS admite 70 caracteres "
            "en vez de 160."
        ) % {"chars": " ".join(preview.ucs2_characters)}
    return texts


class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["kind", "channel", "variant", "active", "updated_at"]
    list_filter = ["channel", "active"]
    search_fields = ["kind", "variant", "body"]
    readonly_fields = ["variables", "sms_counter"]
    fields = ["kind", "channel", "variant", "variables", "subject", "body", "sms_counter", "active"]

    class Media:
        js = ["communications/sms_counter.js"]
        css = {"all": ["communications/sms_counter.css"]}

    @admin.display(description=_("variables disponibles"))
    def variables(self, obj=None):
        """The current kind's variables; the counter script swaps in another kind's list when it changes."""
        tables = {name: str(variables_table(name)) for name in KINDS}
        current = obj.kind if obj and obj.kind else ""
        return format_html(
            '<div id="template-variables" data-tables="{}">{}</div>',
            json.dumps(tables),
            variables_table(current) if current else gettext("Elige el tipo para ver sus variables."),
        )

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
        body, kind = str(data.get("body", ""))[:5000], str(data.get("kind", ""))
        problems = template_problems(kind, body)
        if problems:
            return JsonResponse({"error": " ".join(problems)})
        try:
            preview = preview_sms(body, kind)
        except TemplateError as exc:
            return JsonResponse({"error": gettext("La plantilla tiene un error: %(error)s") % {"error": exc}})
        payload = {**preview.as_dict(), **counter_texts(preview)}
        if preview.over_limit:
            payload["error"] = segment_limit_message(preview)
        return JsonResponse(payload)
