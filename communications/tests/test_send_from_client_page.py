"""Reception sends a transactional message from the client page; other roles cannot; every send is audited."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from communications import audit, roles
from communications.models import Category, Message
from communications.tests.helpers import new_client

pytestmark = pytest.mark.django_db


def staff_in(group_name, username):
    roles.sync_roles()
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_reception_sends_a_transactional_sms_that_is_audited(client):
    ana = new_client(nombre="Ana Pérez")
    client.force_login(staff_in(roles.RECEPCION, "recepcion"))
    page = client.get(f"/admin/ventas/cliente/{ana.pk}/change/").content.decode()
    assert "enviar-mensaje" in page
    response = client.post(
        f"/admin/ventas/cliente/{ana.pk}/enviar-mensaje/",
        {"channel": "sms", "text": "Hola {{ nombre }}, tu tina de hoy pasa a las 19:00."},
    )
    assert response.status_code == 302
    message = Message.objects.get(cliente=ana)
    assert (message.kind, message.category, message.status) == ("manual", Category.TRANSACTIONAL, "queued")
    event = audit.AuditEvent.objects.get(action="manual_send")
    assert event.actor == "recepcion" and event.cliente_id_ref == ana.pk


def test_a_broken_text_or_an_email_without_subject_is_refused_in_spanish(client):
    ana = new_client()
    client.force_login(staff_in(roles.RECEPCION, "recepcion"))
    url = f"/admin/ventas/cliente/{ana.pk}/enviar-mensaje/"
    page = client.post(url, {"channel": "sms", "text": "Hola {{ nombre, mañana"}).content.decode()
    assert "error de plantilla" in page
    page = client.post(url, {"channel": "email", "text": "Hola"}).content.decode()
    assert "necesita asunto" in page
    assert not Message.objects.exists()


def test_marketing_cannot_send_from_the_client_page(client):
    ana = new_client()
    client.force_login(staff_in(roles.MARKETING, "marketing"))
    assert client.get(f"/admin/ventas/cliente/{ana.pk}/enviar-mensaje/").status_code == 403
