"""Everything held about one client, as one ZIP: ``datos.json`` and one CSV per section.

Every table that holds something about a client has its section in ``SECTIONS``
(a new one must be added here and to ``erase.py``). Only rows of
this client are read: the test checks that nothing about anyone else is included.
"""

import csv
import datetime
import decimal
import io
import json
import uuid
import zipfile
from collections.abc import Callable

from ventas.models import CampaignInteraction, Cliente, ReservaServicio, VentaReserva

from ..models import ClientInsight, ClientPreferences, ConsentEvent, DeliveryEvent, Message, SmsReply
from .models import DataRightsRequest

# Internal bookkeeping that says nothing about the client.
_MESSAGE_INTERNALS = {"claim_token", "lease_until", "idempotency_key", "public_id"}

SECTIONS: dict[str, Callable[[int], list[dict]]] = {
    "cliente": lambda cid: list(Cliente.objects.filter(pk=cid).values()),
    "preferencias": lambda cid: list(ClientPreferences.objects.filter(cliente_id=cid).values()),
    "reservas": lambda cid: list(VentaReserva.objects.filter(cliente_id=cid).order_by("pk").values()),
    "servicios_reservados": lambda cid: list(
        ReservaServicio.objects.filter(venta_reserva__cliente_id=cid).order_by("pk").values()
    ),
    "mensajes": lambda cid: [
        {k: v for k, v in row.items() if k not in _MESSAGE_INTERNALS}
        for row in Message.objects.filter(cliente_id=cid).order_by("pk").values()
    ],
    "consentimientos": lambda cid: list(ConsentEvent.objects.filter(cliente_id=cid).order_by("pk").values()),
    "eventos_de_entrega": lambda cid: list(
        DeliveryEvent.objects.filter(message__cliente_id=cid).order_by("pk").values()
    ),
    "interacciones": lambda cid: list(CampaignInteraction.objects.filter(cliente_id=cid).order_by("pk").values()),
    "respuestas_sms": lambda cid: list(SmsReply.objects.filter(cliente_id=cid).order_by("pk").values()),
    # Profiling results are personal data too: risk, best hour and recommendations.
    "perfil": lambda cid: list(ClientInsight.objects.filter(cliente_id=cid).values()),
    "solicitudes_de_derechos": lambda cid: list(
        DataRightsRequest.objects.filter(cliente_id_ref=cid).order_by("pk").values()
    ),
}


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def collect(cliente_id: int) -> dict[str, list[dict]]:
    if not Cliente.objects.filter(pk=cliente_id).exists():
        raise Cliente.DoesNotExist(cliente_id)
    return {
        name: [{k: _plain(v) for k, v in row.items()} for row in rows(cliente_id)] for name, rows in SECTIONS.items()
    }


def _csv(rows: list[dict]) -> bytes:
    """UTF-8 with BOM, ';'-separated: what Chilean Excel opens."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for k, v in row.items()}
            )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_zip(cliente_id: int) -> bytes:
    data = collect(cliente_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datos.json", json.dumps(data, ensure_ascii=False, indent=2))
        for name, rows in data.items():
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()
