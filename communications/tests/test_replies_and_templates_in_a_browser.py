"""Staff in a real browser: the replies inbox from the admin index, and a template typo refused in Spanish.

Debian's Chromium (/usr/bin/chromium) driven by Playwright, at the staff viewport
(1366×900); screenshots go to test-artifacts/. Without Chromium the test fails.
"""

import datetime

import pytest
import responses
from django.contrib.auth.models import User
from playwright.sync_api import sync_playwright

from communications.defaults import DEFAULT_TEMPLATES
from communications.feedback.replies import poll_replies
from communications.models import ClientPreferences, MessageTemplate, SmsReply
from ventas.tests.factories import ClienteFactory

from .sms_helpers import TUESDAY_11, URL, sent_sms, use_redvoiss
from .test_unsubscribe_in_a_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS


def answered(settings):
    use_redvoiss(settings)
    texts = ["¡Gracias! ¿Tienen hora el sábado?", "Hola, ¿en temporada baja tienen precios especiales para cabañas?"]
    people = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        for batch, text in enumerate(texts, start=1):
            cliente = ClienteFactory(nombre=["Marcelo Peña Vera", "Susana Álvarez Soto"][batch - 1])
            sent_sms(http, cliente, batch)
            http.get(
                f"{URL}/batch/{batch}/replies",
                json={"messageReplyList": [{"destination": cliente.telefono, "message": text}]},
            )
            people.append(cliente)
        poll_replies(TUESDAY_11 + datetime.timedelta(minutes=5))
    return people


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_find_the_replies_to_review_and_apply_an_opt_out_in_a_real_browser(live_server, settings):
    assert CHROMIUM.exists(), "Debian's chromium must be installed at /usr/bin/chromium (apt-get install chromium)"
    marcelo, susana = answered(settings)
    User.objects.create_superuser("marketing", "marketing@aremko.cl", "clave-de-prueba")
    # The shipped row, recreated if an earlier transactional test flushed the table.
    subject, body = DEFAULT_TEMPLATES[("booking_confirmation", "sms", "")]
    template, _created = MessageTemplate.objects.get_or_create(
        kind="booking_confirmation", channel="sms", variant="", defaults={"subject": subject, "body": body}
    )
    ARTIFACTS.mkdir(exist_ok=True)

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="es-CL")
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", "marketing")
            page.fill("#id_password", "clave-de-prueba")
            page.get_by_role("button", name="Iniciar sesión").click()
            notice = page.locator(".staff-notices").inner_text()
            page.screenshot(path=str(ARTIFACTS / "replies-admin-index.png"), full_page=True)
            page.get_by_role("link", name="Abrir respuestas por revisar").click()
            inbox = page.locator("#result_list").inner_text()
            page.screenshot(path=str(ARTIFACTS / "replies-inbox.png"), full_page=True)
            row = page.locator("#result_list tr", has_text="temporada baja")
            row.locator("input.action-select").check()
            page.select_option("select[name=action]", "apply_opt_out")
            page.get_by_role("button", name="Ir").click()
            done = page.locator(".messagelist").last.inner_text()
            page.screenshot(path=str(ARTIFACTS / "replies-opt-out-applied.png"), full_page=True)

            page.goto(f"{live_server.url}/admin/communications/messagetemplate/{template.pk}/change/")
            variables = page.locator("#template-variables").inner_text()
            body = page.locator("#id_body")
            body.fill("Hola {{ nombre }}, confirmamos tu reserva para el {{ fecah }} a las {{ hora }}.")
            page.locator("#sms-counter .sms-error").wait_for(timeout=10_000)
            live_error = page.locator("#sms-counter .sms-error").inner_text()
            page.get_by_role("button", name="Guardar", exact=True).click()
            field_error = page.locator(".errorlist").first.inner_text()
            page.screenshot(path=str(ARTIFACTS / "template-typo-refused.png"), full_page=True)
        finally:
            browser.close()

    assert "Hay 2 respuestas de clientes por revisar." in notice
    assert "Marcelo Peña Vera" in inbox and "¿Tienen hora el sábado?" in inbox and "Posible baja" in inbox
    assert "1 cliente dado de baja de SMS" in done
    assert ClientPreferences.objects.get(cliente=susana).accepts_sms is False
    assert not ClientPreferences.objects.filter(cliente=marcelo, accepts_sms=False).exists()
    assert SmsReply.objects.filter(needs_review=True).count() == 1
    assert "{{ fecha }}" in variables and "{{ servicio }}" in variables
    assert "¿Quisiste decir {{ fecha }}?" in live_error
    assert "{{ fecah }} no existe" in field_error
    template.refresh_from_db()
    assert "fecah" not in template.body
