"""Staff views of the insights: the client's scores (read-only), a risk filter, the training runs."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ventas.models import Servicio

from .models import ClientInsight, InsightRun, RiskBand


class RiskBandFilter(admin.SimpleListFilter):
    title = _("riesgo de abandono")
    parameter_name = "riesgo"

    def lookups(self, request, model_admin):
        return RiskBand.choices

    def queryset(self, request, queryset):
        if self.value() in RiskBand.values:
            return queryset.filter(insight__risk_band=self.value())
        return queryset


def insight_block(cliente):
    """The client's stored scores as a small read-only table (the client page shows it)."""
    obj = ClientInsight.objects.filter(cliente=cliente).first()
    if obj is None:
        return _("Sin perfil (aún no puntuado, o el cliente se opone a la elaboración de perfiles).")
    risk = "—" if obj.churn_probability is None else f"{obj.get_risk_band_display()} ({obj.churn_probability:.0%})"
    names = dict(Servicio.objects.filter(pk__in=obj.recommendations).values_list("pk", "nombre"))
    hour = "—" if obj.best_hour is None else f"{obj.best_hour}:00 ({obj.best_hour_source})"
    rows = [
        (_("Riesgo de abandono"), risk),
        (_("Valor (CLP pagados en 365 días)"), f"{obj.value_clp:,}".replace(",", ".")),
        (_("Motivos"), "; ".join(obj.reasons) or "—"),
        (_("Mejor hora de envío"), hour),
        (_("Servicios recomendados"), ", ".join(names[i] for i in obj.recommendations if i in names) or "—"),
        (_("Modelo"), f"{obj.model_version} · {obj.scored_at:%Y-%m-%d %H:%M}"),
    ]
    return format_html(
        "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((str(a), b) for a, b in rows))
    )


@admin.register(InsightRun)
class InsightRunAdmin(admin.ModelAdmin):
    list_display = [
        "trained_at",
        "churn_version",
        "churn_in_use",
        "sendtime_in_use",
        "recommend_in_use",
        "clients_scored",
    ]
    readonly_fields = [f.name for f in InsightRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
