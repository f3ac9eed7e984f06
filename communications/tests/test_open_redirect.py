"""No open redirect (lifecycle L6): values from client records never become tracked links."""

import re

import pytest
from django.core import mail

from communications import tokens
from ventas.tests.factories import ClienteFactory

from .conftest import put_template, send_email

pytestmark = pytest.mark.django_db

EVIL = "https://evil.example/login"
OURS = "https://aremko.cl/reservas"


def click_targets(html: str) -> list[str]:
    """Where each tracked link in the HTML part would redirect to."""
    return [tokens.read(tokens.CLICK, t)["u"] for t in re.findall(r"/c/l/([^/\"]+)/", html)]


def html_of(message_index=-1) -> str:
    return mail.outbox[message_index].alternatives[0][0]


def test_a_url_in_a_clients_name_is_not_turned_into_a_tracked_link(client):
    put_template(
        kind="welcome_7", channel="email", subject="Hola", body=f"Hola {{{{ nombre }}}}:\n\nReserva en {OURS}."
    )
    victim = ClienteFactory(nombre=f"{EVIL} Pérez", telefono=None, email="cliente@example.cl")
    sent = send_email(victim, "welcome_7")
    assert sent.status == "sent"
    html = html_of()
    assert click_targets(html) == [OURS]
    assert f'href="{EVIL}' not in html
    assert "evil.example/login" in html  # shown as the text it is, not as a link


def test_the_click_redirect_refuses_a_target_no_template_wrote(client):
    put_template(kind="welcome_7", channel="email", subject="Hola", body="Hola {{ nombre }}:\n\nGracias.")
    sent = send_email(ClienteFactory(nombre=f"{EVIL} Pérez", email="cliente@example.cl"), "welcome_7")
    assert click_targets(html_of()) == []
    token = tokens.make(tokens.CLICK, sent.public_id, u="https://elsewhere.example/")
    response = client.get(f"/c/l/{token}/")
    assert response.status_code == 404


def test_a_template_link_ending_in_a_variable_is_still_tracked_on_our_domain(settings):
    put_template(
        kind="welcome_7",
        channel="email",
        subject="Hola",
        body="Hola {{ nombre }}:\n\nTu cupón: https://aremko.cl/cupon/{{ nombre }}",
    )
    send_email(ClienteFactory(nombre="Ana", email="ana@example.cl"), "welcome_7")
    assert click_targets(html_of()) == ["https://aremko.cl/cupon/Ana"]


def test_the_booking_link_from_the_setting_is_tracked(settings):
    settings.BOOKING_URL = "https://reservas.aremko.cl/online"
    put_template(
        kind="welcome_7", channel="email", subject="Hola", body="Hola {{ nombre }}:\n\nReserva: {{ enlace_reservas }}"
    )
    send_email(ClienteFactory(nombre="Ana", email="ana@example.cl"), "welcome_7")
    assert click_targets(html_of()) == ["https://reservas.aremko.cl/online"]
