"""Pending messages (scheduled or queued) per client segment and kind, for the staff page.

One aggregate query: each pending message is labelled with its client's current
segment through a correlated subquery over ``Cliente.objects.with_segments()``,
then grouped. Nothing is read per client, and the result is a handful of rows
(segments x kinds x two statuses) however large the outbox is.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery

from ventas.models import Cliente
from ventas.segments import SEGMENTS

from .models import PENDING_STATUSES, Message, Status


@dataclass
class SegmentRow:
    segment: str
    kinds: dict = field(default_factory=lambda: defaultdict(lambda: {Status.SCHEDULED: 0, Status.QUEUED: 0}))

    @property
    def scheduled(self) -> int:
        return sum(k[Status.SCHEDULED] for k in self.kinds.values())

    @property
    def queued(self) -> int:
        return sum(k[Status.QUEUED] for k in self.kinds.values())

    @property
    def total(self) -> int:
        return self.scheduled + self.queued


def pending_by_segment() -> list[SegmentRow]:
    """SegmentRows in the CRM's segment order, each with {kind: {status: n}} of its pending messages."""
    segment = Cliente.objects.with_segments().filter(pk=OuterRef("cliente_id")).values("segment")[:1]
    rows = (
        Message.objects.filter(status__in=PENDING_STATUSES)
        .annotate(segment=Subquery(segment))
        .values("segment", "kind", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table: dict[str, SegmentRow] = {}
    for row in rows:
        seg = table.setdefault(row["segment"], SegmentRow(row["segment"]))
        seg.kinds[row["kind"]][row["status"]] += row["n"]
    order = {s: i for i, s in enumerate(SEGMENTS)}
    return sorted(table.values(), key=lambda r: order.get(r.segment, len(order)))
