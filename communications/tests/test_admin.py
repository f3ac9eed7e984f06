"""What staff see and do in the admin."""

import pytest
from django.urls import reverse

from communications.gate import request_message, request_messages
from communications.models import ClientPreferences, ConsentEvent, Message, MessageTemplate, Reason, Status
from communications.tests.helpers import local, new_client, req

pytestmark = pytest.mark.django_db


def test_every_kind_has_an_editable_spanish_template_row():
    assert MessageTemplate.objects.filter(kind="birthday", channel="sms", variant="vip").exists()
    assert MessageTemplate.objects.get(kind="booking_confirmation", channel="sms").body.startswith("Hola")


def test_message_log_filters_by_status_and_reason_and_is_read_only(admin_client):
    ana = new_client()
    request_message(req(ana), now=local(2026, 11, 25, 10))
    nobody = new_client(telefono=None)
    request_message(req(nobody), now=local(2026, 11, 25, 10))
    url = reverse("admin:communications_message_changelist")
    response = admin_client.get(url, {"reason__exact": Reason.NO_PHONE})
    assert [m.cliente for m in response.context["cl"].queryset] == [nobody]
    assert "Sin teléfono" in response.content.decode()
    assert admin_client.get(reverse("admin:communications_message_add")).status_code == 403


def test_staff_cancel_pending_messages_with_a_reason(admin_client):
    ana = new_client()
    message = request_message(req(ana), now=local(2026, 11, 25, 22)).message
    admin_client.post(
        reverse("admin:communications_message_changelist"),
        {"action": "cancel_pending", "_selected_action": [message.pk], "confirmado": "si"},
    )
    message.refresh_from_db()
    assert (message.status, message.reason) == (Status.CANCELLED, Reason.STAFF_CANCELLED)


def test_client_page_shows_live_usage_and_next_allowed_send(admin_client):
    ana = new_client()
    request_messages([req(ana), req(ana)], now=local(2026, 11, 25, 10))
    import time_machine

    with time_machine.travel(local(2026, 11, 25, 11), tick=False):
        response = admin_client.get(reverse("admin:ventas_cliente_change", args=[ana.pk]))
    html = response.content.decode()
    assert "SMS hoy" in html and "2 / 2" in html
    assert "Límite diario de SMS" in html  # why the next marketing SMS waits until tomorrow


def test_editing_preferences_in_the_admin_writes_the_consent_ledger(admin_client, admin_user):
    ana = new_client()
    pending = request_message(req(ana), now=local(2026, 11, 25, 22)).message
    url = reverse("admin:ventas_cliente_change", args=[ana.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "nombre": ana.nombre,
            "telefono": ana.telefono,
            "email": ana.email,
            "pais": "Chile",
            "ciudad": "X",
            "created_at_0": "25/11/2026",
            "created_at_1": "10:00:00",
            "preferencias-TOTAL_FORMS": "1",
            "preferencias-INITIAL_FORMS": "0",
            "preferencias-0-accepts_sms": "",
            "preferencias-0-accepts_email": "on",
            "preferencias-0-accepts_promotional": "on",
            "preferencias-0-accepts_marketing_sms": "on",
            "preferencias-0-accepts_marketing_email": "on",
            "preferencias-0-accepts_birthday_sms": "on",
            "preferencias-0-preferred_channel": "email",
            "consent_events-TOTAL_FORMS": "0",
            "consent_events-INITIAL_FORMS": "0",
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
            "ventareserva_set-TOTAL_FORMS": "0",
            "ventareserva_set-INITIAL_FORMS": "0",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    event = ConsentEvent.objects.get(cliente=ana)
    assert (event.granted, event.channel, event.scope, event.source, event.actor) == (
        False,
        "sms",
        "all",
        "admin",
        admin_user.username,
    )
    prefs = ClientPreferences.objects.get(cliente=ana)
    assert (prefs.accepts_sms, prefs.preferred_channel) == (False, "email")
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == (Status.CANCELLED, Reason.OPTED_OUT)
    assert Message.objects.filter(cliente=ana, status=Status.SCHEDULED).count() == 0


def test_consent_ledger_cannot_be_edited_or_deleted(admin_client):
    ana = new_client()
    from communications import api

    event = api.opt_out(ana, channel="sms")
    assert admin_client.get(reverse("admin:communications_consentevent_change", args=[event.pk])).status_code == 200
    assert admin_client.post(reverse("admin:communications_consentevent_delete", args=[event.pk])).status_code == 403


def test_staff_switch_and_tune_triggers_with_spanish_explanations(admin_client):
    from communications.models import TriggerSetting

    listing = admin_client.get(reverse("admin:communications_triggersetting_changelist")).content.decode()
    assert "Recordatorio de cita" in listing and "Cumpleaños" in listing
    row = TriggerSetting.objects.get(name="appointment_reminder")
    page = admin_client.get(reverse("admin:communications_triggersetting_change", args=[row.pk])).content.decode()
    assert "cuánto antes del inicio de la visita" in page
    admin_client.post(
        reverse("admin:communications_triggersetting_change", args=[row.pk]),
        {
            "enabled": "",
            "delay_hours": "3",
            "window_days": "0",
            "send_hour": "10",
            "segments": "[]",
            "channel": "",
            "template_variant": "",
        },
    )
    row.refresh_from_db()
    assert (row.enabled, row.delay_hours) == (False, 3)
    assert admin_client.get(reverse("admin:communications_triggersetting_add")).status_code == 403


def test_the_message_log_names_kinds_in_spanish(admin_client):
    request_message(req(new_client(), "vip_newsletter"), now=local(2026, 11, 25, 10))
    page = admin_client.get(reverse("admin:communications_message_changelist")).content.decode()
    assert "Newsletter VIP" in page and "vip_newsletter</td>" not in page


def test_staff_settle_an_unknown_send_and_a_failed_one_frees_the_cap(admin_client):
    ana = new_client()
    outcomes = request_messages([req(ana), req(ana)], now=local(2026, 11, 25, 10))
    ids = [o.message.pk for o in outcomes]
    Message.objects.filter(pk__in=ids).update(status=Status.UNKNOWN)
    url = reverse("admin:communications_message_changelist")
    admin_client.post(url, {"action": "resolve_unknown_as_sent", "_selected_action": [ids[0]], "confirmado": "si"})
    admin_client.post(url, {"action": "resolve_unknown_as_failed", "_selected_action": [ids[1]], "confirmado": "si"})
    sent, failed = Message.objects.get(pk=ids[0]), Message.objects.get(pk=ids[1])
    assert sent.status == Status.SENT and sent.reason_detail == "resuelto por admin"
    assert (failed.status, failed.reason) == (Status.FAILED, Reason.PROVIDER_AMBIGUOUS)
    from communications import api

    assert api.explain(ana, "manual", "sms", now=local(2026, 11, 25, 11)).status == "queued"


@pytest.mark.django_db
def test_the_admin_index_names_the_audit_log_in_spanish(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Historial de cambios" in page
    assert "Audit log" not in page and "AUDIT LOG" not in page
