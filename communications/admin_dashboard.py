"""The communications dashboard: a plain admin view at /admin/communications/dashboard/.

Reads only what communications.stats.dashboard gives it (precomputed tables and
bounded live slices). Staff need the ``communications.view_dashboard``
permission; the admin site sends anonymous users to its login page.
"""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .pending import pending_by_segment
from .stats import alerts, dashboard, export, kpis
from .stats.models import Alert

PERMISSION = "communications.view_dashboard"


class RangeForm(forms.Form):
    desde = forms.DateField(label=gettext_lazy("Desde"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hasta = forms.DateField(label=gettext_lazy("Hasta"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    canal = forms.ChoiceField(
        label=gettext_lazy("Canal"),
        required=False,
        choices=[("", gettext_lazy("Todos")), ("sms", gettext_lazy("SMS")), ("email", gettext_lazy("Email"))],
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("desde"), data.get("hasta")
        if start and end and start > end:
            raise forms.ValidationError(_("La fecha «desde» debe ser anterior o igual a «hasta»."))
        if start and end and (end - start).days >= dashboard.MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("El rango puede tener como máximo %(n)d días.") % {"n": dashboard.MAX_RANGE_DAYS}
            )
        return data


def chosen_range(request, now) -> tuple[RangeForm, datetime.date, datetime.date, str]:
    """The validated range and channel; bad input keeps the defaults and shows the form's errors."""
    default_start, default_end = dashboard.default_range(now)
    form = RangeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["desde"], form.cleaned_data["hasta"]
        end = end or max(default_end, start or default_end)
        start = start or end - datetime.timedelta(days=29)
        return form, start, end, form.cleaned_data["canal"] or ""
    return form, default_start, default_end, ""


def _check(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def dashboard_view(request):
    _check(request)
    now = timezone.now()
    form, start, end, channel = chosen_range(request, now)
    figures = dashboard.figures(start, end, channel, now=now)
    near_caps, near_caps_total = dashboard.clients_near_caps(now)
    days = dashboard.chart_days(start, end)
    query = urlencode({"desde": start.isoformat(), "hasta": end.isoformat(), "canal": channel})
    context = {
        **admin.site.each_context(request),
        "title": _("Panel de comunicaciones"),
        "form": form,
        "start": start,
        "end": end,
        "channel": channel,
        "channel_label": dashboard.CHANNEL_LABELS.get(channel, _("Todos los canales")),
        "csv_url": f"{reverse('admin:communications_dashboard_export')}?{query}",
        "tiles": [_tile(t) for t in figures["tiles"]],
        "charts": dashboard.charts_for(days, dashboard.day_rows(start, end, channel), channel),
        "funnel": [
            {"label": f.label, "value": f.value, "share": kpis.percent(f.share), "indent": f.indent}
            for f in figures["funnel"]
        ],
        "blocked": figures["blocked"],
        "deferred": figures["deferred"],
        "cancelled": figures["cancelled"],
        "cost": figures["cost"],
        "cost_total": figures["totals"]["cost_clp"],
        "roi": [_roi(r) for r in figures["roi"]],
        "lift": figures["lift"],
        "pending": [
            {
                "label": dashboard.segment_label(r.segment),
                "scheduled": r.scheduled,
                "queued": r.queued,
                "total": r.total,
            }
            for r in pending_by_segment()
        ],
        "risk": dashboard.risk_by_segment(),
        "near_caps": near_caps,
        "near_caps_total": near_caps_total,
        "limits": _limits(),
        "runs": dashboard.sweep_rows(now),
        "replies_to_review": dashboard.replies_to_review(),
        "pct": kpis.percent,
    }
    return TemplateResponse(request, "admin/communications/dashboard.html", context)


def export_view(request):
    _check(request)
    now = timezone.now()
    _form, start, end, channel = chosen_range(request, now)
    figures = dashboard.figures(start, end, channel, now=now)
    response = HttpResponse(
        export.csv_bytes(figures, dashboard.risk_by_segment()), content_type="text/csv; charset=utf-8"
    )
    name = f"comunicaciones_{start:%Y%m%d}_{end:%Y%m%d}{'_' + channel if channel else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _tile(tile: kpis.Tile) -> dict:
    return {
        "key": tile.target.key,
        "label": tile.target.label,
        "value": kpis.percent(tile.rate.value),
        "target": tile.target.text,
        "status": tile.status,
        "status_label": kpis.STATUS_LABELS[tile.status],
        "numerator": tile.rate.numerator,
        "denominator": tile.rate.denominator,
        "numerator_label": tile.target.numerator_label,
        "denominator_label": tile.target.denominator_label,
        "side": kpis.percent(tile.side.value) if tile.side else "",
        "side_label": tile.side_label,
        "side_numerator": tile.side.numerator if tile.side else 0,
        "note": tile.note,
    }


def _roi(item: kpis.SegmentRoi) -> dict:
    lift = item.lift
    return {
        "label": dashboard.segment_label(item.segment),
        "cost": kpis.clp(item.cost),
        "revenue": kpis.clp(item.revenue),
        "roi": kpis.percent(item.roi, 0),
        "incremental": kpis.clp(lift.get("revenue")) if lift else "—",
        "interval": f"[{kpis.clp(lift['low'])}; {kpis.clp(lift['high'])}]"
        if lift and lift.get("low") is not None
        else "",
        "verdict": lift.get("verdict", "") if lift else "",
        "lift_roi": kpis.percent(item.lift_roi, 0),
        "arms": f"{lift['treated']} / {lift['control']}" if lift else "",
    }


def _limits() -> dict:
    from django.conf import settings

    return {
        "sms_day": settings.SMS_DAILY_LIMIT,
        "sms_month": settings.SMS_MONTHLY_LIMIT,
        "email_week": settings.EMAIL_WEEKLY_LIMIT,
    }


def _dashboard_urls():
    site = admin.site
    return [
        path("communications/dashboard/", site.admin_view(dashboard_view), name="communications_dashboard"),
        path(
            "communications/dashboard/export.csv",
            site.admin_view(export_view),
            name="communications_dashboard_export",
        ),
    ]


def install(site=admin.site) -> None:
    """Put the dashboard's URLs in front of the admin site's own (so they live in its namespace)."""
    if getattr(site, "_communications_dashboard", False):
        return
    original = site.get_urls

    def get_urls():
        return _dashboard_urls() + original()

    site.get_urls = get_urls
    site._communications_dashboard = True


install()


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Alerts are raised and resolved by the check; staff read their history here."""

    list_display = ["titulo", "severity", "count", "first_seen", "last_seen", "resolved_at", "detail"]
    list_filter = ["severity", "code", ("resolved_at", admin.EmptyFieldListFilter)]
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("alerta"))
    def titulo(self, obj):
        return alerts.title(obj.code)
