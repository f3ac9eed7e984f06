"""Benchmark: what the communications receivers add to saving a reservation.

    python -m bench.booking_bench [--runs 50] [--database postgresql://...] [--broker redis://...] [--json]

Four paths, interleaved run by run so that drift hits them alike, each on its own
fresh booking with two services (never confirmed before: the costly case):

- ORM save, bare: ``booking.save()`` and both services' ``save()`` in one transaction,
  with the communications receivers disconnected (the baseline);
- ORM save, with receivers;
- admin change-form POST (booking and two service inlines changed), bare;
- admin change-form POST, with receivers.

Figures are medians, and ratios against the bare path of the same kind in the same
run. The run also counts statements and Celery publications per save, so "one task
per booking per transaction" is checked, not assumed. Tasks are published to the
broker (memory by default, ``--broker`` for a real one) and not run here: what is
measured is the staff member's request.
"""

import argparse
import datetime
import json
import statistics
import sys
import time

from bench.gate_bench import BENCH_DB, QueryCounter, configure

PATHS = ("orm bare", "orm with receivers", "admin bare", "admin with receivers")


class Receivers:
    """Switch the communications receivers of the model signals off and on again."""

    def __init__(self):
        from django.db.models import signals

        self.signals = [signals.post_save, signals.pre_delete, signals.post_delete]
        self.saved = {sig: list(sig.receivers) for sig in self.signals}

    @staticmethod
    def _ours(entry) -> bool:
        uid = entry[0][0]
        return isinstance(uid, str) and uid.startswith("communications.")

    def off(self):
        for sig in self.signals:
            sig.receivers = [r for r in self.saved[sig] if not self._ours(r)]
            sig.sender_receivers_cache.clear()

    def on(self):
        for sig in self.signals:
            sig.receivers = list(self.saved[sig])
            sig.sender_receivers_cache.clear()


def seed(n: int):
    """n bookings (two services each) for n clients, saved without receivers: nothing confirmed yet."""
    from django.utils import timezone

    from ventas.models import Cliente, ReservaServicio, Servicio, VentaReserva

    tina = Servicio.objects.create(nombre="Tina caliente", precio_base=50_000, duracion=120)
    masaje = Servicio.objects.create(nombre="Masaje", precio_base=40_000, duracion=60)
    clients = Cliente.objects.bulk_create(
        [Cliente(nombre=f"Cliente {i}", telefono=f"+569{40_000_000 + i}", email=f"b{i}@example.cl") for i in range(n)]
    )
    now = timezone.now()
    bookings = VentaReserva.objects.bulk_create(
        [VentaReserva(cliente=c, fecha_reserva=now, fecha_creacion=now, total=90_000) for c in clients]
    )
    day = timezone.localdate() + datetime.timedelta(days=5)
    ReservaServicio.objects.bulk_create(
        [
            ReservaServicio(venta_reserva=b, servicio=s, fecha_agendamiento=day, hora_inicio=hour)
            for b in bookings
            for s, hour in ((tina, datetime.time(18, 30)), (masaje, datetime.time(20, 30)))
        ]
    )
    return [b.pk for b in bookings]


def orm_save(venta_id: int):
    from django.db import transaction

    from ventas.models import VentaReserva

    booking = VentaReserva.objects.get(pk=venta_id)
    services = list(booking.reservaservicios.all())
    with transaction.atomic():
        booking.pagado = 45_000
        booking.save()
        for service in services:
            service.cantidad_personas += 1
            service.save()


def admin_post(browser, venta_id: int):
    """The change form as a staff member submits it: booking paid in part, both services for 3 people."""
    from django.urls import reverse
    from django.utils import timezone

    from ventas.models import VentaReserva

    booking = VentaReserva.objects.get(pk=venta_id)
    services = list(booking.reservaservicios.order_by("pk"))
    local = timezone.localtime(booking.fecha_reserva)
    created = timezone.localtime(booking.fecha_creacion)
    data = {
        "cliente": booking.cliente_id,
        "fecha_creacion_0": created.date().isoformat(),
        "fecha_creacion_1": created.strftime("%H:%M:%S"),
        "fecha_reserva_0": local.date().isoformat(),
        "fecha_reserva_1": local.strftime("%H:%M:%S"),
        "total": booking.total,
        "pagado": 45_000,
        "saldo_pendiente": 45_000,
        "estado_pago": VentaReserva.EstadoPago.PARCIAL,
        "estado_reserva": booking.estado_reserva,
        "reservaservicios-TOTAL_FORMS": len(services),
        "reservaservicios-INITIAL_FORMS": len(services),
        "reservaservicios-MIN_NUM_FORMS": 0,
        "reservaservicios-MAX_NUM_FORMS": 1000,
        "_save": "Guardar",
    }
    for i, service in enumerate(services):
        prefix = f"reservaservicios-{i}-"
        data.update(
            {
                f"{prefix}id": service.pk,
                f"{prefix}venta_reserva": booking.pk,
                f"{prefix}servicio": service.servicio_id,
                f"{prefix}fecha_agendamiento": service.fecha_agendamiento.isoformat(),
                f"{prefix}hora_inicio": service.hora_inicio.strftime("%H:%M"),
                f"{prefix}cantidad_personas": 3,
            }
        )
    response = browser.post(reverse("admin:ventas_ventareserva_change", args=[venta_id]), data)
    if response.status_code != 302:
        errors = response.context and response.context.get("errors")
        raise SystemExit(f"admin POST refused ({response.status_code}): {errors}")


def run(runs: int) -> dict:
    from celery.signals import before_task_publish
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from communications.models import Message

    published = []

    def count_publish(sender=None, **kwargs):
        published.append(sender)

    before_task_publish.connect(count_publish, weak=False)
    receivers = Receivers()
    receivers.off()
    ids = iter(seed(runs * len(PATHS)))
    staff = get_user_model().objects.create_superuser("bench", "bench@example.cl", "x")
    browser = Client()
    browser.force_login(staff)

    timings = {p: [] for p in PATHS}
    statements = {p: 0 for p in PATHS}
    tasks = {p: 0 for p in PATHS}
    for _ in range(runs):
        for path in PATHS:
            venta_id = next(ids)
            (receivers.on if path.endswith("with receivers") else receivers.off)()
            save = (
                (lambda v=venta_id: orm_save(v))
                if path.startswith("orm")
                else (lambda v=venta_id: admin_post(browser, v))
            )
            counter = QueryCounter()
            before = len(published)
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                save()
                timings[path].append(time.perf_counter() - started)
            statements[path] += counter.count
            tasks[path] += len(published) - before
    receivers.on()
    result = {
        path: {
            "median_ms": statistics.median(timings[path]) * 1000,
            "statements_per_save": statements[path] / runs,
            "tasks_per_save": tasks[path] / runs,
        }
        for path in PATHS
    }
    for kind in ("orm", "admin"):
        result[f"{kind} with receivers"]["ratio"] = (
            result[f"{kind} with receivers"]["median_ms"] / result[f"{kind} bare"]["median_ms"]
        )
        result[f"{kind} bare"]["ratio"] = 1.0
    result["confirmations_written_in_request"] = Message.objects.filter(kind="booking_confirmation").count()
    return result


def report(label: str, runs: int, result: dict) -> str:
    lines = [
        f"### Reservation save, {label}, median of {runs} runs",
        "",
        "| path | median ms | ratio to bare | statements per save | tasks published per save |",
        "|---|---:|---:|---:|---:|",
    ]
    for path in PATHS:
        r = result[path]
        lines.append(
            f"| {path} | {r['median_ms']:.2f} | {r['ratio']:.2f}× | {r['statements_per_save']:.1f} "
            f"| {r['tasks_per_save']:.2f} |"
        )
    lines.append("")
    lines.append(f"Confirmations written inside the request: {result['confirmations_written_in_request']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database", help="PostgreSQL URL (server's maintenance DB); default: a SQLite file")
    parser.add_argument("--broker", help="Celery broker URL for the publications (default: in-memory)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--scratch", default=f"{BENCH_DB}_booking", help="scratch database (dropped and recreated)")
    args = parser.parse_args(argv)
    label = configure(args.database, args.scratch)
    from celery import current_app
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if args.broker:
        current_app.conf.broker_url = args.broker
    result = run(args.runs)
    print(report(label, args.runs, result))
    if args.json:
        print(json.dumps({"database": label, "runs": args.runs, "results": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
