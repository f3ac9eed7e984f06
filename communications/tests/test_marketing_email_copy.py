"""Marketing emails with content worth opening (staff screens M7)."""

import pytest
from django.core import mail

from communications import defaults
from communications.models import MessageTemplate
from ventas.models import Servicio
from ventas.tests.factories import ClienteFactory

from .conftest import send_email

pytestmark = pytest.mark.django_db


def test_the_shipped_rows_were_updated_by_the_migration():
    for kind in ("reactivation_email", "vip_newsletter"):
        row = MessageTemplate.objects.get(kind=kind, channel="email", variant="")
        assert row.body == str(defaults.DEFAULT_TEMPLATES[(kind, "email", "")][1])


def test_the_reactivation_email_carries_the_booking_link(settings):
    settings.BOOKING_URL = "https://www.aremko.cl/reservas"
    send_email(ClienteFactory(nombre="Marco Silva", email="marco@example.cl"), "reactivation_email")
    [email] = mail.outbox
    assert "Reserva tu hora aquí: https://www.aremko.cl/reservas" in email.body
    assert "/c/l/" in email.alternatives[0][0]  # a tracked link in the HTML part


def test_the_vip_newsletter_lists_the_active_services_with_prices():
    Servicio.objects.create(nombre="Tina caliente nativa", precio_base=35_000, tipo_servicio="tina")
    Servicio.objects.create(nombre="Masaje descontracturante", precio_base=50_000, tipo_servicio="masaje")
    Servicio.objects.create(nombre="Servicio retirado", precio_base=1_000, activo=False)
    send_email(ClienteFactory(nombre="Ana Rojas", email="ana@example.cl"), "vip_newsletter")
    [email] = mail.outbox
    assert "• Tina caliente nativa: $35.000" in email.body
    assert "• Masaje descontracturante: $50.000" in email.body
    assert "Servicio retirado" not in email.body
    assert "Elegido para ti" not in email.body  # no recommendations yet: the block stays out


def test_the_recommendations_block_appears_when_the_client_has_recommendations():
    from communications.insights.models import ClientInsight
    from ventas.tests.factories import ServicioFactory

    cliente = ClienteFactory(nombre="Ana Rojas", email="ana@example.cl")
    tina, masaje = ServicioFactory(nombre="Tina al atardecer"), ServicioFactory(nombre="Masaje de piedras")
    ClientInsight.objects.create(cliente=cliente, recommendations=[tina.pk, masaje.pk])
    send_email(cliente, "vip_newsletter")
    [email] = mail.outbox
    assert "Elegido para ti:\nTina al atardecer y Masaje de piedras" in email.body
