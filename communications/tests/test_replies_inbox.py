"""S-H5: what clients write back by SMS reaches staff in a Spanish inbox, not as raw JSON.

Staff see who wrote, what, to which message and when; "por revisar" first; they mark
replies reviewed or apply the opt-out a reply asks for, and the admin index counts
what is waiting.
"""

import datetime

import pytest
import responses
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from communications.feedback.replies import count_to_review, poll_replies
from communications.models import ClientPreferences, ConsentEvent, SmsReply
from ventas.tests.factories import ClienteFactory

from .sms_helpers import TUESDAY_11, URL, sent_sms, use_redvoiss

pytestmark = pytest.mark.django_db
LATER = TUESDAY_11 + datetime.timedelta(minutes=5)
CHANGELIST = "admin:communications_smsreply_changelist"


@pytest.fixture
def inbox(settings):
    """Three clients answered a campaign SMS: a booking request, a possible opt-out, a BAJA."""
    use_redvoiss(settings)
    texts = {
        1: "¡Gracias! ¿Tienen hora el sábado?",
        2: "Hola, ¿en temporada baja tienen precios especiales para cabañas?",
        3: "BAJA",
    }
    people = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        for batch, text in texts.items():
            cliente = ClienteFactory(nombre=f"Cliente Número{batch}")
            sent_sms(http, cliente, batch)
            http.get(
                f"{URL}/batch/{batch}/replies",
                json={"messageReplyList": [{"destination": cliente.telefono, "message": text}]},
            )
            people[batch] = cliente
        poll_replies(LATER)
    return people


def reply_of(cliente):
    return SmsReply.objects.get(cliente=cliente)


def test_the_inbox_lists_who_wrote_what_to_which_message_in_spanish(admin_client, inbox):
    page = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert "Respuestas SMS" in page or "respuestas SMS" in page
    assert "Cliente Número1" in page and "¿Tienen hora el sábado?" in page
    answered = reply_of(inbox[1]).message
    assert reverse("admin:communications_message_change", args=[answered.pk]) in page
    assert "Posible baja" in page and "Conversación" in page and "Baja (aplicada)" in page
    assert "payload" not in page.lower() and "messageReplyList" not in page


def test_the_por_revisar_filter_shows_only_what_waits_for_a_person(admin_client, inbox):
    page = admin_client.get(reverse(CHANGELIST) + "?por_revisar=1").content.decode()
    assert "Cliente Número1" in page and "Cliente Número2" in page
    assert "Cliente Número3" not in page  # the BAJA was applied by itself
    assert count_to_review() == 2


def test_the_detail_page_shows_the_reply_without_raw_json(admin_client, inbox):
    reply = reply_of(inbox[3])
    page = admin_client.get(reverse("admin:communications_smsreply_change", args=[reply.pk])).content.decode()
    assert "BAJA" in page and "Baja SMS · Palabra clave SMS" in page
    assert "No requiere revisión" in page
    assert '"batch"' not in page and "delivery_event" not in page


def test_staff_mark_replies_reviewed(admin_client, inbox, admin_user):
    booking_request = reply_of(inbox[1])
    admin_client.post(reverse(CHANGELIST), {"action": "mark_reviewed", "_selected_action": [booking_request.pk]})
    booking_request.refresh_from_db()
    assert not booking_request.needs_review and booking_request.reviewed_by == admin_user.get_username()
    assert count_to_review() == 1


def test_staff_apply_the_opt_out_a_reply_asks_for(admin_client, inbox, admin_user):
    maybe = reply_of(inbox[2])
    admin_client.post(reverse(CHANGELIST), {"action": "apply_opt_out", "_selected_action": [maybe.pk]})

    maybe.refresh_from_db()
    assert ClientPreferences.objects.get(cliente=inbox[2]).accepts_sms is False
    event = maybe.consent_event
    assert (event.granted, event.channel, event.source, event.actor) == (False, "sms", "admin", admin_user.username)
    assert event.evidence["sms_reply_id"] == maybe.pk and event.message_id == maybe.message_id
    assert not maybe.needs_review


def test_applying_the_opt_out_needs_its_own_permission(client, inbox):
    clerk = User.objects.create_user("recepcion", password="pw", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_smsreply", "change_smsreply"], content_type__app_label="communications"
        )
    )
    client.force_login(clerk)
    maybe = reply_of(inbox[2])
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "Marcar como revisadas" in page and "Dar de baja de SMS" not in page
    client.post(reverse(CHANGELIST), {"action": "apply_opt_out", "_selected_action": [maybe.pk]})
    assert not ConsentEvent.objects.filter(cliente=inbox[2]).exists()


def test_the_admin_index_counts_the_replies_to_review(admin_client, inbox):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Hay 2 respuestas de clientes por revisar." in page
    assert reverse(CHANGELIST) + "?por_revisar=1" in page
    SmsReply.objects.update(needs_review=False)
    assert "por revisar" not in admin_client.get(reverse("admin:index")).content.decode()
