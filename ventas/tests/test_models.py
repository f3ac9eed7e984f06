import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from ventas.models import Cliente
from ventas.tests.factories import (
    CampaignFactory,
    CampaignInteractionFactory,
    ClienteFactory,
    ReservaServicioFactory,
    ServicioFactory,
    VentaReservaFactory,
)

pytestmark = pytest.mark.django_db


def test_every_factory_builds_a_saved_row():
    for factory in (
        ClienteFactory,
        ServicioFactory,
        VentaReservaFactory,
        ReservaServicioFactory,
        CampaignFactory,
        CampaignInteractionFactory,
    ):
        assert factory().pk is not None


def test_saving_a_client_normalises_the_phone_to_e164():
    cliente = Cliente.objects.create(nombre="Ana", telefono=" 9 8765 4321 ")
    assert cliente.telefono == "+56987654321"


def test_the_same_phone_typed_twice_differently_is_one_client():
    Cliente.objects.create(nombre="Ana", telefono="987654321")
    with pytest.raises(IntegrityError):
        Cliente.objects.create(nombre="Otra Ana", telefono="+56 9 8765 4321")


def test_legacy_garbage_phone_is_kept_as_typed_so_the_gate_can_explain_it():
    cliente = Cliente.objects.create(nombre="Legado", telefono="1234")
    assert cliente.telefono == "1234"


def test_form_validation_refuses_an_invalid_phone_in_spanish():
    cliente = Cliente(nombre="Ana", telefono="abc")
    with pytest.raises(ValidationError) as exc:
        cliente.full_clean()
    assert "no válido" in str(exc.value)


def test_clients_may_share_an_email_or_have_none():
    ClienteFactory(email="familia@example.cl")
    ClienteFactory(email="familia@example.cl")
    assert ClienteFactory(email="").email == ""


def test_a_booked_service_starts_at_santiago_wall_clock_time():
    item = ReservaServicioFactory(fecha_agendamiento=datetime.date(2026, 7, 10), hora_inicio=datetime.time(21, 30))
    assert item.starts_at.tzinfo == zoneinfo.ZoneInfo("America/Santiago")
    # July is winter time, UTC-4: 21:30 local is 01:30 UTC the next day.
    assert item.starts_at.astimezone(datetime.UTC) == datetime.datetime(2026, 7, 11, 1, 30, tzinfo=datetime.UTC)
