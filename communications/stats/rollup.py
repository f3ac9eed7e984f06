"""The rollup's counters as database aggregates (GROUP BY with conditional counts).

One definition serves the refresh (grouped by bucket) and the raw figures the
benchmark compares against (grouped by day or not at all), so they cannot disagree.
The funnel adds up: requested = blocked + cancelled + expired + pending + handed.
"""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce

from ..models import ConsentEvent, DeliveryEvent, Reason, Status

# "Deferred" = the gate's first decision was to schedule because of quiet hours or a cap.
DEFERRAL_REASONS = (
    Reason.QUIET_HOURS,
    Reason.CAP_SMS_DAILY,
    Reason.CAP_SMS_MONTHLY,
    Reason.CAP_EMAIL_WEEKLY,
    Reason.CAP_KIND,
)
# Not yet handed to a provider (sending = claimed, the provider call may not have started).
NOT_HANDED = (Status.SCHEDULED, Status.QUEUED, Status.SENDING)
# Reached the sending step: accepted, uncertain, delivered, or failed (a failure before the
# provider call, such as a template error, is counted here too, so the funnel stays whole).
HANDED = (Status.SENT, Status.UNKNOWN, Status.DELIVERED, Status.FAILED)

COUNTERS = (
    "requested",
    "blocked",
    "deferred",
    "cancelled",
    "expired",
    "pending",
    "handed",
    "sent",
    "delivered",
    "failed",
    "unknown",
    "opens",
    "clicks",
    "replies",
    "opt_outs",
    "complaints",
    "bounces",
    "conversions",
    "revenue_clp",
    "sms_cost_clp",
)
REASON_COUNTERS = ("blocked_by_reason", "deferred_by_reason", "cancelled_by_reason")


def _event(event_type):
    return Exists(DeliveryEvent.objects.filter(message=OuterRef("pk"), event_type=event_type))


def counter_aggregates() -> dict:
    """Aggregate expressions over Message rows, one per counter (``sms_cost_clp``: SMS cost only)."""
    opted_out = Exists(ConsentEvent.objects.filter(message=OuterRef("pk"), granted=False))
    bounced = _event("bounce")
    sent = Q(sent_at__isnull=False)
    return {
        "requested": Count("pk"),
        "blocked": Count("pk", filter=Q(status=Status.BLOCKED)),
        "deferred": Count("pk", filter=Q(first_status=Status.SCHEDULED, first_reason__in=DEFERRAL_REASONS)),
        "cancelled": Count("pk", filter=Q(status=Status.CANCELLED)),
        "expired": Count("pk", filter=Q(status=Status.EXPIRED)),
        "pending": Count("pk", filter=Q(status__in=NOT_HANDED)),
        "handed": Count("pk", filter=Q(status__in=HANDED)),
        "sent": Count("pk", filter=sent),
        # Email has no delivery receipt: delivered = sent and not bounced.
        "delivered": Count(
            "pk",
            filter=Q(channel="sms", status=Status.DELIVERED) | (Q(channel="email") & sent & ~bounced),
        ),
        "failed": Count("pk", filter=Q(status=Status.FAILED)),
        "unknown": Count("pk", filter=Q(status=Status.UNKNOWN)),
        "opens": Count("pk", filter=Q(opened_at__isnull=False, machine_open=False)),
        "clicks": Count("pk", filter=Q(clicked_at__isnull=False)),
        "replies": Count("pk", filter=Q(replied_at__isnull=False)),
        "opt_outs": Count("pk", filter=opted_out),
        "complaints": Count("pk", filter=_event("complaint")),
        "bounces": Count("pk", filter=bounced),
        "conversions": Count("pk", filter=Q(converted_at__isnull=False)),
        "revenue_clp": Coalesce(Sum("conversion_revenue_clp"), Value(0), output_field=IntegerField()),
        "sms_cost_clp": Coalesce(Sum("cost_clp", filter=Q(channel="sms")), Value(0), output_field=IntegerField()),
    }


def email_cost_clp(sent_emails: int, per_1000_clp: int) -> int:
    return round(sent_emails * per_1000_clp / 1000)


def bucket_cost(channel: str, row: dict, per_1000_clp: int) -> int:
    """CLP cost of a bucket: SMS as billed per segment; email per 1,000 sent (setting)."""
    if channel == "email":
        return email_cost_clp(row["sent"], per_1000_clp)
    return row["sms_cost_clp"]
