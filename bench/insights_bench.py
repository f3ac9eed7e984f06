"""Benchmark: score N clients (churn, send hour, recommendations) against one aggregate query.

    python -m bench.insights_bench --clients 100000 [--database postgresql://...] [--chunk 1000]

The baseline, measured in the same run over the same bookings, is the cheapest
thing that touches every booking once: one ``GROUP BY`` aggregate per client
(visits, spend, last visit). Scoring trains the three models, evaluates them
against their baselines and writes one ClientInsight per client in keyset pages.
Reports clients per second for both, their ratio and the peak RSS.
"""

import argparse
import datetime as dt
import json
import random
import resource
import sys
import time

from bench.gate_bench import BENCH_DB, configure


def seed(n_clients: int, rng: random.Random):
    from django.utils import timezone

    from ventas.models import Cliente, ReservaServicio, Servicio, VentaReserva

    services = Servicio.objects.bulk_create(
        [Servicio(nombre=f"Servicio {i}", precio_base=30_000 + 5_000 * i, activo=i != 7) for i in range(12)]
    )
    now = timezone.now()
    batch = 5_000
    for start in range(0, n_clients, batch):
        clients = Cliente.objects.bulk_create(
            [Cliente(nombre=f"Cliente {i}", telefono=None) for i in range(start, min(n_clients, start + batch))]
        )
        bookings, lines = [], []
        for c in clients:
            for _ in range(rng.choice([1, 1, 2, 3, 5])):
                when = now - dt.timedelta(days=rng.randrange(730), hours=rng.randrange(24))
                bookings.append(
                    VentaReserva(
                        cliente=c,
                        fecha_reserva=when,
                        fecha_creacion=when,
                        total=40_000,
                        pagado=40_000,
                        estado_pago="pagado",
                    )
                )
        VentaReserva.objects.bulk_create(bookings, batch_size=2000)
        for b in bookings:
            lines.append(
                ReservaServicio(
                    venta_reserva=b,
                    servicio=rng.choice(services),
                    fecha_agendamiento=b.fecha_reserva.date(),
                    hora_inicio=dt.time(18),
                )
            )
        ReservaServicio.objects.bulk_create(lines, batch_size=2000)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n_clients: int, chunk: int) -> dict:
    from communications.insights import scoring
    from ventas.models import Cliente

    seed(n_clients, random.Random(1))
    start = time.perf_counter()
    rows = list(Cliente.objects.with_segments().values_list("pk", "paid_visits", "total_spend", "last_paid_visit"))
    baseline = time.perf_counter() - start
    assert len(rows) == n_clients
    rss_before = peak_rss_mb()
    start = time.perf_counter()
    result = scoring.train_and_score(chunk=chunk)
    scoring_s = time.perf_counter() - start
    return {
        "clients": n_clients,
        "scored": result["scored"],
        "aggregate_clients_per_s": n_clients / baseline,
        "scoring_clients_per_s": n_clients / scoring_s,
        "ratio_scoring_vs_aggregate": baseline / scoring_s,
        "peak_rss_mb_before_scoring": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "churn_in_use": result["churn"],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--database", help="PostgreSQL URL (server's maintenance DB); default: a SQLite file")
    parser.add_argument("--scratch", default=BENCH_DB + "_insights")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    label = configure(args.database, args.scratch)
    figures = run(args.clients, args.chunk)
    figures["database"] = label
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
