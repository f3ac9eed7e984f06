from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Campaign, CampaignInteraction, Cliente, ReservaServicio, Servicio, VentaReserva
from .segments import SEGMENT_LABELS, SEGMENTS


def clp(amount) -> str:
    """Chilean pesos as staff write them, "$12.345", whatever the active locale's separator."""
    return f"${int(amount or 0):,}".replace(",", ".")


class SegmentFilter(admin.SimpleListFilter):
    title = _("segmento")
    parameter_name = "segmento"

    def lookups(self, request, model_admin):
        return [(s, SEGMENT_LABELS[s]) for s in SEGMENTS]

    def queryset(self, request, queryset):
        if self.value() in SEGMENTS:
            return queryset.filter(segment=self.value())
        return queryset


class ReservaServicioInline(admin.TabularInline):
    model = ReservaServicio
    extra = 0
    autocomplete_fields = ["servicio"]


class VentaReservaInline(admin.TabularInline):
    model = VentaReserva
    extra = 0
    fields = ["fecha_reserva", "total", "pagado", "estado_pago", "estado_reserva"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ["-fecha_reserva"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Cliente)
class ClienteAdmin(admin.ModelAdmin):
    list_display = ["nombre", "telefono", "email", "ciudad", "segmento", "visitas", "gasto", "ultima_visita"]
    search_fields = ["nombre", "telefono", "email"]
    list_filter = [SegmentFilter, "ciudad"]
    inlines = [VentaReservaInline]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).with_segments()

    @admin.display(description=_("segmento"), ordering="segment")
    def segmento(self, obj):
        return obj.segment_label

    @admin.display(description=_("visitas"), ordering="paid_visits")
    def visitas(self, obj):
        return obj.paid_visits

    @admin.display(description=_("gasto"), ordering="total_spend")
    def gasto(self, obj):
        return clp(obj.total_spend)

    @admin.display(description=_("última visita"), ordering="last_paid_visit")
    def ultima_visita(self, obj):
        return obj.last_paid_visit


@admin.register(Servicio)
class ServicioAdmin(admin.ModelAdmin):
    list_display = ["nombre", "tipo_servicio", "categoria", "precio", "duracion", "activo"]
    list_filter = ["tipo_servicio", "activo"]
    search_fields = ["nombre", "categoria"]

    @admin.display(description=_("precio base"), ordering="precio_base")
    def precio(self, obj):
        return clp(obj.precio_base)


@admin.register(VentaReserva)
class VentaReservaAdmin(admin.ModelAdmin):
    list_display = ["id", "cliente", "fecha_reserva", "total_clp", "estado_pago", "estado_reserva"]
    list_filter = ["estado_pago", "estado_reserva", "fecha_reserva"]
    search_fields = ["cliente__nombre", "cliente__telefono", "cliente__email"]
    autocomplete_fields = ["cliente"]
    date_hierarchy = "fecha_reserva"
    inlines = [ReservaServicioInline]
    list_select_related = ["cliente"]

    @admin.display(description=_("total"), ordering="total")
    def total_clp(self, obj):
        return clp(obj.total)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "start_date", "end_date", "target_min_visits", "target_min_spend"]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.register(CampaignInteraction)
class CampaignInteractionAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "cliente", "campaign", "interaction_type"]
    list_filter = ["interaction_type", "campaign"]
    search_fields = ["cliente__nombre"]
    autocomplete_fields = ["cliente"]
    list_select_related = ["cliente", "campaign"]
    date_hierarchy = "timestamp"
