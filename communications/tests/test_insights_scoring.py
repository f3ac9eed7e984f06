"""score_clients: one insight row per client, objectors left out, only services on sale recommended."""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from communications import tasks
from communications.insights.models import ClientInsight, InsightRun, risk_band
from communications.models import ClientPreferences, SweepRun
from communications.tests.helpers import local
from ventas.tests.factories import (
    ClienteFactory,
    ReservaServicioFactory,
    ServicioFactory,
    VentaReservaFactory,
)

pytestmark = pytest.mark.django_db

NOW = local(2025, 6, 2, 10)


def visit(cliente, servicio, when, paid=40_000, day=None):
    booking = VentaReservaFactory(cliente=cliente, fecha_reserva=when, fecha_creacion=when, total=paid)
    ReservaServicioFactory(venta_reserva=booking, servicio=servicio, fecha_agendamiento=day or when.date())
    return booking


@pytest.fixture
def spa():
    tina, masaje = ServicioFactory(nombre="Tina"), ServicioFactory(nombre="Masaje")
    retired = ServicioFactory(nombre="Sauna antigua", activo=False)
    clients = {}
    for n in range(12):
        c = ClienteFactory()
        for v in range(1 + n % 4):
            visit(c, [tina, masaje, retired][(n + v) % 3], local(2024, 1 + v * 2, 5 + n, 11 + n % 5))
        clients[n] = c
    regular = clients[3]
    visit(regular, tina, local(2025, 3, 1, 18), paid=70_000)
    # Already booked a tina for next week: never suggest it again now.
    visit(regular, tina, local(2025, 5, 30, 12), paid=0, day=datetime.date(2025, 6, 8))
    objector = clients[5]
    ClientPreferences.objects.create(cliente=objector, objects_to_profiling=True)
    return {"tina": tina, "masaje": masaje, "retired": retired, "regular": regular, "objector": objector}


@time_machine.travel(NOW, tick=False)
def test_score_clients_stores_a_row_per_client_except_objectors(spa):
    call_command("score_clients", "--chunk", "5")
    insights = {i.cliente_id: i for i in ClientInsight.objects.all()}
    assert len(insights) == 11
    assert spa["objector"].pk not in insights
    for insight in insights.values():
        assert insight.risk_band == risk_band(insight.churn_probability)
        assert 9 <= insight.best_hour <= 19
        assert spa["retired"].pk not in insight.recommendations
        assert insight.model_version
    # The segment as the CRM computes it is stored too (the dashboard groups by it).
    from ventas.models import Cliente

    segments = dict(Cliente.objects.with_segments().values_list("pk", "segment"))
    assert {pk: i.segment for pk, i in insights.items()} == {pk: segments[pk] for pk in insights}
    regular = insights[spa["regular"].pk]
    # Paid in the last 365 days: July 2024 (40.000) and March 2025 (70.000); the upcoming booking is unpaid.
    assert regular.value_clp == 110_000
    assert spa["tina"].pk not in regular.recommendations
    run = InsightRun.objects.get()
    assert run.clients_scored == 11
    assert run.churn_in_use == "modelo" or run.churn_in_use.startswith("línea base: ")


@time_machine.travel(NOW, tick=False)
def test_the_hourly_task_retrains_only_a_model_older_than_seven_days(spa):
    tasks.score_clients()
    assert InsightRun.objects.count() == 1
    tasks.score_clients()
    assert InsightRun.objects.count() == 1
    with time_machine.travel(NOW + datetime.timedelta(days=7, minutes=1), tick=False):
        tasks.score_clients()
    assert InsightRun.objects.count() == 2
    assert SweepRun.objects.filter(task="score_clients", ok=True).count() == 3


@time_machine.travel(NOW, tick=False)
def test_a_client_who_objects_later_loses_the_stored_profile(spa):
    call_command("score_clients")
    regular = spa["regular"]
    ClientPreferences.objects.update_or_create(cliente=regular, defaults={"objects_to_profiling": True})
    call_command("score_clients")
    assert not ClientInsight.objects.filter(cliente=regular).exists()
