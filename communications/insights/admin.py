"""Staff views of the insights: the client's scores (read-only), a risk filter, the training runs."""

from django.contrib import admin
from django.utils.html import format_html_join
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


class ClientInsightInline(admin.StackedInline):
    model = ClientInsight
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("perfil predictivo")
    fields = [
        ("riesgo", "value_clp"),
        "motivos",
        ("best_hour", "best_hour_source"),
        "servicios_recomendados",
        ("model_version", "scored_at"),
    ]
    readonly_fields = [
        "riesgo",
        "value_clp",
        "motivos",
        "best_hour",
        "best_hour_source",
        "servicios_recomendados",
        "model_version",
        "scored_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("riesgo de abandono"))
    def riesgo(self, obj):
        if obj.churn_probability is None:
            return "—"
        return f"{obj.get_risk_band_display()} ({obj.churn_probability:.0%})"

    @admin.display(description=_("motivos"))
    def motivos(self, obj):
        return format_html_join("", "<div>{}</div>", ((r,) for r in obj.reasons)) or "—"

    @admin.display(description=_("servicios recomendados"))
    def servicios_recomendados(self, obj):
        names = dict(Servicio.objects.filter(pk__in=obj.recommendations).values_list("pk", "nombre"))
        return ", ".join(names[pk] for pk in obj.recommendations if pk in names) or "—"


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
