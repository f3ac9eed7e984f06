"""Staff screens in a real browser at 1366 px: the VIP call list keeps its action on screen.

Debian's Chromium (/usr/bin/chromium) through Playwright, as in the unsubscribe test;
without it the test fails, never skips. Screenshots of the screens changed for the
staff-screens findings go to test-artifacts/ for people reviewing the layout.
"""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import sync_playwright

from communications import api
from communications.gate import request_message
from communications.models import DeliveryEvent, TriggerSetting
from communications.tests.helpers import local, req
from ventas.tests.factories import ClienteFactory, give_visits

from .test_unsubscribe_in_a_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

NOW = local(2026, 11, 25, 10)
STAFF = {"width": 1366, "height": 900}


def inactive_vip(**kwargs):
    cliente = ClienteFactory(**kwargs)
    give_visits(cliente, 6, 400_000, days_ago=120)
    return cliente


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_call_list_keeps_its_action_on_screen_at_1366_px_and_flags_who_not_to_call(live_server):
    assert CHROMIUM.exists(), "Debian's chromium must be installed at /usr/bin/chromium (apt-get install chromium)"
    User.objects.create_superuser("marketing", "m@example.cl", "clave-segura-1")
    callable_ = inactive_vip(nombre="Valentina Fuenzalida Sotomayor", telefono="+56972815490")
    # A stored churn score with its reasons: the widest risk cell staff will see.
    from communications.insights.models import ClientInsight

    ClientInsight.objects.create(
        cliente=callable_,
        churn_probability=0.82,
        risk_band="alto",
        value_clp=1_250_000,
        reasons=[
            "Sin visitas pagadas hace 210 días",
            "Atrasado respecto a su ritmo habitual (cada 35 días)",
            "Su último gasto fue menor que su promedio",
        ],
    )
    inactive_vip(nombre="Juan Arancibia Díaz", telefono=None)
    opted_out = inactive_vip(nombre="Rosa Espinoza Carrasco", telefono="+56942035461")
    api.opt_out(opted_out, channel="all")
    blocked = request_message(req(ClienteFactory(nombre="Ana Números", telefono="1908")), now=NOW).message
    event = DeliveryEvent.objects.create(
        message=blocked,
        provider="redvoiss",
        event_type="reply",
        normalized="opt_out",
        raw_status="BAJA",
        dedupe_key="browser-1",
        payload={"batch": "b-7", "item": {"text": "Baja por favor"}},
    )
    # The rows the trigger migration ships (recreated if an earlier transactional test flushed them).
    from communications.triggers import TRIGGERS

    for name in TRIGGERS:
        TriggerSetting.objects.get_or_create(name=name)
    birthday = TriggerSetting.objects.get(name="birthday").pk
    confirmation = TriggerSetting.objects.get(name="booking_confirmation").pk
    ARTIFACTS.mkdir(exist_ok=True)
    base = f"{live_server.url}/admin"

    # No ORM calls inside this block: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=STAFF, locale="es-CL")
            page.goto(f"{base}/login/")
            page.fill("#id_username", "marketing")
            page.fill("#id_password", "clave-segura-1")
            page.click("input[type=submit]")
            page.wait_for_url(f"{base}/")

            page.goto(f"{base}/ventas/inactivevipcall/")
            page.screenshot(path=str(ARTIFACTS / "staff-call-list-1366.png"), full_page=True)
            rows = page.locator("#result_list tbody tr")
            first_row = rows.nth(0).inner_text()
            row_texts = [rows.nth(i).inner_text() for i in range(rows.count())]
            action = page.locator("a.register-call").first
            box = action.bounding_box()
            page_width = page.evaluate("document.documentElement.scrollWidth")
            # The results table scrolls inside its box: the action must fit that box, not only the window.
            results = page.locator("#changelist .results").bounding_box()
            results_overflow = page.evaluate(
                "(() => { const r = document.querySelector('#changelist .results');"
                " return r.scrollWidth - r.clientWidth; })()"
            )
            page.get_by_role("link", name="Valentina Fuenzalida Sotomayor").click()
            call_form_heading = page.locator("#content h1").inner_text()
            page.screenshot(path=str(ARTIFACTS / "staff-call-form.png"), full_page=True)

            for name, path in [
                ("staff-triggers-list", "/communications/triggersetting/"),
                ("staff-trigger-birthday", f"/communications/triggersetting/{birthday}/change/"),
                ("staff-trigger-confirmation", f"/communications/triggersetting/{confirmation}/change/"),
                ("staff-message-blocked", f"/communications/message/{blocked.pk}/change/"),
                ("staff-message-log", "/communications/message/"),
                ("staff-delivery-events", "/communications/deliveryevent/"),
                ("staff-client-list", "/ventas/cliente/"),
                ("staff-client-opted-out", f"/ventas/cliente/{opted_out.pk}/change/"),
                ("staff-delivery-event", f"/communications/deliveryevent/{event.pk}/change/"),
            ]:
                page.goto(f"{base}{path}")
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            page.goto(f"{base}/communications/triggersetting/")
            trigger_list = page.locator("#result_list").inner_text()
        finally:
            browser.close()

    assert "Valentina Fuenzalida Sotomayor" in first_row  # the one who may be called comes first
    assert "alto (82\u00a0%)" in first_row and "Atrasado respecto a su ritmo habitual" in first_row
    assert any("Juan Arancibia Díaz" in t and "Sin teléfono" in t for t in row_texts[1:])
    assert any("Rosa Espinoza Carrasco" in t and "No contactar" in t for t in row_texts[1:])
    assert box is not None and box["x"] + box["width"] <= results["x"] + results["width"], (box, results)
    assert results_overflow <= 0
    assert page_width <= STAFF["width"]
    assert "Registrar llamada" in call_form_heading and callable_.nombre in call_form_heading
    assert "appointment_reminder" not in trigger_list and "Recordatorio de cita" in trigger_list


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_message_client_and_campaign_lists_fit_1366_px_without_cutting_columns(live_server):
    """Staff screens L4: Motivo squeezed, Segmentos/Costo, Gasto/Última visita and "Vista previa" off-screen."""
    from ventas.tests.factories import CampaignFactory

    assert CHROMIUM.exists(), "Debian's chromium must be installed at /usr/bin/chromium (apt-get install chromium)"
    User.objects.create_superuser("marketing", "m@example.cl", "clave-segura-1")
    client = inactive_vip(nombre="Maximiliano Hernández Valenzuela", email="maximiliano.hernandez@example.cl")
    request_message(req(client), now=NOW)
    request_message(req(ClienteFactory(nombre="Ana Números", telefono="1908")), now=NOW)  # blocked, long reason
    CampaignFactory(name="Promo diciembre VIP · tinas y cabañas")
    base = f"{live_server.url}/admin"
    measured = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=STAFF, locale="es-CL")
            page.goto(f"{base}/login/")
            page.fill("#id_username", "marketing")
            page.fill("#id_password", "clave-segura-1")
            page.click("input[type=submit]")
            page.wait_for_url(f"{base}/")
            for path in ("/communications/message/", "/ventas/cliente/", "/ventas/campaign/"):
                page.goto(f"{base}{path}")
                measured[path] = page.evaluate(
                    "(() => { const r = document.querySelector('#changelist .results');"
                    " return [r.scrollWidth - r.clientWidth, document.documentElement.scrollWidth]; })()"
                )
        finally:
            browser.close()
    for path, (overflow, page_width) in measured.items():
        assert overflow <= 0 and page_width <= STAFF["width"], (path, overflow, page_width)
