"""Campaigns in the admin: build, preview (the gate's dry run), confirm; and pending messages per segment.

Replaces ventas' Campaign admin with a subclass. Sending goes through
communications.campaigns.send (the batched gate); nothing here writes messages.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ventas.admin import CampaignAdmin as BaseCampaignAdmin
from ventas.admin import clp
from ventas.models import Campaign
from ventas.segments import SEGMENT_LABELS, SEGMENTS

from . import (
    admin_calls,  # noqa: F401  (registers the VIP call list, which the campaign list links to)
    campaign_runs,
    campaigns,
)
from .channels.sms.preview import preview_sms, segment_limit_message
from .kinds import KINDS
from .models import CampaignRun, Channel, Status
from .pending import pending_by_segment


class CampaignForm(forms.ModelForm):
    segments = forms.MultipleChoiceField(
        label=gettext_lazy("Segmentos"),
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
            "optimize_send_time",
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
        # The same check, and the same Spanish errors, as the template admin (template_checks),
        # with the variables a campaign's messages carry.
        for name in campaigns.CONTENT_FIELDS:
            for problem in campaigns.content_problems(data.get(name)):
                self.add_error(name, problem)
        if channel == Channel.SMS and data.get("sms_template") and "sms_template" not in self.errors:
            sms = preview_sms(data["sms_template"], data.get("kind") or "campaign", context=campaigns.SAMPLE_CLIENT)
            if sms.over_limit:
                self.add_error("sms_template", segment_limit_message(sms))
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
            {"fields": [("channel", "kind"), ("send_at", "when_capped"), "optimize_send_time", "sent_at"]},
        ),
        (gettext_lazy("Contenido"), {"fields": ["sms_template", "email_subject", "email_body"]}),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        own = [
            path("<path:object_id>/vista-previa/", view(self.preview_view), name="ventas_campaign_preview"),
            path("<path:object_id>/detener/", view(self.stop_view), name="ventas_campaign_stop"),
            path("<path:object_id>/resultados/", view(self.results_view), name="ventas_campaign_results"),
            path("ejecucion/<int:run_id>/", view(self.run_view), name="ventas_campaign_run"),
            path("ejecucion/<int:run_id>/progreso.json", view(self.progress_view), name="ventas_campaign_progress"),
            path("pendientes-por-segmento/", view(self.pending_view), name="ventas_campaign_pending_by_segment"),
        ]
        return own + super().get_urls()

    @admin.display(description=gettext_lazy("vista previa"))
    def vista_previa(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:ventas_campaign_preview", args=[obj.pk]),
            _("Vista previa"),
            reverse("admin:ventas_campaign_results", args=[obj.pk]),
            _("Resultados"),
        )

    def _campaign(self, request, object_id, *, change=False):
        campaign = self.get_object(request, unquote(object_id))
        if campaign is None:
            raise Http404(_("La campaña no existe."))
        allowed = (
            self.has_change_permission(request, campaign)
            if change
            else self.has_view_or_change_permission(request, campaign)
        )
        if not allowed:
            raise PermissionDenied
        return campaign

    def preview_view(self, request, object_id):
        """GET: start a dry run as a task and show it. POST (confirm, CSRF-protected): start the send task."""
        campaign = self._campaign(request, object_id, change=request.method == "POST")
        actor = request.user.get_username()
        if request.method == "POST":
            try:
                run, started = campaign_runs.start_send(campaign, actor)
            except campaigns.CampaignError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return redirect(reverse("admin:ventas_campaign_preview", args=[campaign.pk]))
            if started:
                self.log_change(request, campaign, _("Envío de la campaña iniciado"))
                self.message_user(request, _("Envío iniciado. Esta página muestra su avance."), messages.SUCCESS)
            else:
                self.message_user(
                    request, _("Esta campaña ya se está enviando o ya se envió: este es su resultado."), messages.INFO
                )
            return redirect(reverse("admin:ventas_campaign_run", args=[run.pk]))

        run_id = request.GET.get("ejecucion", "")
        run = (
            CampaignRun.objects.filter(pk=run_id, campaign=campaign, mode=CampaignRun.Mode.PREVIEW).first()
            if (run_id.isdigit())
            else None
        )
        error = ""
        if run is None:
            try:
                run = campaign_runs.start_preview(campaign, actor)
            except campaigns.CampaignError as exc:
                error = str(exc)
            else:
                return redirect(reverse("admin:ventas_campaign_preview", args=[campaign.pk]) + f"?ejecucion={run.pk}")
        return TemplateResponse(
            request, "admin/communications/campaign/preview.html", self._run_context(request, campaign, run, error)
        )

    def run_view(self, request, run_id):
        run = CampaignRun.objects.filter(pk=run_id).select_related("campaign").first()
        if run is None:
            raise Http404(_("La ejecución no existe."))
        campaign = self._campaign(request, str(run.campaign_id))
        if run.mode == CampaignRun.Mode.PREVIEW:
            return redirect(reverse("admin:ventas_campaign_preview", args=[campaign.pk]) + f"?ejecucion={run.pk}")
        return TemplateResponse(
            request, "admin/communications/campaign/preview.html", self._run_context(request, campaign, run, "")
        )

    def progress_view(self, request, run_id):
        """Small JSON for polling: state and counts so far."""
        run = CampaignRun.objects.filter(pk=run_id).first()
        if run is None:
            raise Http404
        self._campaign(request, str(run.campaign_id))
        summary = campaigns.Summary.from_json(run.summary)
        return JsonResponse(
            {
                "estado": run.state,
                "estado_texto": str(run.get_state_display()),
                "terminado": run.finished,
                "procesados": run.processed,
                "total": run.total,
                "resultados": summary.statuses(),
            }
        )

    def stop_view(self, request, object_id):
        """Detener campaña (POST only): stop its task between pages and cancel its pending messages."""
        campaign = self._campaign(request, object_id, change=True)
        if request.method != "POST":
            return redirect(reverse("admin:ventas_campaign_results", args=[campaign.pk]))
        cancelled = campaign_runs.stop(campaign, request.user.get_username())
        self.log_change(request, campaign, _("Campaña detenida"))
        self.message_user(
            request,
            ngettext(
                "Campaña detenida: %(n)d mensaje pendiente cancelado.",
                "Campaña detenida: %(n)d mensajes pendientes cancelados.",
                cancelled,
            )
            % {"n": cancelled},
            messages.WARNING,
        )
        return redirect(reverse("admin:ventas_campaign_results", args=[campaign.pk]))

    def results_view(self, request, object_id):
        """The campaign's messages by outcome, with replies and opt-outs (two aggregate queries)."""
        campaign = self._campaign(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": campaign,
            "campaign": campaign,
            "title": _("Resultados: %(name)s") % {"name": campaign.name},
            "results": campaigns.results(campaign),
            "last_send": campaign.runs.filter(mode=CampaignRun.Mode.SEND).first(),
            "can_stop": self.has_change_permission(request, campaign)
            and campaign.status in (Campaign.Status.ACTIVE, Campaign.Status.SENDING, Campaign.Status.SENT),
        }
        return TemplateResponse(request, "admin/communications/campaign/results.html", context)

    def _run_context(self, request, campaign, run, error):
        content, summary = None, None
        if not error:
            try:
                content = campaigns.content_preview(campaign)
            except campaigns.CampaignError as exc:
                error = str(exc)
        if run is not None and (run.summary or run.finished):
            summary = campaigns.Summary.from_json(run.summary)
        send_blocker = ""
        try:
            campaigns.check_can_send(campaign, timezone.now())
        except campaigns.CampaignError as exc:
            send_blocker = str(exc)
        is_preview = run is None or run.mode == CampaignRun.Mode.PREVIEW
        title = _("Vista previa: %(name)s") if is_preview else _("Envío: %(name)s")
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": campaign,
            "title": title % {"name": campaign.name},
            "campaign": campaign,
            "run": run,
            "is_preview": is_preview,
            "error": error or (run.error if run else ""),
            "content": content,
            "summary": summary,
            "filters": campaigns.audience_filters(campaign),
            "status_rows": status_rows(summary) if summary else [],
            "segment_rows": segment_rows(summary) if summary else [],
            "deferred_days": summary.deferred_days() if summary else [],
            "empty_segments": [SEGMENT_LABELS[s] for s in campaigns.empty_segments(campaign, summary)]
            if summary and run.finished
            else [],
            "total_cost": clp(campaigns.total_cost_clp(campaign, summary)) if summary and content else "",
            "message_cost": clp(content.cost_clp) if content and content.segments else "",
            "outcome_headers": [campaigns.OUTCOME_LABELS[s] for s in campaigns.OUTCOME_ORDER],
            "send_blocker": send_blocker,
            "can_send": is_preview
            and bool(run and run.state == CampaignRun.State.DONE)
            and not error
            and not send_blocker
            and self.has_change_permission(request, campaign),
            "can_stop": not is_preview and self.has_change_permission(request, campaign) and run and not run.finished,
            "refresh": bool(run and not run.finished),
        }

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
