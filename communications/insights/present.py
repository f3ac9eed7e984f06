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
    return recommended_names_for([cliente_id], now)[cliente_id]


def recommended_names_for(cliente_ids, now=None) -> dict[int, list[str]]:
    """``recommended_names`` for many clients in four queries, however many there are (a send batch)."""
    from ..models import ClientPreferences
    from .models import ClientInsight

    ids = set(cliente_ids)
    names: dict[int, list[str]] = {pk: [] for pk in ids}
    objectors = set(
        ClientPreferences.objects.filter(cliente_id__in=ids, objects_to_profiling=True).values_list(
            "cliente_id", flat=True
        )
    )
    wanted = {
        pk: recs
        for pk, recs in ClientInsight.objects.filter(cliente_id__in=ids - objectors).values_list(
            "cliente_id", "recommendations"
        )
        if recs
    }
    if not wanted:
        return names
    services = {s for recs in wanted.values() for s in recs}
    today = localdate(now or timezone.now())
    booked: dict[int, set[int]] = {}
    rows = (
        ReservaServicio.objects.filter(
            venta_reserva__cliente_id__in=wanted, fecha_agendamiento__gte=today, servicio_id__in=services
        )
        .exclude(venta_reserva__estado_pago=VentaReserva.EstadoPago.CANCELADO)
        .values_list("venta_reserva__cliente_id", "servicio_id")
    )
    for cliente_id, servicio_id in rows:
        booked.setdefault(cliente_id, set()).add(servicio_id)
    on_sale = dict(Servicio.objects.filter(pk__in=services, activo=True).values_list("pk", "nombre"))
    for pk, recs in wanted.items():
        mine = booked.get(pk, set())
        names[pk] = [on_sale[i] for i in recs if i in on_sale and i not in mine][:3]
    return names


def template_values(cliente_id: int, now=None) -> dict:
    return template_values_for([cliente_id], now)[cliente_id]


def template_values_for(cliente_ids, now=None) -> dict[int, dict]:
    """``template_values`` of many clients, read together (one send batch, one set of queries)."""
    return {
        pk: {"recomendaciones": join_es(names), "recomendacion": names[0] if names else ""}
        for pk, names in recommended_names_for(cliente_ids, now).items()
    }
