"""Erasure: the client and their messages anonymised in place (Ley 21.719).

Erasure is the one writer allowed to rewrite personal values in append-only stores
(audit values, consent evidence, provider payloads, dedupe keys): rows stay, so
the dashboard's counts and the consent proof's existence do not change; only the
values become "[borrado]". Bookings stay as accounting records, pointing at the
anonymised client. The phone and email go to the suppression list first, so a
re-import of the same address never resumes marketing.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from ventas.models import CampaignInteraction, Cliente

from .. import audit
from ..actions import cancel_messages
from ..gate import locked_clients
from ..models import (
    PENDING_STATUSES,
    AddressOptOut,
    ClientInsight,
    ClientPreferences,
    ConsentEvent,
    DeliveryEvent,
    Message,
    Reason,
    SmsReply,
    Status,
)
from ..suppression import addresses_of
from . import suppression
from .models import DataRightsRequest
from .requests import answered

log = logging.getLogger(__name__)

ERASED = "[borrado]"


class ErasureRefused(Exception):
    """A message is being handed to the provider right now: erase once it has an outcome."""


@dataclass
class ErasureReport:
    cliente_id: int
    cancelled: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def erase_client(
    cliente_id: int, *, actor: str, from_command: bool = False, now=None, request: DataRightsRequest | None = None
) -> ErasureReport:
    """Erase one client; ``request`` is the registered request this answers (else one is logged now)."""
    now = now or timezone.now()
    report = ErasureReport(cliente_id)
    with locked_clients([cliente_id]):
        cliente = Cliente.objects.get(pk=cliente_id)
        if Message.objects.filter(cliente_id=cliente_id, status=Status.SENDING).exists():
            raise ErasureRefused(cliente_id)
        for channel, address in (("sms", cliente.telefono), ("email", cliente.email)):
            suppression.suppress(channel, address or "")
        # The address-level opt-out keeps the address in clear; the keyed hash now stands for it.
        own = addresses_of(cliente.telefono, cliente.email)
        report.counts["bajas_de_direccion"] = sum(
            AddressOptOut.objects.filter(channel=channel, address=address).delete()[0]
            for channel, address in own.items()
        )
        pending = Message.objects.filter(cliente_id=cliente_id, status__in=PENDING_STATUSES)
        report.cancelled = cancel_messages(pending, Reason.SUPPRESSED, detail=ERASED, now=now)

        messages = Message.objects.filter(cliente_id=cliente_id)
        report.counts["mensajes"] = messages.update(
            destination=ERASED, subject=ERASED, body=ERASED, custom_text="", context={}, reason_detail=""
        )
        report.counts["consentimientos"] = ConsentEvent.objects.filter(cliente_id=cliente_id).update(evidence=ERASED)
        events = DeliveryEvent.objects.filter(message__cliente_id=cliente_id)
        report.counts["eventos_de_entrega"] = 0
        for pk in events.values_list("pk", flat=True):
            # Dedupe keys may embed the address; they stay unique without it.
            report.counts["eventos_de_entrega"] += DeliveryEvent.objects.filter(pk=pk).update(
                payload=ERASED, dedupe_key=f"erased:{pk}"
            )
        report.counts["interacciones"] = CampaignInteraction.objects.filter(cliente_id=cliente_id).update(
            details=ERASED
        )
        report.counts["respuestas_sms"] = SmsReply.objects.filter(cliente_id=cliente_id).update(phone="", text=ERASED)
        report.counts["perfil"] = ClientInsight.objects.filter(cliente_id=cliente_id).delete()[0]
        ClientPreferences.objects.filter(cliente_id=cliente_id).update(email_undeliverable="")
        report.counts["historial_admin"] = _scrub_admin_log(cliente, cliente_id)
        report.counts["auditoria"] = _scrub_audit(cliente_id)

        Cliente.objects.filter(pk=cliente_id).update(
            nombre=ERASED, email="", telefono=None, fecha_nacimiento=None, ciudad="", pais=""
        )
        # Requests name the requester and staff's notes may too; the rows stay as proof.
        requests = DataRightsRequest.objects.filter(cliente_id_ref=cliente_id)
        report.counts["solicitudes"] = requests.exclude(requester="").update(requester=ERASED)
        requests.exclude(notes="").update(notes=ERASED)
        answered(cliente_id, DataRightsRequest.Kind.ERASURE, actor=actor, now=now, request=request)
        audit.record(
            audit.AuditEvent.Action.ERASURE,
            actor=actor,
            cliente_id=cliente_id,
            after={"cancelados": report.cancelled, **report.counts},
            from_command=from_command,
        )
    log.info("client %s erased by request (%s)", cliente_id, report.counts)
    return report


def _scrub_admin_log(cliente, cliente_id) -> int:
    """Django's admin history names the client in object_repr and change messages."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Cliente), object_id=str(cliente_id)
    )
    changed = entries.update(object_repr=ERASED, change_message="[]")
    if cliente.nombre:
        changed += LogEntry.objects.filter(object_repr__contains=cliente.nombre).update(object_repr=ERASED)
    return changed


def _scrub_audit(cliente_id) -> int:
    from auditlog.models import LogEntry as ModelChange

    prefs = ContentType.objects.get_for_model(ClientPreferences)
    pref_ids = list(ClientPreferences.objects.filter(cliente_id=cliente_id).values_list("pk", flat=True))
    changed = ModelChange.objects.filter(content_type=prefs, object_id__in=pref_ids).update(
        object_repr=ERASED, changes={"valor": ERASED}, changes_text=""
    )
    for event in audit.AuditEvent.objects.filter(cliente_id_ref=cliente_id):
        event.before, event.after = (
            ({"valor": ERASED} if event.before else {}),
            ({"valor": ERASED} if event.after and event.action != audit.AuditEvent.Action.ERASURE else event.after),
        )
        event.save(_erasure=True)
        changed += 1
    return changed
