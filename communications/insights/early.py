"""Early reactivation (specs/insights.md, product rules): who may get the reactivation sequence before 90 days.

A staff setting on the reactivation trigger, off by default. When on, a client is
also due from EARLY_MIN_DAYS days without a paid visit when their stored churn risk
is in band "alto" and their value (CLP paid in the last 365 days) is in the top
quartile. Read from the stored ClientInsight rows: objectors have none, so they are
never reached early.

Top quartile: among the clients with a stored churn probability, the values of the
⌈n/4⌉ highest; the threshold is the ⌈n/4⌉-th highest value (ties at it included),
and a value of 0 never qualifies.
"""

import datetime
import math

from django.db.models import Q

from .models import ClientInsight, RiskBand

EARLY_MIN_DAYS = 45
TOP_SHARE = 0.25


def top_quartile_value() -> int | None:
    """The smallest value in the top quartile of scored clients (None when nobody is scored)."""
    scored = ClientInsight.objects.filter(churn_probability__isnull=False)
    n = scored.count()
    if not n:
        return None
    k = math.ceil(n * TOP_SHARE)
    return scored.order_by("-value_clp").values_list("value_clp", flat=True)[k - 1]


def early_clients():
    """ClientInsight rows of clients who may be reached early (a queryset of ``cliente_id``), or None."""
    threshold = top_quartile_value()
    if threshold is None:
        return None
    return ClientInsight.objects.filter(risk_band=RiskBand.HIGH, value_clp__gte=max(threshold, 1)).values("cliente_id")


def early_condition(now: datetime.datetime) -> Q | None:
    """A filter over ``Cliente.objects.with_segments()``: early-eligible and ≥ 45 days since the last paid visit."""
    eligible = early_clients()
    if eligible is None:
        return None
    return Q(pk__in=eligible, last_paid_visit__lte=now - datetime.timedelta(days=EARLY_MIN_DAYS))
