"""What staff read in the admin: Spanish words, no internal codes or raw JSON (staff screens M4, L1-L11)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from communications import api, calls
from communications.gate import request_message
from communications.models import ConsentEvent, DeliveryEvent, Message, MessageTemplate, Status
from communications.tests.helpers import local, new_client, req
from ventas.models import CampaignInteraction
from ventas.tests.factories import CampaignFactory, ClienteFactory

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 10)


def message_page(client, message):
    return client.get(reverse("admin:communications_message_change", args=[message.pk])).content.decode()


def test_a_message_reads_in_spanish_without_internal_codes_or_json(admin_client):
    cliente = new_client(nombre="Marcelo Peña Vera")
    message = request_message(
        req(cliente, "booking_confirmation", context={"fecha": "sábado 5 de diciembre", "hora": "18:30"}), now=NOW
    ).message
    page = message_page(admin_client, message)
    assert str(message) == "Confirmación de reserva por SMS a Marcelo Peña Vera (en cola)"
    assert "booking_confirmation" not in page and "(queued)" not in page
    assert "Clave de idempotencia" not in page and "Public id" not in page and "Campaign:" not in page
    assert '{"fecha"' not in page and "&quot;fecha&quot;" not in page
    assert "<th>fecha</th><td>sábado 5 de diciembre</td>" in page
    assert "Campaña" in page


def test_a_blocked_message_shows_the_number_that_was_refused(admin_client):
    cliente = ClienteFactory(telefono="1908")
    message = request_message(req(cliente, "manual"), now=NOW).message
    assert (message.status, message.reason) == (Status.BLOCKED, "invalid_phone")
    page = message_page(admin_client, message)
    assert "1908 (dato actual del cliente; motivo: Teléfono no apto para SMS)" in page


def test_a_message_that_never_went_out_shows_its_text_as_prepared_not_sent(admin_client):
    message = request_message(req(new_client()), now=NOW).message
    Message.objects.filter(pk=message.pk).update(status=Status.FAILED, body="Hola Ana, novedades.")
    page = message_page(admin_client, message)
    assert "Texto preparado (no enviado)" in page and "Texto enviado" not in page
    Message.objects.filter(pk=message.pk).update(status=Status.DELIVERED, sent_at=NOW)
    assert "Texto enviado" in message_page(admin_client, message)


def test_templates_and_consent_events_are_named_in_spanish():
    template = MessageTemplate.objects.get(kind="reactivation_sms", channel="sms", variant="")
    assert str(template) == "Reactivación (SMS)"  # the kind's label names the channel: not twice
    vip = MessageTemplate.objects.get(kind="birthday", channel="sms", variant="vip")
    assert str(vip) == "Cumpleaños (SMS) · variante vip"
    event = api.opt_out(new_client(), channel="sms", source=ConsentEvent.Source.SMS_KEYWORD)
    assert str(event) == "Baja de SMS · Palabra clave SMS"
    event = api.opt_out(new_client(), channel="email", scope="marketing")
    assert str(event) == "Baja de Correo electrónico (marketing) · Sistema"


def test_delivery_events_are_listed_and_shown_in_spanish(admin_client):
    message = request_message(req(new_client()), now=NOW).message
    event = DeliveryEvent.objects.create(
        message=message,
        provider="redvoiss",
        event_type="reply",
        normalized="opt_out",
        raw_status="BAJA",
        dedupe_key="k1",
        payload={"batch": "b-1", "item": {"text": "Baja por favor"}},
    )
    listing = admin_client.get(reverse("admin:communications_deliveryevent_changelist")).content.decode()
    for english in ("Received at", "Event type", "Normalized", "Raw status", ">reply<", ">opt_out<"):
        assert english not in listing, english
    assert "Respuesta SMS" in listing and "Pidió la baja" in listing and "Tipo de evento" in listing
    page = admin_client.get(reverse("admin:communications_deliveryevent_change", args=[event.pk])).content.decode()
    assert "Baja por favor" in page and "&quot;batch&quot;" not in page
    assert "<th>lote</th><td>b-1</td>" in page


def test_a_call_interaction_shows_its_outcome_and_notes_not_json(admin_client):
    cliente = ClienteFactory()
    campaign = CampaignFactory()
    call = calls.register_call(
        cliente, calls.Outcome.ANSWERED_INTERESTED, "Quiere tina el sábado", "ana", campaign=campaign
    )
    page = admin_client.get(reverse("admin:ventas_campaigninteraction_change", args=[call.pk])).content.decode()
    assert "Contestó: interesado" in page and "Quiere tina el sábado" in page
    assert "answered_interested" not in page and "&quot;outcome&quot;" not in page
    listing = admin_client.get(reverse("admin:ventas_campaigninteraction_changelist")).content.decode()
    assert "Por campaign" not in listing and "Por campaña" in listing
    reply = CampaignInteraction.objects.create(cliente=cliente, interaction_type="sms_replied", details={"message": 7})
    page = admin_client.get(reverse("admin:ventas_campaigninteraction_change", args=[reply.pk])).content.decode()
    assert reverse("admin:communications_message_change", args=[7]) in page


def test_the_client_page_says_an_sms_opt_out_stops_reminders_too(admin_client):
    cliente = new_client()
    api.opt_out(cliente, channel="sms")
    page = admin_client.get(reverse("admin:ventas_cliente_change", args=[cliente.pk])).content.decode()
    assert "tampoco confirmaciones ni recordatorios de reservas" in page
    assert "tampoco recibe confirmaciones ni recordatorios de sus reservas por SMS" in page


def test_ver_el_sitio_opens_the_spas_website(admin_client, settings):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert f'href="{settings.COMPANY_WEBSITE}"' in page


def test_periodic_task_plumbing_is_hidden_from_staff_who_are_not_superusers(client, admin_client):
    staff = User.objects.create_user("recepcion", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["django_celery_beat", "ventas"]))
    client.force_login(staff)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Tareas periódicas" not in index and "Crontabs" not in index
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403
    assert "Clientes" in index
    assert admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200
