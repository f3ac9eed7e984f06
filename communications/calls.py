"""The VIP call list: VIP clients with no paid visit for a while, and the calls staff make to them.

A phone call is not a message: it goes through no gate and counts against no cap.
Each call is recorded as a ventas.CampaignInteraction of type "call", so it sits
in the client's history next to the campaign opens, clicks and replies.
"""

import datetime

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ventas.models import CampaignInteraction, Cliente, VentaReserva
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

# Cliente.save stores a number that parses as E.164; anything else ("1908") is kept as typed.
USABLE_PHONE = r"^\+[1-9][0-9]{7,14}$"


class DoNotCall:
    """Why a client on the list must not get a sales call (None: they may)."""

    OPTED_OUT_ALL = "opted_out_all"
    OPTED_OUT_SMS = "opted_out_sms"


DO_NOT_CALL_LABELS = {
    DoNotCall.OPTED_OUT_ALL: _("No contactar (baja de promociones)"),
    DoNotCall.OPTED_OUT_SMS: _("No llamar (baja de SMS)"),
}


def inactive_since(now) -> datetime.datetime:
    # One definition of "inactive" for the whole app: the reactivation trigger's window (staff tune it).
    from .triggers import TRIGGERS

    return now - datetime.timedelta(days=TRIGGERS["reactivation_email"].config().window_days)


def inactive_vips(now=None, model=Cliente):
    """VIP clients the reactivation trigger would call inactive at ``now``.

    The same rule as the trigger: the last paid visit is the reactivation window (90
    days) or more before ``now``, and no booking is coming up (someone who booked for
    next week is not "gone quiet").

    Annotated with segment, visits, spend and last paid visit (``with_segments``), with
    ``phone_usable`` (a number that can be dialled), ``do_not_call`` (a DoNotCall code
    or None: the client withdrew consent) and with the time and outcome of their latest
    call in the last RECENT_CALL_DAYS days (``last_call_at`` / ``last_call_outcome``),
    and with the stored churn insight: ``risk_band``, ``churn_probability``, ``value_clp``
    (CLP paid in the last 365 days), ``risk_reasons`` (Spanish) and ``risk_value`` =
    churn probability × value (None when the client has no stored score).
    Order: callable clients first (usable phone, no opt-out), then not called recently,
    then by risk × value (unscored last), then by spend. ``model`` lets the admin list its proxy.
    """
    now = now or timezone.now()
    upcoming = VentaReserva.objects.filter(cliente_id=OuterRef("pk"), fecha_reserva__gt=now).exclude(
        estado_pago=VentaReserva.EstadoPago.CANCELADO
    )
    # A missing preferences row means the defaults: everything accepted.
    opted_out_all = Q(preferencias__accepts_promotional=False) | (
        Q(preferencias__accepts_sms=False) & Q(preferencias__accepts_email=False)
    )
    opted_out_sms = Q(preferencias__accepts_sms=False) | Q(preferencias__accepts_marketing_sms=False)
    recent_calls = CampaignInteraction.objects.filter(
        cliente_id=OuterRef("pk"),
        interaction_type=CampaignInteraction.Type.CALL,
        timestamp__gte=now - datetime.timedelta(days=RECENT_CALL_DAYS),
        timestamp__lte=now,
    ).order_by("-timestamp", "-pk")
    return (
        model.objects.with_segments()
        .filter(segment__in=VIP_SEGMENTS, last_paid_visit__lte=inactive_since(now))
        .annotate(has_upcoming=Exists(upcoming))
        .filter(has_upcoming=False)
        .annotate(
            last_call_at=Subquery(recent_calls.values("timestamp")[:1]),
            last_call_outcome=Subquery(recent_calls.annotate(outcome=KT("details__outcome")).values("outcome")[:1]),
            phone_usable=Case(
                When(telefono__regex=USABLE_PHONE, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            do_not_call=Case(
                When(opted_out_all, then=Value(DoNotCall.OPTED_OUT_ALL)),
                When(opted_out_sms, then=Value(DoNotCall.OPTED_OUT_SMS)),
                default=Value(None),
                output_field=CharField(),
            ),
            # The stored insight (objectors have none): specs/insights.md, value = CLP paid in 365 days.
            risk_band=F("insight__risk_band"),
            churn_probability=F("insight__churn_probability"),
            value_clp=F("insight__value_clp"),
            risk_reasons=F("insight__reasons"),
            risk_value=ExpressionWrapper(
                F("insight__churn_probability") * F("insight__value_clp"), output_field=FloatField()
            ),
        )
        .order_by(*CALL_ORDER, "pk")
    )


# Whom to call first: reachable and willing, then not called lately, then the most value at risk
# (churn probability × CLP paid in the last 365 days), then the biggest spenders.
CALL_ORDER = (
    F("phone_usable").desc(),
    F("do_not_call").asc(nulls_first=True),
    F("last_call_at").asc(nulls_first=True),
    F("risk_value").desc(nulls_last=True),
    F("total_spend").desc(),
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


def do_not_call_label(code: str | None) -> str:
    return str(DO_NOT_CALL_LABELS.get(code, "")) if code else ""


def risk_label(band: str | None, probability: float | None) -> str:
    """The band and probability as staff read them ("alto (82 %)"), or "" without a stored score."""
    from .insights.models import RiskBand

    if not band or probability is None:
        return ""
    return f"{RiskBand(band).label} ({round(probability * 100)}\u00a0%)"


def outcome_label(outcome: str | None) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome or "—"))
