"""The VIP call list: VIP clients with no paid visit for a while, and the calls staff make to them.

A phone call is not a message: it goes through no gate and counts against no cap.
Each call is recorded as a ventas.CampaignInteraction of type "call", so it sits
in the client's history next to the campaign opens, clicks and replies.
"""

import datetime

from django.db.models import F, OuterRef, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ventas.models import CampaignInteraction, Cliente
from ventas.segments import SEGMENTS

VIP_SEGMENTS = tuple(s for s in SEGMENTS if s.startswith("vip_"))
# A call this recent is shown on the list with its outcome (staff should not call again blindly).
RECENT_CALL_DAYS = 30


class Outcome:
    ANSWERED_INTERESTED = "answered_interested"
    ANSWERED_NOT_INTERESTED = "answered_not_interested"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"


OUTCOME_LABELS = {
    Outcome.ANSWERED_INTERESTED: _("Contestó: interesado"),
    Outcome.ANSWERED_NOT_INTERESTED: _("Contestó: no interesado"),
    Outcome.NO_ANSWER: _("No contestó"),
    Outcome.WRONG_NUMBER: _("Número equivocado"),
}
OUTCOME_CHOICES = list(OUTCOME_LABELS.items())


def inactive_since(now) -> datetime.datetime:
    # One definition of "inactive" for the whole app: the reactivation trigger's window (staff tune it).
    from .triggers import TRIGGERS

    return now - datetime.timedelta(days=TRIGGERS["reactivation_email"].config().window_days)


def inactive_vips(now=None, model=Cliente):
    """VIP clients whose last paid visit is the reactivation window (90 days) or more before ``now``.

    Annotated with segment, visits, spend and last paid visit (``with_segments``), and
    with the time and outcome of their latest call in the last RECENT_CALL_DAYS days
    (``last_call_at`` / ``last_call_outcome``, None when not called). Clients not
    called recently come first, then by spend. ``model`` lets the admin list its proxy.
    """
    now = now or timezone.now()
    recent_calls = CampaignInteraction.objects.filter(
        cliente_id=OuterRef("pk"),
        interaction_type=CampaignInteraction.Type.CALL,
        timestamp__gte=now - datetime.timedelta(days=RECENT_CALL_DAYS),
        timestamp__lte=now,
    ).order_by("-timestamp", "-pk")
    return (
        model.objects.with_segments()
        .filter(segment__in=VIP_SEGMENTS, last_paid_visit__lte=inactive_since(now))
        .annotate(
            last_call_at=Subquery(recent_calls.values("timestamp")[:1]),
            last_call_outcome=Subquery(recent_calls.annotate(outcome=KT("details__outcome")).values("outcome")[:1]),
        )
        .order_by(F("last_call_at").asc(nulls_first=True), "-total_spend", "pk")
    )


def register_call(cliente, outcome: str, notes: str, staff, *, campaign=None, now=None) -> CampaignInteraction:
    """Record one phone call to a client and its outcome; ``staff`` is a user or a username."""
    if outcome not in OUTCOME_LABELS:
        raise ValueError(f"unknown call outcome: {outcome!r}")
    username = staff.get_username() if hasattr(staff, "get_username") else str(staff)
    return CampaignInteraction.objects.create(
        cliente_id=getattr(cliente, "pk", cliente),
        campaign=campaign,
        interaction_type=CampaignInteraction.Type.CALL,
        timestamp=now or timezone.now(),
        details={"outcome": outcome, "notes": (notes or "").strip(), "staff": username},
    )


def outcome_label(outcome: str | None) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome or "—"))
