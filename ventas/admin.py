import re

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _

from .models import Campaign, CampaignInteraction, Cliente, ReservaServicio, Servicio, VentaReserva
from .segments import SEGMENT_LABELS, SEGMENTS


def clp(amount) -> str:
    """Chilean pesos as people write them, "$86.712", whatever the active locale's separator.

    The one money format of every staff screen and email (the ``clp`` template filter in
    communications.templatetags.money and stats.kpis.clp use it): dot thousands, no
    decimals (rounded), a minus sign before the "$".
    """
    value = round(amount or 0)
    sign = "−" if value < 0 else ""
    return f"{sign}${abs(int(value)):,}".replace(",", ".")


# What a receptionist types for a phone: digits with spaces, dashes, dots, parentheses, a "+".
_PHONE_LIKE = re.compile(r"^[\d\s\-\(\)\.\+]+$")
MIN_PHONE_DIGITS = 4


def phone_digits(term: str) -> str | None:
    """The digits of a search term that looks like a phone number, else None.

    Numbers are stored in E.164 (+56972815490): "9 7281-5490", "(+56) 9 7281 5490" and
    "+56972815490" all reduce to digits contained in it.
    """
    term = (term or "").strip()
    if not _PHONE_LIKE.match(term):
        return None
    digits = re.sub(r"\D", "", term)
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


class PhoneSearchMixin:
    """Search finds a phone however it was typed; other terms search as usual."""

    phone_search_field = "telefono"

    def get_search_results(self, request, queryset, search_term):
        digits = phone_digits(search_term)
        if digits is None:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(Q(**{f"{self.phone_search_field}__contains": digits})), False


class FeminineMessagesMixin:
    """Django's Spanish success messages say "El … fue agregado" whatever the noun's gender.

    "campaña", "plantilla", "venta / reserva" are feminine: staff should read "La campaña
    “Promo” fue agregada correctamente".
    """

    _FEMININE = (
        ("fue agregado", "fue agregada"),
        ("fue eliminado", "fue eliminada"),
        ("volverlo", "volverla"),
        ("editarlo", "editarla"),
        ("agregar otro ", "agregar otra "),
    )

    def message_user(self, request, message, *args, **kwargs):
        name = str(self.opts.verbose_name)
        text = str(message)
        for prefix in (f"El {name} ", f"El{name} "):
            if text.startswith(prefix):
                text = f"La {name} {text[len(prefix) :]}"
                for masculine, feminine in self._FEMININE:
                    text = text.replace(masculine, feminine)
                message = mark_safe(text) if isinstance(message, SafeData) else text  # escaped by format_html
                break
        return super().message_user(request, message, *args, **kwargs)


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
    fields = ["fecha_reserva", "total_clp", "pagado_clp", "estado_pago", "estado_reserva"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ["-fecha_reserva"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total"))
    def total_clp(self, obj):
        return clp(obj.total)

    @admin.display(description=_("pagado"))
    def pagado_clp(self, obj):
        return clp(obj.pagado)


@admin.register(Cliente)
class ClienteAdmin(PhoneSearchMixin, admin.ModelAdmin):
    # Compact enough for 1366 px: spend and last visit must stay on screen.
    list_display = ["nombre", "contacto", "segmento", "visitas", "gasto", "ultima_visita"]
    search_fields = ["nombre", "telefono", "email"]
    list_filter = [SegmentFilter, "ciudad"]
    inlines = [VentaReservaInline]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).with_segments()

    @admin.display(description=_("teléfono y email"), ordering="telefono")
    def contacto(self, obj):
        return format_html("{}<br>{}", obj.telefono or "—", obj.email or "—")

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
        if obj.last_paid_visit is None:
            return "—"
        return date_format(timezone.localtime(obj.last_paid_visit), "j M Y")


@admin.register(Servicio)
class ServicioAdmin(admin.ModelAdmin):
    list_display = ["nombre", "tipo_servicio", "categoria", "precio", "duracion", "activo"]
    list_filter = ["tipo_servicio", "activo"]
    search_fields = ["nombre", "categoria"]

    @admin.display(description=_("precio base"), ordering="precio_base")
    def precio(self, obj):
        return clp(obj.precio_base)


@admin.register(VentaReserva)
class VentaReservaAdmin(PhoneSearchMixin, FeminineMessagesMixin, admin.ModelAdmin):
    list_display = ["id", "cliente", "fecha_reserva", "total_clp", "estado_pago", "estado_reserva"]
    list_filter = ["estado_pago", "estado_reserva", "fecha_reserva"]
    search_fields = ["cliente__nombre", "cliente__telefono", "cliente__email"]
    phone_search_field = "cliente__telefono"
    autocomplete_fields = ["cliente"]
    date_hierarchy = "fecha_reserva"
    inlines = [ReservaServicioInline]
    list_select_related = ["cliente"]

    @admin.display(description=_("total"), ordering="total")
    def total_clp(self, obj):
        return clp(obj.total)


@admin.register(Campaign)
class CampaignAdmin(FeminineMessagesMixin, admin.ModelAdmin):
    list_display = ["name", "status", "start_date", "end_date", "target_min_visits", "target_min_spend"]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.register(CampaignInteraction)
class CampaignInteractionAdmin(PhoneSearchMixin, FeminineMessagesMixin, admin.ModelAdmin):
    list_display = ["timestamp", "cliente", "campaign", "interaction_type"]
    list_filter = ["interaction_type", "campaign"]
    search_fields = ["cliente__nombre", "cliente__telefono"]
    phone_search_field = "cliente__telefono"
    autocomplete_fields = ["cliente"]
    list_select_related = ["cliente", "campaign"]
    date_hierarchy = "timestamp"
