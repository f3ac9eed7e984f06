import pytest
from django.urls import reverse
from django.utils.html import strip_tags

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


@pytest.mark.parametrize(
    "typed",
    [
        "+56 9 7281-5490",
        "9-7281-5490",
        "(+56) 9 7281 5490",
        "+56 9 7281 5490",
        "9 7281 5490",
        "972815490",
        "7281 5490",
        "+56972815490",
        "56 9 7281.5490",
    ],
)
def test_a_phone_is_found_however_the_receptionist_types_it(admin_client, typed):
    marcelo = ClienteFactory(nombre="Marcelo Peña Vera", telefono="+56972815490")
    ClienteFactory(nombre="Otra Persona", telefono="+56911112222")
    response = admin_client.get(reverse("admin:ventas_cliente_changelist"), {"q": typed})
    assert list(response.context["cl"].queryset) == [marcelo]


def test_a_booking_is_found_by_its_clients_phone_typed_with_dashes(admin_client):
    item = ReservaServicioFactory(venta_reserva__cliente__telefono="+56972815490")
    response = admin_client.get(reverse("admin:ventas_ventareserva_changelist"), {"q": "9-7281-5490"})
    assert list(response.context["cl"].queryset) == [item.venta_reserva]


def test_a_name_search_is_not_mistaken_for_a_phone(admin_client):
    ana = ClienteFactory(nombre="Ana Pérez", telefono="+56987654321")
    response = admin_client.get(reverse("admin:ventas_cliente_changelist"), {"q": "Ana Pérez"})
    assert list(response.context["cl"].queryset) == [ana]


def test_the_clients_bookings_show_amounts_in_pesos(admin_client):
    item = ReservaServicioFactory(venta_reserva__total=50_000, venta_reserva__pagado=50_000)
    cliente = item.venta_reserva.cliente
    page = admin_client.get(reverse("admin:ventas_cliente_change", args=[cliente.pk])).content.decode()
    assert "$50.000" in page
    assert ">50000<" not in page


def test_saving_a_campaign_says_la_campana_fue_agregada(admin_client):
    response = admin_client.post(
        reverse("admin:ventas_campaign_add"),
        {
            "name": "Promo diciembre VIP",
            "status": "draft",
            "channel": "sms",
            "kind": "campaign",
            "when_capped": "defer",
            "target_min_visits": "0",
            "target_min_spend": "0",
            "sms_template": "Hola {{ nombre }}",
            "description": "",
        },
        follow=True,
    )
    texts = [strip_tags(str(m)) for m in response.context["messages"]]
    assert "La campaña “Promo diciembre VIP” fue agregada correctamente." in texts
    assert not any(t.startswith("El campaña") for t in texts)
