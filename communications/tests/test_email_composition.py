"""What an email looks like: both parts, the footer, the list headers, escaping and tracking."""

from urllib.parse import quote

import pytest
from django.core import mail

from communications import links
from communications.models import ClientPreferences
from ventas.tests.factories import ClienteFactory

from .conftest import put_template, send_email

pytestmark = pytest.mark.django_db


def test_marketing_email_has_text_and_html_parts_with_the_same_words():
    message = send_email(ClienteFactory(nombre="Camila Rojas"), "welcome_1")
    assert message.status == "sent"
    email = mail.outbox[0]
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "Hola Camila:" in email.body
    assert "Hola Camila:" in html
    assert email.subject == "Bienvenida a Aremko Spa"


def test_marketing_email_carries_one_click_list_unsubscribe_headers(settings):
    message = send_email(ClienteFactory(), "welcome_1")
    headers = mail.outbox[0].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_part, mailto_part = [p.strip(" <>") for p in headers["List-Unsubscribe"].split(",")]
    assert https_part.startswith(f"{settings.SITE_URL}/c/baja/") and https_part.endswith("/un-clic/")
    assert mailto_part.startswith(f"mailto:{settings.UNSUBSCRIBE_MAILTO}?subject=")
    assert str(message.public_id) == headers["X-Aremko-Message"]
    # The footer's link and both header targets carry one token, signed once, valid for the page.
    token = https_part.removeprefix(f"{settings.SITE_URL}/c/baja/").removesuffix("/un-clic/")
    assert links.find_links(message.body)[-1] == f"{settings.SITE_URL}/c/baja/{token}/"
    assert mailto_part.endswith(quote(f"baja {token}"))


def test_marketing_footer_shows_the_unsubscribe_link_and_who_sends_it(settings):
    message = send_email(ClienteFactory(), "welcome_1")
    email = mail.outbox[0]
    unsubscribe = links.find_links(email.body)[-1]
    assert "/c/baja/" in unsubscribe and not unsubscribe.endswith("/un-clic/")
    for part in (email.body, email.alternatives[0][0]):
        assert "Aremko Spa" in part
        assert settings.COMPANY_ADDRESS in part
        assert "/c/baja/" in part
    # The stored body is exactly the text that went out, footer included.
    assert message.body == email.body


def test_transactional_email_links_to_the_preference_centre_instead_of_a_list_unsubscribe():
    send_email(ClienteFactory(), "satisfaction_followup", context={"servicio": "Tina"})
    email = mail.outbox[0]
    assert "List-Unsubscribe" not in email.extra_headers
    assert "/c/preferencias/" in email.body
    assert "/c/baja/" not in email.body


def test_the_html_has_its_css_inlined_and_no_style_block():
    send_email(ClienteFactory(), "welcome_1")
    html = mail.outbox[0].alternatives[0][0]
    assert "<style" not in html
    assert 'style="' in html


def test_values_from_the_context_are_escaped_in_the_html():
    cliente = ClienteFactory(nombre="<script>alert(1)</script>")
    send_email(cliente, "manual", custom_text="Hola {{ nombre }}", category="transactional")
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_links_in_the_body_go_through_the_click_redirect_and_an_open_pixel_is_added(settings):
    put_template(
        kind="welcome_7", channel="email", subject="Hola", body="Reserva en https://aremko.cl/reservas. ¡Te esperamos!"
    )
    send_email(ClienteFactory(), "welcome_7")
    html = mail.outbox[0].alternatives[0][0]
    assert f'href="{settings.SITE_URL}/c/l/' in html
    assert 'href="https://aremko.cl/reservas"' not in html
    assert f'src="{settings.SITE_URL}/c/o/' in html
    # The text part keeps the real link: plain-text readers see where it goes.
    assert "https://aremko.cl/reservas." in mail.outbox[0].body


def test_tracking_can_be_switched_off(settings):
    settings.EMAIL_TRACKING = False
    put_template(kind="welcome_7", channel="email", subject="Hola", body="Ver https://aremko.cl/")
    send_email(ClienteFactory(), "welcome_7")
    html = mail.outbox[0].alternatives[0][0]
    assert 'href="https://aremko.cl/"' in html
    assert "/c/o/" not in html


def test_a_subject_cannot_smuggle_a_header_through_a_line_break():
    send_email(
        ClienteFactory(),
        "manual",
        subject="Hola {{ nombre }}\nBcc: otro@example.cl",
        custom_text="Texto",
        category="transactional",
    )
    assert "\n" not in mail.outbox[0].subject
    assert "Bcc" not in mail.outbox[0].extra_headers


def test_links_carry_no_email_address_or_sequential_id():
    cliente = ClienteFactory(email="persona.real@example.cl")
    message = send_email(cliente, "welcome_1")
    email = mail.outbox[0]
    for url in links.find_links(email.body) + [email.extra_headers["List-Unsubscribe"]]:
        assert "persona.real" not in url
        assert f"/{message.pk}/" not in url
    assert not ClientPreferences.objects.filter(cliente=cliente).exists()
