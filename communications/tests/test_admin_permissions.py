"""Staff actions that stop messages or release cap slots need their own permissions (finding M7)."""

import logging

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from communications.gate import request_message
from communications.models import Message, Reason, Status
from communications.tests.helpers import local, new_client, req

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:communications_message_changelist"


def staff(username, *codenames):
    user = User.objects.create_user(username, f"{username}@aremko.cl", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def unknown_and_scheduled():
    cl = new_client()
    unknown = request_message(req(cl), now=local(2026, 11, 25, 10)).message
    Message.objects.filter(pk=unknown.pk).update(status=Status.UNKNOWN)
    scheduled = request_message(req(cl, channel="email", subject="x"), now=local(2026, 11, 25, 22)).message
    assert scheduled.status == Status.SCHEDULED
    return unknown, scheduled


def status_of(message):
    message.refresh_from_db()
    return message.status, message.reason, message.reason_detail


def test_a_receptionist_with_only_view_cliente_cannot_see_messages_nor_cancel_nor_settle(unknown_and_scheduled):
    unknown, scheduled = unknown_and_scheduled
    recepcion = staff("recepcion", "view_cliente")
    url = reverse(CHANGELIST)

    assert recepcion.get(url).status_code == 403
    recepcion.post(url, {"action": "resolve_unknown_as_failed", "_selected_action": [unknown.pk], "confirmado": "si"})
    recepcion.post(url, {"action": "cancel_pending", "_selected_action": [scheduled.pk], "confirmado": "si"})

    assert status_of(unknown)[0] == Status.UNKNOWN
    assert status_of(scheduled)[0] == Status.SCHEDULED
    assert recepcion.get(reverse("admin:communications_consentevent_changelist")).status_code == 403
    assert recepcion.get(reverse("admin:communications_deliveryevent_changelist")).status_code == 403


def test_viewing_messages_does_not_offer_the_actions_that_need_their_own_permission(unknown_and_scheduled):
    unknown, scheduled = unknown_and_scheduled
    viewer = staff("marketing", "view_message")
    url = reverse(CHANGELIST)

    page = viewer.get(url)
    assert page.status_code == 200
    assert page.context["action_form"] is None  # no action is offered at all
    viewer.post(url, {"action": "cancel_pending", "_selected_action": [scheduled.pk], "confirmado": "si"})
    viewer.post(url, {"action": "resolve_unknown_as_sent", "_selected_action": [unknown.pk], "confirmado": "si"})
    assert status_of(scheduled)[0] == Status.SCHEDULED
    assert status_of(unknown)[0] == Status.UNKNOWN


def test_cancelling_asks_for_confirmation_first_and_then_records_who_did_it(unknown_and_scheduled, caplog):
    _unknown, scheduled = unknown_and_scheduled
    jefa = staff("jefa", "view_message", "cancel_pending")
    url = reverse(CHANGELIST)

    first = jefa.post(url, {"action": "cancel_pending", "_selected_action": [scheduled.pk]})
    assert first.status_code == 200
    assert "Esta acción afectará a 1 mensaje." in first.content.decode()
    assert status_of(scheduled)[0] == Status.SCHEDULED

    with caplog.at_level(logging.INFO, logger="communications.admin"):
        jefa.post(url, {"action": "cancel_pending", "_selected_action": [scheduled.pk], "confirmado": "si"})

    assert status_of(scheduled) == (Status.CANCELLED, Reason.STAFF_CANCELLED, "por jefa")
    assert any("cancelled 1 pending" in r.getMessage() for r in caplog.records)
    assert all("@" not in r.getMessage() and "+569" not in r.getMessage() for r in caplog.records)


def test_settling_an_unknown_send_needs_settle_unknown_and_a_confirmation(unknown_and_scheduled):
    unknown, _scheduled = unknown_and_scheduled
    url = reverse(CHANGELIST)
    cancel_only = staff("caja", "view_message", "cancel_pending")
    cancel_only.post(url, {"action": "resolve_unknown_as_failed", "_selected_action": [unknown.pk], "confirmado": "si"})
    assert status_of(unknown)[0] == Status.UNKNOWN

    admin_staff = staff("admin2", "view_message", "settle_unknown")
    page = admin_staff.post(url, {"action": "resolve_unknown_as_failed", "_selected_action": [unknown.pk]})
    assert "Resolver envíos inciertos como no enviados" in page.content.decode()
    assert status_of(unknown)[0] == Status.UNKNOWN
    admin_staff.post(url, {"action": "resolve_unknown_as_failed", "_selected_action": [unknown.pk], "confirmado": "si"})
    assert status_of(unknown) == (Status.FAILED, Reason.PROVIDER_AMBIGUOUS, "resuelto por admin2")


def test_the_three_named_permissions_exist_for_roles_to_grant():
    codenames = set(
        Permission.objects.filter(content_type__app_label="communications", content_type__model="message").values_list(
            "codename", flat=True
        )
    )
    assert {"cancel_pending", "settle_unknown", "mark_transactional"} <= codenames
