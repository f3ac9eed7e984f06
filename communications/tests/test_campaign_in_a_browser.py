"""The marketing owner creates, previews, sends (clicking twice) and reads the results of a campaign in a real browser.

Debian's Chromium (/usr/bin/chromium) is driven by Playwright; without it the test fails, never skips.
The preview and send tasks run eagerly here, inside the server thread, as a worker would run them.
"""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import sync_playwright

from aremko.celery import app as celery_app
from communications.models import CampaignRun, Message, Status
from communications.tests.helpers import client_without_phone, vip_client
from ventas.models import Campaign

from .test_unsubscribe_in_a_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

TEXT = "Hola {{ nombre }}, 20% en tinas esta semana."


@pytest.fixture
def eager_tasks():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_marketing_owner_walks_a_campaign_from_form_to_results(live_server, eager_tasks):
    assert CHROMIUM.exists(), "Debian's chromium must be installed at /usr/bin/chromium (apt-get install chromium)"
    vip_client()
    vip_client()
    client_without_phone()
    User.objects.create_superuser("marketing", "marketing@aremko.cl", "clave-segura-1")
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {}

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CL")
            page = context.new_page()
            page.goto(f"{live_server.url}/admin/login/")
            page.fill("#id_username", "marketing")
            page.fill("#id_password", "clave-segura-1")
            page.click("input[type=submit]")

            page.goto(f"{live_server.url}/admin/ventas/campaign/add/")
            page.fill("#id_name", "Tinas de verano")
            page.select_option("#id_status", "active")
            page.select_option("#id_channel", "sms")
            page.select_option("#id_kind", "campaign")
            page.fill("#id_sms_template", TEXT)
            page.click("input[name=_continue]")
            page.get_by_role("link", name="Vista previa y envío").click()
            page.get_by_role("button", name="Confirmar y enviar").wait_for(timeout=20_000)
            shots["preview"] = page.locator("#content-main").inner_text()
            page.screenshot(path=str(ARTIFACTS / "campaign-preview.png"), full_page=True)
            stale = context.new_page()  # the same preview, open in a second tab
            stale.goto(page.url)

            page.get_by_role("button", name="Confirmar y enviar").dblclick()
            page.locator("#sent-summary").wait_for(timeout=20_000)
            shots["sent"] = page.locator("#content-main").inner_text()
            page.screenshot(path=str(ARTIFACTS / "campaign-sent.png"), full_page=True)

            # A confirmation from the same preview left open in another tab reports the same send.
            stale.get_by_role("button", name="Confirmar y enviar").click()
            stale.locator("#sent-summary").wait_for(timeout=20_000)
            shots["again"] = stale.locator("#content-main").inner_text()
            shots["notice"] = stale.locator(".messagelist").inner_text()
            stale.screenshot(path=str(ARTIFACTS / "campaign-second-click.png"), full_page=True)

            page.get_by_role("link", name="Ver los resultados de la campaña").click()
            shots["results"] = page.locator("#content-main").inner_text()
            page.screenshot(path=str(ARTIFACTS / "campaign-results.png"), full_page=True)
        finally:
            browser.close()

    assert "Hola Maximiliano, 20% en tinas esta semana." in shots["preview"]
    assert "Costo total estimado: $24" in shots["preview"]
    assert "Campaña enviada: 2 de 3 destinatarios recibirán el mensaje" in shots["sent"]
    assert "Sin teléfono: 1" in shots["sent"]
    assert "Campaña enviada: 2 de 3" in shots["again"]
    assert "ya se envió" in shots["notice"]
    assert "Ya enviados antes (duplicados): 3" not in shots["again"]
    # Eager tasks also delivered the queued SMS (console backend): the results say so.
    assert "Bloqueado" in shots["results"] and "Sin teléfono: 1" in shots["results"]
    assert "Respuestas" in shots["results"] and "Bajas" in shots["results"]
    campaign = Campaign.objects.get(name="Tinas de verano")
    assert campaign.status == Campaign.Status.SENT
    assert CampaignRun.objects.filter(campaign=campaign, mode="send").count() == 1
    assert Message.objects.filter(campaign=campaign).exclude(status=Status.BLOCKED).count() == 2
    assert (ARTIFACTS / "campaign-results.png").stat().st_size > 0
