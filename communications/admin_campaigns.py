"""Campaigns in the admin: build, preview (the gate's dry run), confirm; and pending messages per segment.

Replaces ventas' Campaign admin with a subclass. Sending goes through
communications.campaigns.send (the batched gate); nothing here writes messages.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ventas.admin import CampaignAdmin as BaseCampaignAdmin
from ventas.models import Campaign
from ventas.segments import SEGMENT_LABELS, SEGMENTS

from . import (
    admin_calls,  # noqa: F401  (registers the VIP call list, which the campaign list links to)
    campaigns,
)
from .kinds import KINDS
from .models import Channel, Status
from .pending import pending_by_segment
from .rendering import TemplateError, render_string

# A sample client for checking that staff-typed copy renders (an unknown variable blocks every message).
SAMPLE_CONTEXT = {"nombre": "Ana", "nombre_completo": "Ana Pérez"}


class CampaignForm(forms.ModelForm):
    segments = forms.MultipleChoiceField(
        label=gettext_lazy("segmentos"),
        choices=[(s, SEGMENT_LABELS[s]) for s in SEGMENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Sin marcar: todos los segmentos."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "description",
            "status",
            "start_date",
            "end_date",
            "segments",
            "target_min_visits",
            "target_min_spend",
            "channel",
            "kind",
            "send_at",
            "when_capped",
            "sms_template",
            "email_subject",
            "email_body",
        ]

    def clean(self):
        data = super().clean()
        kind, channel = KINDS.get(data.get("kind")), data.get("channel")
        if kind and channel and channel not in kind.channels:
            channels = ", ".join(str(Channel(c).label) for c in kind.channels)
            self.add_error("channel", _("%(kind)s solo se envía por %(c)s.") % {"kind": kind.label, "c": channels})
        for name in ("sms_template", "email_subject", "email_body"):
            try:
                render_string(data.get(name) or "", SAMPLE_CONTEXT)
            except TemplateError:
                self.add_error(
                    name, _("La plantilla no se puede usar: solo admite {{ nombre }} y {{ nombre_completo }}.")
                )
        return data


admin.site.unregister(Campaign)


@admin.register(Campaign)
class CampaignAdmin(BaseCampaignAdmin):
    form = CampaignForm
    list_display = ["name", "status", "channel", "kind", "send_at", "sent_at", "vista_previa"]
    list_filter = ["status", "channel", "kind"]
    readonly_fields = ["sent_at"]
    change_list_template = "admin/communications/campaign/change_list.html"
    change_form_template = "admin/communications/campaign/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "description", "status", ("start_date", "end_date")]}),
        (gettext_lazy("Audiencia"), {"fields": ["segments", ("target_min_visits", "target_min_spend")]}),
        (
            gettext_lazy("Envío"),
            {"fields": [("channel", "kind"), ("send_at", "when_capped"), "sent_at"]},
        ),
        (gettext_lazy("Contenido"), {"fields": ["sms_template", "email_subject", "email_body"]}),
    ]

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/vista-previa/",
                self.admin_site.admin_view(self.preview_view),
                name="ventas_campaign_preview",
            ),
            path(
                "pendientes-por-segmento/",
                self.admin_site.admin_view(self.pending_view),
                name="ventas_campaign_pending_by_segment",
            ),
        ]
        return own + super().get_urls()

    @admin.display(description=gettext_lazy("vista previa"))
    def vista_previa(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:ventas_campaign_preview", args=[obj.pk]), _("Vista previa")
        )

    def preview_view(self, request, object_id):
        """GET: the dry-run counts. POST (the confirm button, CSRF-protected): send, report, come back."""
        campaign = self.get_object(request, unquote(object_id))
        if campaign is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, campaign):
            raise PermissionDenied
        url = reverse("admin:ventas_campaign_preview", args=[campaign.pk])
        if request.method == "POST":
            if not self.has_change_permission(request, campaign):
                raise PermissionDenied
            try:
                summary = campaigns.send(campaign, timezone.now(), request.user.get_username())
            except campaigns.CampaignError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return redirect(url)
            self.log_change(request, campaign, _("Campaña enviada: %(c)s") % {"c": campaigns.describe(summary)})
            self.message_user(
                request, _("Campaña enviada. %(c)s") % {"c": campaigns.describe(summary)}, messages.SUCCESS
            )
            return redirect(url)

        summary, error = None, ""
        try:
            summary = campaigns.preview(campaign, timezone.now())
        except campaigns.CampaignError as exc:
            error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": campaign,
            "title": _("Vista previa: %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "error": error,
            "summary": summary,
            "status_rows": status_rows(summary) if summary else [],
            "segment_rows": segment_rows(summary) if summary else [],
            "outcome_headers": [campaigns.OUTCOME_LABELS[s] for s in campaigns.OUTCOME_ORDER],
            "segments_label": ", ".join(str(SEGMENT_LABELS[s]) for s in campaign.segments or [])
            or _("Todos los segmentos"),
            "can_send": bool(summary) and self.has_change_permission(request, campaign),
        }
        return TemplateResponse(request, "admin/communications/campaign/preview.html", context)

    def pending_view(self, request):
        """Staff-only: scheduled and queued messages per client segment and kind."""
        if not request.user.is_staff:
            raise PermissionDenied
        rows = [
            {
                "label": SEGMENT_LABELS.get(row.segment, row.segment or "—"),
                "kinds": [
                    (str(KINDS[k].label) if k in KINDS else k, c[Status.SCHEDULED], c[Status.QUEUED])
                    for k, c in sorted(row.kinds.items())
                ],
                "scheduled": row.scheduled,
                "queued": row.queued,
                "total": row.total,
            }
            for row in pending_by_segment()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Comunicaciones pendientes por segmento"),
            "rows": rows,
            "totals": {k: sum(r[k] for r in rows) for k in ("scheduled", "queued", "total")},
        }
        return TemplateResponse(request, "admin/communications/campaign/pending_by_segment.html", context)


def status_rows(summary: campaigns.Summary) -> list[dict]:
    return [
        {"status": status, "label": campaigns.OUTCOME_LABELS[status], "count": n, "reasons": summary.reasons(status)}
        for status, n in summary.statuses().items()
    ]


def segment_rows(summary: campaigns.Summary) -> list[dict]:
    return [
        {
            "label": SEGMENT_LABELS.get(segment, segment or "—"),
            "counts": [counts[s] for s in campaigns.OUTCOME_ORDER],
            "total": sum(counts.values()),
        }
        for segment, counts in summary.segments()
    ]
