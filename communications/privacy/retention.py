"""Retention: message bodies and provider payloads older than MESSAGE_BODY_RETENTION_MONTHS are purged.

Statuses, timestamps, kinds, segments and costs stay: they are what the rollup and
the dashboard count, and they hold no personal content.
"""

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from ..models import DeliveryEvent, Message

PURGED = "[depurado]"


def purge_old_bodies(now=None, *, batch: int = 5000) -> dict[str, int]:
    now = now or timezone.now()
    cutoff = now - relativedelta(months=settings.MESSAGE_BODY_RETENTION_MONTHS)
    counts = {"mensajes": 0, "eventos": 0}
    # Batches by primary key keep each UPDATE short on a large table.
    while True:
        ids = list(
            Message.objects.filter(created_at__lt=cutoff)
            .exclude(body__in=("", PURGED))
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        counts["mensajes"] += Message.objects.filter(pk__in=ids).update(
            body=PURGED, subject="", custom_text="", context={}
        )
    while True:
        ids = list(
            DeliveryEvent.objects.filter(received_at__lt=cutoff)
            .exclude(payload={})
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        counts["eventos"] += DeliveryEvent.objects.filter(pk__in=ids).update(payload={})
    return counts
