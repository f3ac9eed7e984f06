"""Data-rights requests (Ley 21.719): registered when they arrive, answered through export or erasure.

- ``find_client``: the client a requester names, by id, phone (any form that parses) or email.
- ``register``: the request as received (type, channel, date), audited.
- ``answered``: the one way a request is marked answered. Export and erasure call it with
  the request they answer; called without one (an export or erasure from the client list
  or a command), it answers the client's oldest open request of that kind, or logs one
  received and answered on the spot.
- ``overdue_first``: the request list's order: unanswered past the deadline first, then
  unanswered by how soon they fall due, then the answered ones.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, DateTimeField, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone

from ventas.models import Cliente

from .. import audit
from ..suppression import EMAIL, SMS, normalise
from .models import DataRightsRequest

Kind = DataRightsRequest.Kind


class AmbiguousClient(Exception):
    """More than one client matches what the requester gave."""

    def __init__(self, ids):
        super().__init__(ids)
        self.ids = ids


def find_client(text: str) -> Cliente | None:
    """The one client whose id, phone or email is ``text``; None when none; AmbiguousClient when several."""
    text = (text or "").strip()
    if not text:
        return None
    if "@" in text:
        matches = Cliente.objects.filter(email__iexact=normalise(EMAIL, text))
    elif text.isdigit() and len(text) < 8:
        matches = Cliente.objects.filter(pk=int(text))
    else:
        phone = normalise(SMS, text)
        matches = Cliente.objects.filter(telefono=phone) if phone else Cliente.objects.none()
    ids = list(matches.order_by("pk").values_list("pk", flat=True)[:5])
    if len(ids) > 1:
        raise AmbiguousClient(ids)
    return Cliente.objects.get(pk=ids[0]) if ids else None


def register(request: DataRightsRequest, *, actor: str) -> DataRightsRequest:
    """Save a newly received request (from the admin form) and audit it."""
    with transaction.atomic():
        request.registered_by = actor[:150]
        request.save()
        audit.record(
            audit.AuditEvent.Action.DATA_REQUEST_REGISTERED,
            actor=actor,
            obj=request,
            cliente_id=request.cliente_id_ref,
            after={"tipo": request.kind, "canal": request.channel, "recibida": request.received_at.isoformat()},
        )
    return request


def answered(
    cliente_id: int | None, kind: str, *, actor: str, now=None, request: DataRightsRequest | None = None
) -> DataRightsRequest:
    """Mark ``request`` answered by ``actor`` now. Returns it.

    Without one (an export or erasure started from the client list or a command), the
    client's oldest unanswered request of that kind is the one answered; when there is
    none, a request received and answered now is logged.
    """
    now = now or timezone.now()
    if request is None and cliente_id is not None:
        request = (
            DataRightsRequest.objects.filter(cliente_id_ref=cliente_id, kind=kind, answered_at__isnull=True)
            .order_by("received_at", "pk")
            .first()
        )
    if request is None:
        return DataRightsRequest.objects.create(
            cliente_id_ref=cliente_id, kind=kind, received_at=now, answered_at=now, answered_by=actor[:150]
        )
    DataRightsRequest.objects.filter(pk=request.pk).update(answered_at=now, answered_by=actor[:150])
    request.answered_at, request.answered_by = now, actor[:150]
    return request


def answer_by_hand(request: DataRightsRequest, *, actor: str, now=None) -> DataRightsRequest:
    """Rectification and opposition are answered by staff's own edits: record who and when, audited."""
    with transaction.atomic():
        answered(request.cliente_id_ref, request.kind, actor=actor, now=now, request=request)
        audit.record(
            audit.AuditEvent.Action.DATA_REQUEST_ANSWERED,
            actor=actor,
            obj=request,
            cliente_id=request.cliente_id_ref,
            after={"tipo": request.kind},
        )
    return request


def annotate_deadlines(queryset, now=None):
    """``due_at`` (received + DATA_RIGHTS_DEADLINE_DAYS), ``is_overdue`` and ``is_pending`` on each row."""
    now = now or timezone.now()
    due = ExpressionWrapper(
        F("received_at") + Value(timedelta(days=settings.DATA_RIGHTS_DEADLINE_DAYS)), output_field=DateTimeField()
    )
    pending = Q(answered_at__isnull=True)
    return queryset.annotate(
        due_at=due,
        is_overdue=Case(When(pending & Q(due_at__lt=now), then=True), default=False, output_field=BooleanField()),
        is_pending=Case(When(pending, then=True), default=False, output_field=BooleanField()),
    )


def overdue_first_ordering() -> list:
    """Overdue first, then open ones by how soon they fall due, then answered ones, newest first."""
    due_if_open = Case(When(answered_at__isnull=True, then=F("due_at")), output_field=DateTimeField())
    return ["-is_overdue", "-is_pending", due_if_open.asc(nulls_last=True), "-received_at", "-pk"]


def overdue_first(queryset, now=None):
    return annotate_deadlines(queryset, now).order_by(*overdue_first_ordering())
