"""Insights as template values: ``{{ recomendaciones }}`` ("A, B y C") and ``{{ recomendacion }}``."""

from django.utils import timezone
from django.utils.translation import gettext as _

from ventas.models import ReservaServicio, Servicio, VentaReserva

from ..calendar import localdate


def join_es(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s y %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def recommended_names(cliente_id: int, now=None) -> list[str]:
    """Stored recommendations still on sale and not booked since scoring; none for an objector."""
    from ..models import ClientPreferences
    from .models import ClientInsight

    if ClientPreferences.objects.filter(cliente_id=cliente_id, objects_to_profiling=True).exists():
        return []
    ids = ClientInsight.objects.filter(cliente_id=cliente_id).values_list("recommendations", flat=True).first() or []
    if not ids:
        return []
    today = localdate(now or timezone.now())
    booked = set(
        ReservaServicio.objects.filter(
            venta_reserva__cliente_id=cliente_id, fecha_agendamiento__gte=today, servicio_id__in=ids
        )
        .exclude(venta_reserva__estado_pago=VentaReserva.EstadoPago.CANCELADO)
        .values_list("servicio_id", flat=True)
    )
    names = dict(Servicio.objects.filter(pk__in=ids, activo=True).values_list("pk", "nombre"))
    return [names[i] for i in ids if i in names and i not in booked][:3]


def template_values(cliente_id: int, now=None) -> dict:
    names = recommended_names(cliente_id, now)
    return {"recomendaciones": join_es(names), "recomendacion": names[0] if names else ""}
