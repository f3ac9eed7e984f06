"""The CRM's client segments: visits x spend, plus zero_spend.

A visit is a booking that was paid or partly paid; spend is what the client
actually paid (CLP) on those bookings. Thresholds are the CRM's.
"""

from django.db.models import Case, CharField, Value, When
from django.utils.translation import gettext_lazy as _

PAID_STATES = ("pagado", "parcial")

REGULAR_MIN_VISITS = 2  # new: 0-1 visits
VIP_MIN_VISITS = 6  # regular: 2-5 visits
MEDIUM_MIN_SPEND = 50_000  # low: < 50.000 CLP
HIGH_MIN_SPEND = 150_000  # medium: 50.000-149.999 CLP

ZERO_SPEND = "zero_spend"
VISIT_LEVELS = ("new", "regular", "vip")
SPEND_LEVELS = ("low", "medium", "high")
SEGMENTS = tuple(f"{v}_{s}_spend" for v in VISIT_LEVELS for s in SPEND_LEVELS) + (ZERO_SPEND,)

_VISIT_LABELS = {"new": _("Nuevo"), "regular": _("Regular"), "vip": _("VIP")}
_SPEND_LABELS = {"low": _("gasto bajo"), "medium": _("gasto medio"), "high": _("gasto alto")}
SEGMENT_LABELS = {
    f"{v}_{s}_spend": f"{_VISIT_LABELS[v]} · {_SPEND_LABELS[s]}" for v in VISIT_LEVELS for s in SPEND_LEVELS
}
SEGMENT_LABELS[ZERO_SPEND] = _("Sin gasto")


def segment_for(visits: int, spend: int) -> str:
    """The segment of one client, in Python (the SQL expression below must agree)."""
    if visits <= 0 or spend <= 0:
        return ZERO_SPEND
    v = "vip" if visits >= VIP_MIN_VISITS else "regular" if visits >= REGULAR_MIN_VISITS else "new"
    s = "high" if spend >= HIGH_MIN_SPEND else "medium" if spend >= MEDIUM_MIN_SPEND else "low"
    return f"{v}_{s}_spend"


def segment_expression(visits: str = "paid_visits", spend: str = "total_spend") -> Case:
    """SQL CASE over annotated visit and spend columns, one segment name per row."""
    from django.db.models import Q

    whens = [When(Q(**{f"{visits}__lte": 0}) | Q(**{f"{spend}__lte": 0}), then=Value(ZERO_SPEND))]
    visit_ranges = {
        "vip": Q(**{f"{visits}__gte": VIP_MIN_VISITS}),
        "regular": Q(**{f"{visits}__gte": REGULAR_MIN_VISITS, f"{visits}__lt": VIP_MIN_VISITS}),
        "new": Q(**{f"{visits}__lt": REGULAR_MIN_VISITS}),
    }
    spend_ranges = {
        "high": Q(**{f"{spend}__gte": HIGH_MIN_SPEND}),
        "medium": Q(**{f"{spend}__gte": MEDIUM_MIN_SPEND, f"{spend}__lt": HIGH_MIN_SPEND}),
        "low": Q(**{f"{spend}__lt": MEDIUM_MIN_SPEND}),
    }
    for v, vq in visit_ranges.items():
        for s, sq in spend_ranges.items():
            whens.append(When(vq & sq, then=Value(f"{v}_{s}_spend")))
    return Case(*whens, default=Value(ZERO_SPEND), output_field=CharField())


def paid_figures(client_ids) -> dict[int, tuple[int, int]]:
    """{cliente id: (paid visits, spend)} of the clients among these with a paid booking, in one query.

    Same figures as ``Cliente.objects.with_segments()``, read from the bookings of
    just these clients through the (cliente, estado_pago, fecha_reserva) index. On
    PostgreSQL the LEFT JOIN of ``with_segments`` restricted to a page of clients
    still reads every booking (a hash join over a sequential scan, or a merge join
    from the first client), so paging through the base with it is quadratic.
    """
    from django.db.models import Count, Sum

    from .models import VentaReserva

    rows = (
        VentaReserva.objects.filter(cliente_id__in=list(client_ids), estado_pago__in=PAID_STATES)
        .order_by()
        .values("cliente_id")
        .annotate(visits=Count("pk"), spend=Sum("pagado"))
        .values_list("cliente_id", "visits", "spend")
    )
    return {cliente_id: (visits, spend or 0) for cliente_id, visits, spend in rows}


def segments_of(client_ids) -> dict[int, str]:
    """The segment of each of these clients (zero_spend without a paid booking), in one query."""
    ids = list(client_ids)
    figures = paid_figures(ids)
    return {cliente_id: segment_for(*figures.get(cliente_id, (0, 0))) for cliente_id in ids}
