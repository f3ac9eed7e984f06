"""Shared test helpers: local times and the personas the scenarios use."""

import datetime
import zoneinfo

from communications.gate import MessageRequest
from ventas.tests.factories import ClienteFactory, give_visits

SANTIAGO = zoneinfo.ZoneInfo("America/Santiago")


def local(year, month, day, hour=10, minute=0) -> datetime.datetime:
    """An aware Santiago wall-clock time (the way staff and clients think of time)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SANTIAGO)


def new_client(**kwargs):
    return ClienteFactory(**kwargs)


def vip_client(**kwargs):
    cliente = ClienteFactory(**kwargs)
    give_visits(cliente, 6, 40_000, days_ago=20)
    return cliente


def inactive_client(**kwargs):
    cliente = ClienteFactory(**kwargs)
    give_visits(cliente, 2, 60_000, days_ago=120)
    return cliente


def client_without_phone(**kwargs):
    return ClienteFactory(telefono=None, **kwargs)


_keys = iter(range(10**9))


def req(cliente, kind="manual", channel=None, **fields) -> MessageRequest:
    """A gate request with a fresh idempotency key; manual ones default to a marketing SMS text."""
    if kind in ("manual", "campaign"):
        channel = channel or "sms"
        fields.setdefault("custom_text", "Hola {{ nombre }}, novedades en Aremko Spa.")
    return MessageRequest(
        cliente_id=cliente.pk, kind=kind, channel=channel, idempotency_key=f"test:{next(_keys)}", **fields
    )


def row_writes(captured, table: str = "") -> list[str]:
    """Captured statements that add rows (to ``table``, when given): INSERT, COPY, and the
    id reservation a COPY needs (communications.bulk_insert)."""
    starts = ("INSERT", "COPY") if not table else (f'INSERT INTO "{table}"', f'COPY "{table}"')
    reservation = f"nextval(pg_get_serial_sequence('{table}" if table else "nextval(pg_get_serial_sequence("
    return [q["sql"] for q in captured if q["sql"].startswith(starts) or reservation in q["sql"]]


def message_write_statements(connection, n: int) -> int:
    """What writing ``n`` new messages costs: their ids and one COPY on PostgreSQL, else
    as few INSERTs as the database's parameter limit allows."""
    import math

    from communications.models import Message

    if connection.vendor == "postgresql":
        return 2
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    return math.ceil(n / (connection.ops.bulk_batch_size(fields, [None] * n) or n))
