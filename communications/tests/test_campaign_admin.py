"""Campaigns in the admin: a Spanish dry-run preview, a CSRF-protected confirm, pending messages per segment."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

import communications.admin_campaigns  # noqa: F401  (communications/admin.py will import it; see the branch notes)
from communications import campaign_runs
from communications.gate import request_messages
from communications.models import CampaignRun, Message, Status
from communications.tests.helpers import client_without_phone, local, new_client, req, vip_client
from ventas.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 10)


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def preview_url(campaign):
    return reverse("admin:ventas_campaign_preview", args=[campaign.pk])


def open_preview(browser, campaign):
    """GET starts the dry-run task; run it here (as the worker would) and read the page it redirects to."""
    started = browser.get(preview_url(campaign))
    assert started.status_code == 302
    run = CampaignRun.objects.filter(campaign=campaign).latest("pk")
    campaign_runs.execute(run.pk)
    return browser.get(started.url)


def confirm(browser, campaign):
    """POST starts the send task; run it and read the run page."""
    started = browser.post(preview_url(campaign))
    run = CampaignRun.objects.filter(campaign=campaign, mode="send").latest("pk")
    campaign_runs.execute(run.pk)
    return browser.get(started.url)


def test_the_preview_page_shows_spanish_counts_and_writes_nothing(admin_client):
    vip_client()
    vip_client()
    client_without_phone()
    campaign = CampaignFactory(name="Acceso anticipado")

    response = open_preview(admin_client, campaign)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Se envían ahora" in html and "Bloqueados" in html
    assert "Sin teléfono: 1" in html
    assert "VIP · gasto alto" in html and "Sin gasto" in html
    assert "Confirmar y enviar" in html
    rows = {row["status"]: row["count"] for row in response.context["status_rows"]}
    assert rows == {"queued": 2, "blocked": 1}
    assert Message.objects.count() == 0


def test_the_campaign_list_and_form_link_to_the_preview_and_the_pending_page(admin_client):
    campaign = CampaignFactory()
    changelist = admin_client.get(reverse("admin:ventas_campaign_changelist")).content.decode()
    assert preview_url(campaign) in changelist
    assert reverse("admin:ventas_campaign_pending_by_segment") in changelist
    assert reverse("admin:ventas_inactivevipcall_changelist") in changelist
    change = admin_client.get(reverse("admin:ventas_campaign_change", args=[campaign.pk])).content.decode()
    assert preview_url(campaign) in change


def test_confirming_sends_the_campaign_and_reports_the_counts(admin_client):
    vip_client()
    client_without_phone()
    campaign = CampaignFactory()

    response = confirm(admin_client, campaign)

    assert Message.objects.filter(campaign=campaign, status=Status.QUEUED).count() == 1
    assert Message.objects.filter(campaign=campaign, status=Status.BLOCKED).count() == 1
    html = response.content.decode()
    assert "Campaña enviada: 1 de 2 destinatarios recibirán el mensaje" in html
    assert "Sin teléfono: 1" in html
    campaign.refresh_from_db()
    assert campaign.sent_at == NOW
    # Confirming again is harmless: nothing new is written.
    admin_client.post(preview_url(campaign))
    assert Message.objects.filter(campaign=campaign).count() == 2


def test_confirming_without_the_csrf_token_is_refused(admin_user):
    vip_client()
    campaign = CampaignFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert browser.post(preview_url(campaign)).status_code == 403
    assert Message.objects.count() == 0


def test_an_unsendable_campaign_shows_why_instead_of_a_confirm_button(admin_client):
    campaign = CampaignFactory(sms_template="")
    html = admin_client.get(preview_url(campaign)).content.decode()
    assert CampaignRun.objects.count() == 0
    assert "La campaña por SMS necesita una plantilla SMS." in html
    assert "Confirmar y enviar" not in html


def test_the_form_refuses_an_email_vip_early_access_campaign_and_a_broken_template(admin_client):
    response = admin_client.post(
        reverse("admin:ventas_campaign_add"),
        {
            "name": "VIP",
            "status": "draft",
            "segments": ["vip_high_spend"],
            "target_min_visits": "0",
            "target_min_spend": "0",
            "channel": "email",
            "kind": "vip_early_access",
            "when_capped": "defer",
            "sms_template": "Hola {{ apellido }}",
            "email_subject": "",
            "email_body": "",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "solo se envía por SMS" in str(errors["channel"])
    assert "La variable {{ apellido }} no existe en este tipo de mensaje." in str(errors["sms_template"])


def test_the_form_saves_segments_as_a_list(admin_client):
    response = admin_client.post(
        reverse("admin:ventas_campaign_add"),
        {
            "name": "VIP",
            "status": "draft",
            "segments": ["vip_high_spend", "vip_medium_spend"],
            "target_min_visits": "0",
            "target_min_spend": "0",
            "channel": "sms",
            "kind": "vip_early_access",
            "when_capped": "drop",
            "sms_template": "Hola {{ nombre }}, acceso anticipado",
        },
    )
    assert response.status_code == 302
    from ventas.models import Campaign

    assert Campaign.objects.get(name="VIP").segments == ["vip_high_spend", "vip_medium_spend"]


def test_pending_by_segment_counts_scheduled_and_queued_messages_per_kind(admin_client, django_assert_max_num_queries):
    vip, other_vip, newcomer = vip_client(), vip_client(), new_client()
    request_messages([req(vip), req(other_vip), req(newcomer, kind="campaign")], now=NOW)  # queued
    request_messages([req(vip, at=local(2026, 11, 25, 22))], now=NOW)  # scheduled (quiet hours)
    request_messages([req(client_without_phone())], now=NOW)  # blocked: not pending

    with django_assert_max_num_queries(6):  # session, user, and one aggregate
        response = admin_client.get(reverse("admin:ventas_campaign_pending_by_segment"))

    assert response.status_code == 200
    rows = {r["label"]: r for r in response.context["rows"]}
    assert rows["VIP · gasto alto"]["kinds"] == [("Mensaje manual", 1, 2)]
    assert rows["Sin gasto"]["kinds"] == [("Campaña", 0, 1)]
    assert response.context["totals"] == {"scheduled": 1, "queued": 3, "total": 4}
    assert "Comunicaciones pendientes por segmento" in response.content.decode()


def test_pending_by_segment_is_for_staff_only(client, django_user_model):
    user = django_user_model.objects.create_user("cliente", password="x")
    client.force_login(user)
    response = client.get(reverse("admin:ventas_campaign_pending_by_segment"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def campaign_form_errors(admin_client, **fields):
    data = {
        "name": "Copia",
        "status": "draft",
        "target_min_visits": "0",
        "target_min_spend": "0",
        "channel": "sms",
        "kind": "campaign",
        "when_capped": "defer",
        "sms_template": "",
        "email_subject": "",
        "email_body": "",
        **fields,
    }
    response = admin_client.post(reverse("admin:ventas_campaign_add"), data)
    if response.status_code == 302:
        return {}
    return {name: [str(e) for e in errs] for name, errs in response.context["adminform"].form.errors.items()}


@pytest.mark.parametrize(
    "field, channel, text",
    [
        ("sms_template", "sms", "Hola {{ nombr }}, 2x1 en tinas"),  # typo
        ("sms_template", "sms", "Hola {{ nombre, 2x1 en tinas"),  # broken brace
        ("sms_template", "sms", "Hola {{ direccion }}"),  # a variable no campaign provides
        ("sms_template", "sms", "Hola {% if nombre %}{{ nombre }}"),  # unclosed tag
        ("email_subject", "email", "Novedades para {{ nombre"),
        ("email_body", "email", "Hola {{ nombre }}, {% include 'x.html' %}"),
    ],
)
def test_the_campaign_form_refuses_copy_with_the_template_admins_spanish_error(admin_client, field, channel, text):
    from communications.template_checks import template_problems

    fields = {"channel": channel, field: text}
    if channel == "email":
        fields = {"email_subject": "Novedades", "email_body": "Hola {{ nombre }}", **fields}
    errors = campaign_form_errors(admin_client, **fields)
    expected = template_problems("campaign", text)
    assert expected, "the template admin refuses this text too"
    assert errors.get(field) == expected
    assert "solo admite" not in str(errors)


def test_the_campaign_form_accepts_what_a_campaign_message_carries(admin_client):
    text = (
        "Hola {{ nombre }}{% if recomendacion %}, te recomendamos {{ recomendacion }}{% endif %}. "
        "Reserva en {{ enlace_reservas }}"
    )
    assert campaign_form_errors(admin_client, sms_template=text) == {}


def test_vip_early_access_campaigns_cannot_use_novedad_which_only_a_hand_sent_message_carries(admin_client):
    errors = campaign_form_errors(
        admin_client, kind="vip_early_access", sms_template="Hola {{ nombre }}: {{ novedad }}"
    )
    assert "La variable {{ novedad }} no existe" in errors["sms_template"][0]


def test_the_preview_refuses_a_saved_campaign_with_an_unknown_variable_in_the_email(admin_client):
    campaign = CampaignFactory(
        channel="email", email_subject="Hola {{ nombre }}", email_body="Visítanos en {{ direccion }}", sms_template=""
    )
    html = admin_client.get(preview_url(campaign)).content.decode()
    assert "La variable {{ direccion }} no existe en este tipo de mensaje." in html
    assert "Confirmar y enviar" not in html
    assert CampaignRun.objects.count() == 0


def test_the_campaign_form_labels_segments_with_a_capital_like_every_other_field(admin_client):
    """Staff screens L1: the label read "segmentos:" in lowercase."""
    html = admin_client.get(reverse("admin:ventas_campaign_add")).content.decode()
    assert "Segmentos:" in html and "segmentos:" not in html
