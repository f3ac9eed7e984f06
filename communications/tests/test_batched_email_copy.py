"""Batched email reads shared data once per batch and still writes every email as the one-message path does.

Names, recommendations (and an objector's lack of them), the services list, a booking's
visit, the trusted links with click tracking and the open pixel: a batch must lose none of
them. Only the signed per-message links (unsubscribe, tracking) may differ.
"""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications import batch_delivery, delivery
from communications.gate import request_message
from communications.insights.models import ClientInsight
from communications.models import ClientPreferences, Message, Status
from communications.tests.helpers import local, new_client, req, vip_client
from ventas.tests.factories import ReservaServicioFactory, ServicioFactory, VentaReservaFactory

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)


@pytest.fixture(autouse=True)
def tracked_locmem_email(settings):
    settings.EMAIL_TRACKING = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SEND_TIME_ENABLED = False


@pytest.fixture
def services():
    return {"tina": ServicioFactory(nombre="Tina de ciprés"), "masaje": ServicioFactory(nombre="Masaje de piedras")}


def scenario(services) -> list[Message]:
    """Newsletters to a client with recommendations, an objector with some stored, one without; a confirmation."""
    ana, berta, carla = (vip_client(nombre=n) for n in ("Ana Pérez", "Berta Soto", "Carla Ruiz"))
    for cliente in (ana, berta):
        ClientInsight.objects.create(cliente=cliente, recommendations=[services["masaje"].pk])
    ClientPreferences.objects.update_or_create(cliente=berta, defaults={"objects_to_profiling": True})
    dora = new_client(nombre="Dora Vidal")
    booking = VentaReservaFactory(cliente=dora)
    ReservaServicioFactory(venta_reserva=booking, servicio=services["tina"])
    messages = [
        request_message(req(c, kind="vip_newsletter", channel="email"), now=WED).message for c in (ana, berta, carla)
    ]
    confirmation = req(
        dora, kind="booking_confirmation", channel="email", reserva_id=booking.pk, context={"fecha": "?"}
    )
    messages.append(request_message(confirmation, now=WED).message)
    assert {m.status for m in messages} == {Status.QUEUED}
    return messages


def own_links(text: str) -> str:
    """The text with every signed link to this site (unsubscribe, preferences, click, pixel) as a placeholder."""
    return re.sub(re.escape(settings.SITE_URL) + r"[^\s\"'<>]*", "<enlace firmado>", text)


def sent_copy(messages):
    by_address = {m.to[0]: m for m in mail.outbox}
    rows = {m.pk: m for m in Message.objects.filter(pk__in=[x.pk for x in messages])}
    copies = []
    for m in messages:
        row = rows[m.pk]
        email = by_address[row.destination]
        html = email.alternatives[0][0]
        copies.append((row.status, row.subject, own_links(row.body), email.subject, own_links(html)))
    return copies


def test_a_batch_writes_every_email_exactly_as_the_one_message_path(services):
    single = scenario(services)
    for m in single:
        delivery.deliver(m.pk, now=WED)
    single_copy = sent_copy(single)
    mail.outbox.clear()

    batched = scenario(services)
    for category in ("marketing", "transactional"):
        batch_delivery.deliver_batch("email", category, now=WED)
    batched_copy = sent_copy(batched)

    assert batched_copy == single_copy
    ana, berta, carla, dora = (body for _s, _subject, body, _e, _h in batched_copy)
    assert ana.startswith("Hola Ana:") and "Elegido para ti:\nMasaje de piedras" in ana
    assert "Elegido para ti" not in berta and "Elegido para ti" not in carla  # an objector gets none
    assert "Tina de ciprés: $50.000" in carla  # {{ servicios }}
    assert "(Tina de ciprés)" in dora  # the booking's service, read at send time
    html = batched_copy[0][4]
    # Tracking is kept: the booking link goes through the click redirect, and the pixel is there.
    assert 'href="https://www.aremko.cl' not in html
    assert html.count("<enlace firmado>") >= 3  # click redirect, unsubscribe, open pixel


def test_rendering_a_batch_costs_the_same_queries_for_four_or_twenty_emails(services):
    def queries_for(n):
        Message.objects.all().delete()
        for _ in range(n):
            cliente = vip_client()
            ClientInsight.objects.create(cliente=cliente, recommendations=[services["masaje"].pk])
            request_message(req(cliente, kind="vip_newsletter", channel="email"), now=WED)
        with CaptureQueriesContext(connection) as ctx:
            report = batch_delivery.deliver_batch("email", "marketing", now=WED)
        assert report.outcomes == {"sent": n}
        return len(ctx.captured_queries)

    assert queries_for(4) == queries_for(20)
