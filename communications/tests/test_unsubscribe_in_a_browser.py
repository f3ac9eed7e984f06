"""A person opens the unsubscribe link of a received email in a real browser, confirms, and is opted out.

Debian's Chromium (/usr/bin/chromium, installed by CI) is driven by Playwright; we
never download a browser. Without it the test fails: it is never skipped.
"""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from communications import links
from communications.models import ClientPreferences, ConsentEvent
from ventas.tests.factories import ClienteFactory

from .conftest import send_email

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_client_unsubscribes_from_a_received_email_in_a_real_browser(live_server, smtp_server, settings):
    assert CHROMIUM.exists(), "Debian's chromium must be installed at /usr/bin/chromium (apt-get install chromium)"
    settings.SITE_URL = live_server.url
    cliente = ClienteFactory(nombre="Valentina Muñoz", email="valentina@example.cl")
    send_email(cliente, "welcome_1")
    [received] = smtp_server.parsed()
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    unsubscribe_url = links.find_links(text)[-1]
    assert unsubscribe_url.startswith(f"{live_server.url}/c/baja/")
    ARTIFACTS.mkdir(exist_ok=True)

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, locale="es-CL")
            # The email as a phone shows it, kept for people reviewing the layout; the
            # preview must not count as an open, so its pixel is not fetched.
            page.route("**/c/o/**", lambda route: route.abort())
            page.set_content(html, wait_until="domcontentloaded")
            page.screenshot(path=str(ARTIFACTS / "email-welcome.png"), full_page=True)
            page.goto(unsubscribe_url)
            heading = page.get_by_role("heading", level=1).inner_text()
            page.screenshot(path=str(ARTIFACTS / "unsubscribe-confirm.png"), full_page=True)
            page.get_by_role("button", name="Confirmar baja").click()
            page.get_by_text("Listo, te diste de baja").wait_for(timeout=10_000)
            done_text = page.locator("main").inner_text()
            page.screenshot(path=str(ARTIFACTS / "unsubscribe-done.png"), full_page=True)
        finally:
            browser.close()

    assert heading == "¿Quieres dejar de recibir nuestras promociones por correo?"
    assert "Seguirás recibiendo los avisos de tus reservas" in done_text
    assert not ClientPreferences.objects.get(cliente=cliente).accepts_marketing_email
    event = ConsentEvent.objects.get(cliente=cliente)
    assert event.source == "unsubscribe_link"
    assert (event.channel, event.scope, event.granted) == ("email", "marketing", False)
    assert (ARTIFACTS / "unsubscribe-confirm.png").stat().st_size > 0
