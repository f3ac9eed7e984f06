"""Data-rights requests registered as they arrive, answered through export and erasure (Ley 21.719).

Administración records who asked (the client found by id, phone or email, or the requester
written down), by which channel and when; the list puts requests past the legal deadline
(DATA_RIGHTS_DEADLINE_DAYS, 30 calendar days) first and flags them; answering from the list
goes through the same export and erasure code as the client list and records who and when.
"""

import io
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from communications import audit, roles
from communications.privacy import requests
from communications.privacy.models import DataRightsRequest
from communications.tests.helpers import new_client
from ventas.models import Cliente

pytestmark = pytest.mark.django_db

ADD = reverse("admin:communications_datarightsrequest_add")
LIST = reverse("admin:communications_datarightsrequest_changelist")
Kind, Channel = DataRightsRequest.Kind, DataRightsRequest.Channel


@pytest.fixture
def browser(client):
    user = User.objects.create_user("jefa", password="clave-segura-123", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.ADMINISTRACION))
    client.force_login(user)
    return client


@pytest.fixture
def carla():
    return new_client(nombre="Carla Rojas Soto", telefono="+56991234567", email="carla.rojas@example.cl")


def form(**fields):
    received = timezone.localtime(fields.pop("received", timezone.now()))
    data = {
        "kind": Kind.EXPORT,
        "channel": Channel.EMAIL,
        "received_at_0": received.strftime("%d/%m/%Y"),
        "received_at_1": received.strftime("%H:%M:%S"),
        "cliente": "",
        "requester": "",
        "notes": "",
    }
    data.update(fields)
    return data


def open_request(cliente=None, kind=Kind.EXPORT, days_ago=0, **fields):
    return DataRightsRequest.objects.create(
        cliente_id_ref=cliente.pk if cliente else None,
        kind=kind,
        channel=Channel.EMAIL,
        received_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )


def test_the_client_is_found_by_id_by_phone_in_any_form_and_by_email(carla):
    for text in (str(carla.pk), "+56 9 9123 4567", "9 9123 4567", "991234567", "CARLA.Rojas@example.cl "):
        assert requests.find_client(text) == carla, text
    assert requests.find_client("nadie@example.cl") is None
    assert requests.find_client("") is None


def test_two_records_with_one_email_ask_for_the_id(carla):
    twin = new_client(email="carla.rojas@example.cl")
    with pytest.raises(requests.AmbiguousClient) as raised:
        requests.find_client("carla.rojas@example.cl")
    assert raised.value.ids == sorted([carla.pk, twin.pk])


def test_a_request_is_registered_for_the_client_named_by_phone_with_its_deadline_and_an_audit_event(browser, carla):
    received = timezone.now() - timedelta(days=3)
    response = browser.post(
        ADD, form(kind=Kind.ERASURE, channel=Channel.PHONE, cliente="9 9123 4567", received=received)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    registered = DataRightsRequest.objects.get()
    assert (registered.cliente_id_ref, registered.kind, registered.channel) == (carla.pk, "erasure", "telefono")
    assert registered.registered_by == "jefa" and registered.answered_at is None
    assert abs(registered.received_at - received) < timedelta(seconds=1)
    assert registered.deadline == registered.received_at + timedelta(days=30)
    event = audit.AuditEvent.objects.get(action="data_request_registered")
    assert (event.actor, event.cliente_id_ref, event.object_id) == ("jefa", carla.pk, str(registered.pk))


def test_a_requester_without_a_record_is_written_down_and_one_of_the_two_is_required(browser):
    refused = browser.post(ADD, form())
    assert refused.status_code == 200
    assert "escribe quién hace la solicitud" in str(refused.context["adminform"].form.errors)
    unknown = browser.post(ADD, form(cliente="nadie@example.cl"))
    assert "No hay ninguna ficha" in str(unknown.context["adminform"].form.errors)
    future = browser.post(ADD, form(requester="Pedro", received=timezone.now() + timedelta(days=2)))
    assert "no puede ser futura" in str(future.context["adminform"].form.errors)
    assert not DataRightsRequest.objects.exists()

    response = browser.post(ADD, form(kind=Kind.OPPOSITION, channel=Channel.LETTER, requester="Pedro Díaz, carta"))
    assert response.status_code == 302
    registered = DataRightsRequest.objects.get()
    assert registered.cliente_id_ref is None and registered.requester == "Pedro Díaz, carta"


def test_the_list_shows_overdue_requests_first_and_flags_them(browser, carla, settings):
    settings.DATA_RIGHTS_DEADLINE_DAYS = 30
    fresh = open_request(carla, days_ago=2)
    overdue = open_request(carla, kind=Kind.ERASURE, days_ago=31)
    almost = open_request(carla, kind=Kind.RECTIFICATION, days_ago=29)
    done = open_request(carla, days_ago=40, answered_at=timezone.now(), answered_by="jefa")
    page = browser.get(LIST)
    assert [r.pk for r in page.context["cl"].result_list] == [overdue.pk, almost.pk, fresh.pk, done.pk]
    assert overdue.overdue and not almost.overdue and not done.overdue
    assert 'alt="True"' in page.content.decode()  # the "fuera de plazo" icon on the overdue row
    only_overdue = browser.get(LIST, {"estado": "vencida"})
    assert [r.pk for r in only_overdue.context["cl"].result_list] == [overdue.pk]


def test_answering_an_access_request_exports_the_zip_and_records_who_and_when(browser, carla):
    pending = open_request(carla, days_ago=5)
    response = browser.post(LIST, {"action": "answer_with_export", "_selected_action": [pending.pk]})
    assert response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("datos.json")
    pending.refresh_from_db()
    assert pending.answered_by == "jefa" and pending.answered_at is not None
    assert DataRightsRequest.objects.count() == 1  # answered, not logged again
    event = audit.AuditEvent.objects.get(action="export")
    assert (event.actor, event.cliente_id_ref, event.object_id) == ("jefa", carla.pk, str(pending.pk))


def test_answering_an_erasure_request_asks_for_borrar_then_erases_and_blanks_the_requester(browser, carla):
    pending = open_request(carla, kind=Kind.ERASURE, days_ago=1, requester="Carla Rojas Soto", notes="llamó Carla")
    action = {"action": "answer_with_erasure", "_selected_action": [pending.pk]}
    ask = browser.post(LIST, action)
    assert ask.status_code == 200 and "BORRAR" in ask.content.decode()
    assert Cliente.objects.get(pk=carla.pk).nombre == "Carla Rojas Soto"
    browser.post(LIST, {**action, "confirmar": "BORRAR"})
    erased = Cliente.objects.get(pk=carla.pk)
    assert (erased.nombre, erased.email, erased.telefono) == ("[borrado]", "", None)
    pending.refresh_from_db()
    assert pending.answered_by == "jefa" and pending.answered_at is not None
    assert (pending.requester, pending.notes) == ("[borrado]", "[borrado]")
    assert DataRightsRequest.objects.count() == 1
    assert audit.AuditEvent.objects.filter(action="erasure", cliente_id_ref=carla.pk, actor="jefa").exists()


def test_a_request_without_a_record_or_of_another_type_is_not_answered_by_export_or_erasure(browser, carla):
    unmatched = open_request(None, kind=Kind.ERASURE, requester="Alguien")
    export_kind = open_request(carla, kind=Kind.EXPORT)
    browser.post(LIST, {"action": "answer_with_erasure", "_selected_action": [unmatched.pk, export_kind.pk]})
    assert Cliente.objects.get(pk=carla.pk).nombre == "Carla Rojas Soto"
    assert not DataRightsRequest.objects.filter(answered_at__isnull=False).exists()


def test_rectification_and_opposition_are_marked_answered_by_hand_and_audited(browser, carla):
    rectify = open_request(carla, kind=Kind.RECTIFICATION)
    export_kind = open_request(carla, kind=Kind.EXPORT)
    browser.post(LIST, {"action": "mark_answered", "_selected_action": [rectify.pk, export_kind.pk]})
    rectify.refresh_from_db()
    export_kind.refresh_from_db()
    assert rectify.answered_by == "jefa" and export_kind.answered_at is None
    assert audit.AuditEvent.objects.get(action="data_request_answered").object_id == str(rectify.pk)


def test_an_answered_request_is_read_only_and_no_request_can_be_deleted(browser, carla):
    done = open_request(carla, answered_at=timezone.now(), answered_by="jefa", notes="ok")
    change = reverse("admin:communications_datarightsrequest_change", args=[done.pk])
    assert browser.get(change).status_code == 200
    assert browser.post(change, form(cliente=str(carla.pk), notes="cambiado")).status_code == 403
    done.refresh_from_db()
    assert done.notes == "ok"
    delete = reverse("admin:communications_datarightsrequest_delete", args=[done.pk])
    assert browser.post(delete, {"post": "yes"}).status_code == 403
    assert DataRightsRequest.objects.filter(pk=done.pk).exists()


def test_an_open_request_is_completed_later_when_the_record_is_found(browser, carla):
    pending = open_request(None, requester="Carla, por teléfono")
    change = reverse("admin:communications_datarightsrequest_change", args=[pending.pk])
    response = browser.post(change, form(cliente=carla.email, requester="Carla, por teléfono"))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.cliente_id_ref == carla.pk


def test_an_export_from_the_client_list_or_the_command_answers_the_open_request(browser, carla, tmp_path):
    older = open_request(carla, days_ago=10)
    newer = open_request(carla, days_ago=2)
    browser.post(
        reverse("admin:ventas_cliente_changelist"), {"action": "export_personal_data", "_selected_action": [carla.pk]}
    )
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.answered_by == "jefa" and newer.answered_at is None
    call_command("export_client", str(carla.pk), "--output", str(tmp_path / "c.zip"), "--actor", "jefa")
    newer.refresh_from_db()
    assert newer.answered_by == "jefa"
    # Both were answered; no extra rows were logged for them.
    assert DataRightsRequest.objects.count() == 2
