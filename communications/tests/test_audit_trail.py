"""The audit trail is written for each staff action the issue lists (issue 11, "Audit trail").

Model edits (consent flags, templates, triggers, campaigns, users' groups) go to
django-auditlog (test_roles, test_data_rights); these are the domain actions beside
them: campaign previewed, sent and stopped, pending messages cancelled, unknown outcomes
settled, and the commands that send, which also need --actor and record the OS user.
"""

import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from communications import campaign_runs
from communications.audit import AuditEvent
from communications.gate import request_message
from communications.models import Message, Status
from communications.tests.helpers import local, new_client, req, vip_client
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

WED = local(2026, 11, 25, 10)
MESSAGES = "/admin/communications/message/"


@pytest.fixture
def operator():
    return get_user_model().objects.create_user("operador", is_staff=True)


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_a_campaign_previewed_sent_and_stopped_is_in_the_trail_with_who_did_it():
    vip_client()
    campaign = CampaignFactory()
    campaign_runs.start_preview(campaign, "marta")
    run, started = campaign_runs.start_send(campaign, "marta", now=WED)
    assert started
    campaign_runs.stop(campaign, "jefa", now=WED)
    [preview], [sent], [stopped] = (events(a) for a in ("campaign_previewed", "campaign_sent", "campaign_stopped"))
    assert (preview.actor, sent.actor, stopped.actor) == ("marta", "marta", "jefa")
    assert sent.object_id == str(campaign.pk) and sent.after["run"] == run.pk
    assert sent.before["estado"] != sent.after["estado"]


def test_cancelling_pending_messages_and_settling_unknown_ones_are_audited(admin_client):
    cliente = new_client()
    pending = request_message(req(cliente, at=local(2026, 11, 28, 11)), now=WED).message
    unknown = request_message(req(new_client()), now=WED).message
    Message.objects.filter(pk=unknown.pk).update(status=Status.UNKNOWN)

    admin_client.post(MESSAGES, {"action": "cancel_pending", "_selected_action": [pending.pk], "confirmado": "si"})
    admin_client.post(
        MESSAGES, {"action": "resolve_unknown_as_failed", "_selected_action": [unknown.pk], "confirmado": "si"}
    )
    [cancelled] = events("pending_cancelled")
    assert (cancelled.actor, cancelled.after) == ("admin", {"mensajes": 1, "ids": [pending.pk]})
    [settled] = events("unknown_settled")
    assert settled.actor == "admin" and settled.after["ids"] == [unknown.pk] and settled.after["estado"] == "failed"


def test_the_sending_commands_need_an_actor_and_record_them_and_the_os_user(operator):
    cliente = new_client()
    campaign = CampaignFactory()
    with time_machine.travel(WED, tick=False):
        for command in (
            ("send_sms", "--cliente", str(cliente.pk), "--text", "Hola"),
            ("send_email", "--cliente", str(cliente.pk), "--kind", "welcome_1"),
            ("send_campaign", str(campaign.pk)),
        ):
            with pytest.raises(CommandError):
                call_command(*command, stdout=io.StringIO())  # no --actor
            with pytest.raises(CommandError, match="no es un usuario activo"):
                call_command(*command, "--actor", "desconocido", stdout=io.StringIO())
            call_command(*command, "--actor", "operador", stdout=io.StringIO())
    manual = events("manual_send")
    assert len(manual) == 2 and all(e.actor == "operador" and e.os_user for e in manual)
    assert {e.after["canal"] for e in manual} == {"sms", "email"}
    [sent] = events("campaign_sent")
    assert sent.actor == "operador" and sent.os_user and sent.object_id == str(campaign.pk)
