"""Pending messages (scheduled or queued) per client segment and kind, for the staff page.

One GROUP BY over the outbox: each message carries ``client_segment``, the segment
its client was in when the gate decided, so no per-row subquery recomputes segments
from the CRM (that cost grew with the outbox times the client's sales). Rows decided
before the snapshot existed have a blank segment and are shown last, under their own
row. The result is a handful of rows (segments x kinds x two statuses).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F

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
    rows = (
        Message.objects.filter(status__in=PENDING_STATUSES)
        .values("kind", "status", segment=F("client_segment"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    table: dict[str, SegmentRow] = {}
    for row in rows:
        seg = table.setdefault(row["segment"], SegmentRow(row["segment"]))
        seg.kinds[row["kind"]][row["status"]] += row["n"]
    order = {s: i for i, s in enumerate(SEGMENTS)}
    return sorted(table.values(), key=lambda r: order.get(r.segment, len(order)))
