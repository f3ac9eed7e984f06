"""The campaign flow as the marketing owner lives it (findings M6, S-H3, S-M1, S-M2, S-M3).

Preview and send run as a Celery task; here the task body runs directly, as the worker would.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse

from communications import api, campaign_runs, tasks
from communications.gate import request_messages
from communications.models import CampaignRun, ConsentEvent, Message, Reason, Status
from communications.tests.helpers import client_without_phone, local, new_client, req, vip_client
from ventas.admin import clp
from ventas.models import Campaign
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 10)  # Wednesday, inside the open hours
LONG_TEXT = "Hola {{ nombre }}, " + ("Esta Navidad te regalamos una tina caliente con hidromasaje 🎄 " * 7)


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, *args):
    return reverse(f"admin:ventas_campaign_{name}", args=args)


def open_preview(browser, campaign):
    started = browser.get(url("preview", campaign.pk))
    assert started.status_code == 302
    campaign_runs.execute(CampaignRun.objects.filter(campaign=campaign).latest("pk").pk)
    return browser.get(started.url).content.decode()


def form_data(**overrides):
    data = {
        "name": "Navidad",
        "status": "active",
        "segments": ["vip_high_spend"],
        "target_min_visits": "0",
        "target_min_spend": "0",
        "channel": "sms",
        "kind": "campaign",
        "when_capped": "defer",
        "sms_template": "Hola {{ nombre }}",
        "email_subject": "",
        "email_body": "",
    }
    return {**data, **overrides}


def test_the_form_refuses_a_441_character_sms_with_an_emoji_over_the_segment_limit(admin_client):
    response = admin_client.post(url("add"), form_data(sms_template=LONG_TEXT))

    assert response.status_code == 200
    error = str(response.context["adminform"].form.errors["sms_template"])
    assert "segmentos y el máximo permitido es 3" in error
    assert not Campaign.objects.exists()


def test_a_long_sms_saved_elsewhere_is_refused_by_the_preview_and_nothing_is_sent(admin_client):
    vip_client()
    campaign = CampaignFactory(sms_template=LONG_TEXT)

    html = admin_client.get(url("preview", campaign.pk)).content.decode()
    assert "segmentos y el máximo permitido es 3" in html
    assert "Confirmar y enviar" not in html

    admin_client.post(url("preview", campaign.pk))
    assert not Message.objects.exists()
    assert not CampaignRun.objects.exists()


def test_a_paused_campaign_past_its_end_date_is_previewed_but_cannot_be_sent(admin_client):
    vip_client()
    campaign = CampaignFactory(status="paused", end_date=datetime.date(2026, 2, 1))

    html = open_preview(admin_client, campaign)
    assert "Se envían ahora" in html
    assert "solo una campaña «Activa» se puede enviar" in html
    assert "Confirmar y enviar" not in html

    page = admin_client.post(url("preview", campaign.pk), follow=True).content.decode()
    assert "solo una campaña «Activa» se puede enviar" in page
    assert not Message.objects.exists()

    Campaign.objects.filter(pk=campaign.pk).update(status="active")
    admin_client.post(url("preview", campaign.pk))
    assert "ya no se puede enviar" in admin_client.get(url("preview", campaign.pk), follow=True).content.decode()
    assert not Message.objects.exists()


def test_an_active_campaign_before_its_start_date_cannot_be_sent(admin_client):
    vip_client()
    campaign = CampaignFactory(start_date=datetime.date(2026, 12, 1))
    admin_client.post(url("preview", campaign.pk))
    assert not Message.objects.exists()


def test_a_double_click_on_confirm_starts_one_send_and_both_clicks_show_the_real_result(admin_client):
    vip_client()
    client_without_phone()
    campaign = CampaignFactory()
    open_preview(admin_client, campaign)

    first = admin_client.post(url("preview", campaign.pk))
    second = admin_client.post(url("preview", campaign.pk))

    assert first.url == second.url
    assert CampaignRun.objects.filter(mode="send").count() == 1
    campaign_runs.execute(CampaignRun.objects.get(mode="send").pk)
    third = admin_client.post(url("preview", campaign.pk))  # a late click after the send finished
    assert third.url == first.url
    html = admin_client.get(first.url).content.decode()
    assert "Campaña enviada: 1 de 2 destinatarios recibirán el mensaje" in html
    assert "Sin teléfono: 1" in html
    assert "outcome-duplicate" not in html  # no "597 duplicados"
    assert Message.objects.filter(campaign=campaign).count() == 2


def test_the_confirm_button_disables_itself_after_the_first_click(admin_client):
    vip_client()
    html = open_preview(admin_client, CampaignFactory())
    assert "Confirmar y enviar" in html
    assert "disabled = true" in html


def test_after_sending_the_page_says_what_was_sent_and_the_campaign_is_enviada(admin_client):
    vip_client()
    campaign = CampaignFactory()
    started = admin_client.post(url("preview", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING

    run = CampaignRun.objects.get(mode="send")
    assert started.url == reverse("admin:ventas_campaign_run", args=[run.pk])
    progress = admin_client.get(reverse("admin:ventas_campaign_progress", args=[run.pk]))
    assert progress.json()["estado"] == "pending" and progress.json()["terminado"] is False

    tasks.run_campaign.apply(args=[CampaignRun.objects.get(mode="send").pk])

    html = admin_client.get(started.url).content.decode()
    assert "Campaña enviada: 1 de 1" in html
    assert "Simulación: no se ha escrito ni enviado nada" not in html
    assert "Confirmar y enviar" not in html
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    assert "Enviada" in admin_client.get(url("changelist")).content.decode()
    done = admin_client.get(reverse("admin:ventas_campaign_progress", args=[CampaignRun.objects.get(mode="send").pk]))
    assert done.json() == {
        "estado": "done",
        "estado_texto": "Terminado",
        "terminado": True,
        "procesados": 1,
        "total": 1,
        "resultados": {"queued": 1},
    }


def test_the_results_view_shows_messages_by_outcome_with_replies_and_opt_outs(admin_client):
    people = [vip_client() for _ in range(3)]
    client_without_phone()
    campaign = CampaignFactory()
    run, _started = campaign_runs.start_send(campaign, "marketing")
    campaign_runs.execute(run.pk)
    delivered, replied = Message.objects.filter(campaign=campaign, status=Status.QUEUED)[:2]
    Message.objects.filter(pk__in=[delivered.pk, replied.pk]).update(status=Status.DELIVERED)
    Message.objects.filter(pk=replied.pk).update(replied_at=NOW)
    api.opt_out(replied.cliente, channel="sms", scope="marketing", source="sms_keyword", message_id=replied.pk)

    response = admin_client.get(url("results", campaign.pk))

    results = response.context["results"]
    rows = {status: (n, reasons) for status, _label, n, reasons in results.rows}
    assert rows == {"queued": (1, []), "delivered": (2, []), "blocked": (1, [("Sin teléfono", 1)])}
    assert (results.total, results.replies, results.opt_outs) == (4, 1, 1)
    html = response.content.decode()
    assert "Entregado" in html and "En cola" in html and "Sin teléfono: 1" in html
    assert len(people) == 3


def test_the_preview_shows_the_text_the_cost_the_deferral_days_the_filters_and_empty_segments(admin_client):
    vip = vip_client()
    capped = vip_client()
    request_messages([req(capped), req(capped)], now=NOW - datetime.timedelta(hours=1))  # daily SMS cap
    campaign = CampaignFactory(
        segments=["vip_high_spend", "vip_low_spend"],
        target_min_spend=100_000,
        sms_template="Hola {{ nombre }}, 20% en tinas esta semana.",
    )

    html = open_preview(admin_client, campaign)

    assert "Hola Maximiliano, 20% en tinas esta semana." in html
    assert "BAJA" in html
    assert "Este texto usa 1 SMS por cliente" in html
    assert f"Costo total estimado: <strong>{clp(2 * 12)}</strong>" in html
    assert "Gasto mínimo: <strong>$100.000</strong>" in html
    assert "jueves 26 de noviembre 2026" in html
    assert "Segmentos elegidos sin clientes: VIP · gasto bajo" in html
    assert vip.pk


def test_detener_campana_cancels_its_pending_messages_and_records_who(admin_client):
    vip_client()
    capped = vip_client()
    request_messages([req(capped), req(capped)], now=NOW - datetime.timedelta(hours=1))
    campaign = CampaignFactory()
    run, _started = campaign_runs.start_send(campaign, "marketing")
    campaign_runs.execute(run.pk)
    assert Message.objects.filter(campaign=campaign, status__in=(Status.QUEUED, Status.SCHEDULED)).count() == 2

    response = admin_client.post(url("stop", campaign.pk), follow=True)

    assert "2 mensajes pendientes cancelados" in response.content.decode()
    rows = set(Message.objects.filter(campaign=campaign).values_list("status", "reason", "reason_detail"))
    assert rows == {(Status.CANCELLED, Reason.STAFF_CANCELLED, "campaña detenida por admin")}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.STOPPED
    assert admin_client.get(url("stop", campaign.pk)).status_code == 302  # GET changes nothing


def test_detener_stops_the_task_between_pages(monkeypatch):
    for _ in range(3):
        vip_client()
    campaign = CampaignFactory()
    run, _started = campaign_runs.start_send(campaign, "marketing")
    real = campaign_runs.campaigns.request_messages
    pages = []

    def first_page_then_stop(requests, **kwargs):
        outcomes = real(requests, **kwargs)
        pages.append(len(requests))
        if len(pages) == 1:
            campaign_runs.stop(campaign, "jefa")
        return outcomes

    monkeypatch.setattr(campaign_runs.campaigns, "request_messages", first_page_then_stop)

    finished = campaign_runs.execute(run.pk, page_size=1)

    assert pages == [1]
    assert finished.state == CampaignRun.State.STOPPED
    assert list(Message.objects.values_list("status", "reason_detail")) == [
        (Status.CANCELLED, "campaña detenida por jefa")
    ]
    # A restarted or redelivered task does nothing more.
    assert campaign_runs.execute(run.pk).state == CampaignRun.State.STOPPED
    assert Message.objects.count() == 1


def test_the_preview_task_saves_progress_after_each_page():
    clients = [new_client() for _ in range(3)]
    campaign = CampaignFactory()
    run = campaign_runs.start_preview(campaign, "marketing")
    seen = []
    real = campaign_runs.campaigns.request_messages

    def spy(requests, **kwargs):
        seen.append(CampaignRun.objects.get(pk=run.pk).processed)
        return real(requests, **kwargs)

    campaign_runs.campaigns.request_messages = spy
    try:
        finished = campaign_runs.execute(run.pk, page_size=1)
    finally:
        campaign_runs.campaigns.request_messages = real

    assert seen == [0, 1, 2]
    assert (finished.state, finished.processed, finished.total) == ("done", 3, len(clients))
    assert not Message.objects.exists()
    assert ConsentEvent.objects.count() == 0
