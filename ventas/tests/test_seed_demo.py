import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q

from ventas.models import Cliente, ReservaServicio, VentaReserva
from ventas.phones import normalize_phone

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)


def seed(*extra):
    call_command("seed_demo", "--clients", "400", "--seed", "7", "--today", TODAY.isoformat(), *extra)


def fingerprint():
    clients = list(Cliente.objects.order_by("pk").values_list("nombre", "email", "telefono", "fecha_nacimiento"))
    bookings = list(
        VentaReserva.objects.order_by("pk").values_list("cliente__nombre", "fecha_reserva", "total", "estado_pago")
    )
    return clients, bookings


def test_same_seed_builds_the_same_spa():
    seed()
    first = fingerprint()
    seed("--reset")
    assert fingerprint() == first


def test_running_it_twice_refuses_clearly():
    seed()
    with pytest.raises(CommandError, match="--reset"):
        seed()
    assert Cliente.objects.count() == 400


def test_demo_has_someone_for_every_trigger():
    seed()
    clients = Cliente.objects.with_segments()
    ninety_days_ago = TODAY - datetime.timedelta(days=90)
    assert clients.filter(email="").exists(), "clients without email"
    assert clients.filter(telefono__isnull=True).exists(), "clients without phone"
    broken = [
        t
        for t in clients.exclude(telefono__isnull=True).values_list("telefono", flat=True)
        if normalize_phone(t) is None
    ]
    assert broken, "clients with broken phones"
    assert clients.filter(segment="vip_high_spend").count() >= 20
    assert clients.filter(segment="zero_spend").exists()
    assert clients.filter(last_paid_visit__date__lt=ninety_days_ago, paid_visits__gte=6).exists(), "inactive VIPs"
    assert clients.filter(fecha_nacimiento__month=2, fecha_nacimiento__day=29).exists()
    assert ReservaServicio.objects.filter(hora_inicio__hour__gte=20).exists(), "evening tubs"
    assert ReservaServicio.objects.filter(fecha_agendamiento__gt=TODAY).exists(), "upcoming visits"
    assert VentaReserva.objects.filter(estado_pago="cancelado").exists()
    assert not VentaReserva.objects.filter(~Q(total=models_sum_paid())).exists()


def models_sum_paid():
    from django.db.models import F

    return F("pagado") + F("saldo_pendiente")
