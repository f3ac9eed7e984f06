"""The helpers of the lifecycle findings (../shared/findings/2026-12-01-lifecycle.md), for their regression tests.

Dates are Santiago wall-clock strings, as in the findings' scripts.
"""

import datetime
import itertools

from django.utils import timezone

from communications import calendar as cal
from communications.models import Message
from communications.triggers import TRIGGERS
from communications.triggers import run as run_trigger
from ventas.models import Cliente, ReservaServicio, Servicio, VentaReserva

_n = itertools.count(1)


def L(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    return cal.at_local(moment.date(), moment.time())


def svc(nombre="Tina caliente Calbuco", dur=120, tipo="tina"):
    return Servicio.objects.get_or_create(
        nombre=nombre, defaults=dict(precio_base=45000, duracion=dur, tipo_servicio=tipo)
    )[0]


def client(nombre=None, phone=True, email=True, **kw):
    i = next(_n) + Cliente.objects.count() * 10
    return Cliente.objects.create(
        nombre=nombre or f"Cliente {i}",
        telefono=(f"+5698{i:07d}" if phone is True else phone) if phone else None,
        email=(f"c{i}@example.com" if email is True else email) if email else "",
        **kw,
    )


def booking(c, created, items, estado="pagado", pagado=60000):
    v = VentaReserva.objects.create(
        cliente=c,
        fecha_creacion=L(created),
        fecha_reserva=L(items[0][0]),
        total=pagado,
        pagado=pagado if estado in ("pagado", "parcial") else 0,
        estado_pago=estado,
    )
    for when, *rest in items:
        d = datetime.datetime.fromisoformat(when)
        ReservaServicio.objects.create(
            venta_reserva=v, servicio=rest[0] if rest else svc(), fecha_agendamiento=d.date(), hora_inicio=d.time()
        )
    return v


def msgs(c, **kw):
    return [
        (
            m.kind,
            m.status,
            m.reason,
            timezone.localtime(m.scheduled_for, cal.local_tz()).strftime("%Y-%m-%d %H:%M %a"),
            m.idempotency_key,
        )
        for m in Message.objects.filter(cliente=c, **kw).order_by("pk")
    ]


def run(name, at, dry=False):
    return dict(run_trigger(TRIGGERS[name], L(at), dry_run=dry).counts)
