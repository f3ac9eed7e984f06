import pytest
from django.urls import reverse

from ventas.tests.factories import ClienteFactory, ReservaServicioFactory, give_visits

pytestmark = pytest.mark.django_db


def test_receptionist_finds_a_client_by_phone_in_any_format(admin_client):
    ana = ClienteFactory(nombre="Ana Pérez", telefono="+56987654321")
    ClienteFactory(nombre="Otro Cliente")
    response = admin_client.get(reverse("admin:ventas_cliente_changelist"), {"q": "987654321"})
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [ana]


def test_client_list_filters_by_segment_in_spanish(admin_client):
    vip = ClienteFactory(nombre="Vip Cliente")
    give_visits(vip, 6, 30_000)
    ClienteFactory(nombre="Sin Gasto")
    response = admin_client.get(reverse("admin:ventas_cliente_changelist"), {"segmento": "vip_high_spend"})
    assert list(response.context["cl"].queryset) == [vip]
    assert "VIP · gasto alto" in response.content.decode()
    assert "segmento" in response.content.decode()


def test_booking_page_shows_booked_services_inline(admin_client):
    item = ReservaServicioFactory()
    response = admin_client.get(reverse("admin:ventas_ventareserva_change", args=[item.venta_reserva_id]))
    assert response.status_code == 200
    assert "Servicios reservados" in response.content.decode()
