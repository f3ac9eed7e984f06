"""{{ recomendaciones }} and {{ recomendacion }}: stored suggestions still on sale, never one booked since."""

import datetime

import pytest
from django.utils import timezone

from communications.insights.models import ClientInsight
from communications.insights.present import join_es, template_values
from communications.models import ClientPreferences
from communications.rendering import render_string
from ventas.tests.factories import ClienteFactory, ReservaServicioFactory, ServicioFactory, VentaReservaFactory

pytestmark = pytest.mark.django_db


def test_names_are_joined_the_spanish_way():
    assert join_es([]) == ""
    assert join_es(["Tina"]) == "Tina"
    assert join_es(["Tina", "Masaje"]) == "Tina y Masaje"
    assert join_es(["Tina", "Masaje", "Cabaña"]) == "Tina, Masaje y Cabaña"


def test_templates_get_active_unbooked_recommendations_in_order():
    cliente = ClienteFactory()
    tina, masaje = ServicioFactory(nombre="Tina"), ServicioFactory(nombre="Masaje")
    retired, cabana = ServicioFactory(nombre="Sauna", activo=False), ServicioFactory(nombre="Cabaña")
    ClientInsight.objects.create(cliente=cliente, recommendations=[cabana.pk, retired.pk, tina.pk, masaje.pk])
    booking = VentaReservaFactory(cliente=cliente)
    ReservaServicioFactory(
        venta_reserva=booking, servicio=tina, fecha_agendamiento=timezone.localdate() + datetime.timedelta(days=3)
    )
    values = template_values(cliente.pk)
    assert values == {"recomendaciones": "Cabaña y Masaje", "recomendacion": "Cabaña"}
    body = "{% if recomendaciones %}Te recomendamos {{ recomendaciones }}.{% endif %}"
    assert render_string(body, values) == "Te recomendamos Cabaña y Masaje."


def test_a_client_without_suggestions_or_objecting_gets_empty_values():
    cliente = ClienteFactory()
    assert template_values(cliente.pk) == {"recomendaciones": "", "recomendacion": ""}
    ClientInsight.objects.create(cliente=cliente, recommendations=[ServicioFactory().pk])
    ClientPreferences.objects.create(cliente=cliente, objects_to_profiling=True)
    assert template_values(cliente.pk) == {"recomendaciones": "", "recomendacion": ""}
