"""send_campaign: Spanish counts; a dry run writes nothing and sends nothing."""

import io

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from communications.channels.sms.backends import locmem
from communications.models import CommunicationLimit, Message
from communications.tests.helpers import client_without_phone, local, vip_client
from ventas.models import CampaignInteraction
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def wednesday_morning():
    locmem.outbox.clear()
    with time_machine.travel(local(2026, 11, 25, 10), tick=False):
        yield


@pytest.fixture(autouse=True)
def operator():
    """The staff member named by --actor (the command refuses anyone else)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("operador", is_staff=True)


def run(*args):
    out = io.StringIO()
    call_command("send_campaign", *map(str, args), "--actor", "operador", stdout=out)
    return out.getvalue()


def test_dry_run_prints_spanish_counts_and_writes_and_sends_nothing():
    vip_client()
    client_without_phone()
    campaign = CampaignFactory(name="Primavera")
    before = (Message.objects.count(), CampaignInteraction.objects.count(), CommunicationLimit.objects.count())

    output = run(campaign.pk, "--dry-run")

    assert output.startswith("[simulación] Campaña «Primavera»")
    assert "Destinatarios: 2" in output
    assert "Se envían ahora: 1" in output
    assert "Bloqueados: 1" in output and "- Sin teléfono: 1" in output
    assert "VIP · gasto alto: Se envían ahora: 1" in output
    after = (Message.objects.count(), CampaignInteraction.objects.count(), CommunicationLimit.objects.count())
    assert after == before
    assert locmem.outbox == [] and mail.outbox == []
    campaign.refresh_from_db()
    assert campaign.sent_at is None


def test_without_dry_run_it_sends_and_a_second_run_finds_only_duplicates():
    vip_client()
    campaign = CampaignFactory()
    output = run(campaign.pk)
    assert "Se envían ahora: 1" in output and output.rstrip().endswith("Enviada.")
    assert Message.objects.filter(campaign=campaign).count() == 1
    assert "Ya enviados antes (duplicados): 1" in run(campaign.pk)
    assert Message.objects.filter(campaign=campaign).count() == 1


def test_unknown_or_unsendable_campaigns_are_clear_errors():
    with pytest.raises(CommandError, match="No existe la campaña 999"):
        run(999)
    with pytest.raises(CommandError, match="necesita una plantilla SMS"):
        run(CampaignFactory(sms_template="").pk)
