"""Staff see segments and cost live while editing an SMS template; over-long templates are refused."""

import json

import pytest
from django.urls import reverse

from communications.admin_templates import MessageTemplateForm
from communications.channels.sms.preview import preview_sms
from communications.models import MessageTemplate

pytestmark = pytest.mark.django_db
PREVIEW = "admin:communications_messagetemplate_sms_preview"


def form(body, kind="reactivation_sms", channel="sms"):
    """Staff editing the shipped row of that kind (every kind has one, from a data migration)."""
    existing = MessageTemplate.objects.filter(kind=kind, channel=channel, variant="").first()
    data = {"kind": kind, "channel": channel, "variant": "", "body": body, "active": True}
    return MessageTemplateForm(data=data, instance=existing)


def test_a_marketing_preview_includes_the_opt_out_line_in_the_count(settings):
    settings.SMS_TRANSLITERATE_MARKETING = True
    preview = preview_sms("Hola {{ nombre }}, 20% en tu próxima tina.", "reactivation_sms")
    assert preview.text == "Hola Francisca, 20% en tu proxima tina.\nPara no recibir mensajes, responde BAJA"
    assert (preview.encoding, preview.segments, preview.cost_clp) == ("GSM-7", 1, 12)


def test_a_transactional_preview_keeps_accents_and_shows_the_ucs2_cost():
    preview = preview_sms(
        "Tu cita es el {{ fecha }} a las {{ hora }}. Te esperamos en Aremko: tinas y masajes.", "appointment_reminder"
    )
    assert "BAJA" not in preview.text
    assert preview.encoding == "GSM-7"
    preview = preview_sms(
        "Sesión confirmada para {{ fecha }} a las {{ hora }} en {{ servicio }}, Aremko Spa.", "booking_confirmation"
    )
    assert preview.encoding == "UCS-2" and preview.ucs2_characters == ["ó"] and preview.segments == 2


def test_the_live_counter_refuses_a_variable_the_kind_does_not_provide(admin_client):
    answer = admin_client.post(
        reverse(PREVIEW),
        data=json.dumps({"body": "Código {{ codigo_nuevo }}", "kind": "manual"}),
        content_type="application/json",
    ).json()
    assert answer["error"].startswith("La variable {{ codigo_nuevo }} no existe")


def test_a_template_over_the_segment_limit_is_refused_in_spanish(settings):
    settings.SMS_MAX_SEGMENTS = 3
    bound = form("Hola {{ nombre }}. " + "Disfruta nuestras tinas calientes junto al bosque. " * 12)
    assert not bound.is_valid()
    message = bound.errors["body"][0]
    assert "segmentos" in message and "máximo permitido es 3" in message


def test_a_template_within_the_limit_is_accepted():
    assert form("Hola {{ nombre }}, te extrañamos en Aremko Spa.").is_valid()


def test_email_templates_are_not_counted():
    assert form("Hola. " * 400, kind="vip_newsletter", channel="email").is_valid()


def test_a_syntax_error_is_a_validation_error_in_spanish():
    bound = form("Hola {% if %}")
    assert not bound.is_valid() and bound.errors["body"] == ["La condición de un {% if %} está mal escrita."]


def test_the_live_counter_endpoint_answers_staff_with_segments_and_cost(admin_client):
    answer = admin_client.post(
        reverse(PREVIEW),
        data=json.dumps({"body": "¿Cómo estás, {{ nombre }}?", "kind": "appointment_reminder"}),
        content_type="application/json",
    )
    data = answer.json()
    assert answer.status_code == 200
    assert (data["encoding"], data["segments"], data["cost_clp"]) == ("UCS-2", 1, 12)
    assert data["summary"].startswith("Este texto usa 1 SMS (12 CLP por envío).")
    assert "ó" in data["warning"] and "acentos" in data["warning"] and "UCS" not in data["warning"]


def test_the_live_counter_reports_over_limit_and_template_errors(admin_client, settings):
    settings.SMS_MAX_SEGMENTS = 1
    url = reverse(PREVIEW)
    long_one = admin_client.post(
        url, data=json.dumps({"body": "a" * 400, "kind": "manual"}), content_type="application/json"
    )
    assert long_one.json()["over_limit"] is True and "segmentos" in long_one.json()["error"]
    broken = admin_client.post(url, data=json.dumps({"body": "{% if %}"}), content_type="application/json")
    assert "error" in broken.json()


def test_the_live_counter_is_for_staff_only(client):
    answer = client.post(reverse(PREVIEW), data="{}", content_type="application/json")
    assert answer.status_code == 302  # to the admin login


def test_the_change_form_shows_the_counter(admin_client):
    template = MessageTemplate.objects.get(kind="birthday", channel="sms", variant="")
    page = admin_client.get(reverse("admin:communications_messagetemplate_change", args=[template.pk]))
    assert page.status_code == 200
    assert b'id="sms-counter"' in page.content and b"sms_counter.js" in page.content
