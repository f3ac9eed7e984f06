"""Templates that cannot silently break: each finding replayed as its scenario.

H2 (lifecycle), S-H1, S-H2, L9 and S-M6 (staff screens): a typo or a broken brace used to
be saved and then block (or garble) every message of its kind at send time.
"""

import datetime
import io
import json

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.urls import reverse

from communications import api
from communications.admin_campaigns import CampaignForm
from communications.admin_templates import MessageTemplateForm
from communications.channels.sms.backends import locmem
from communications.defaults import DEFAULT_TEMPLATES
from communications.delivery import deliver
from communications.models import Message, MessageTemplate, Reason, Status
from communications.template_checks import template_problems, validate_template_text
from communications.tests.helpers import local, new_client

pytestmark = pytest.mark.django_db
WED = local(2026, 11, 25, 10)
VISIT = {"fecha": "viernes 15 de enero", "hora": "18:00", "servicio": "Tina"}


def shipped(kind, channel="sms"):
    return MessageTemplate.objects.get(kind=kind, channel=channel, variant="")


def change(admin_client, template, body):
    data = {"kind": template.kind, "channel": template.channel, "variant": "", "subject": "", "active": "on"}
    return admin_client.post(
        reverse("admin:communications_messagetemplate_change", args=[template.pk]), {**data, "body": body}
    )


def test_h2_a_variable_the_reminder_never_provides_is_refused_and_reminders_keep_going(admin_client):
    reminder = shipped("appointment_reminder")
    before = reminder.body
    page = change(
        admin_client,
        reminder,
        "Hola {{ nombre }}, te esperamos mañana a las {{ hora }} ({{ servicio }}). Direccion: {{ direccion }}",
    )

    assert page.status_code == 200  # the form again, not a redirect: nothing saved
    assert "La variable {{ direccion }} no existe en este tipo de mensaje." in page.content.decode()
    reminder.refresh_from_db()
    assert reminder.body == before
    outcome = api.send(new_client(nombre="Sergio"), "appointment_reminder", context=VISIT, now=WED)
    assert deliver(outcome.message.pk, now=WED).outcome == Status.SENT


def test_s_h1_a_misspelt_variable_is_refused_beside_the_field_with_the_right_name_suggested():
    bound = MessageTemplateForm(
        data={
            "kind": "booking_confirmation",
            "channel": "sms",
            "variant": "",
            "body": "Hola {{ nombre }}, confirmamos tu reserva para el {{ fecah }} a las {{ hora }}.",
            "active": True,
        },
        instance=shipped("booking_confirmation"),
    )
    assert not bound.is_valid()
    (error,) = bound.errors["body"]
    assert "{{ fecah }} no existe" in error and "¿Quisiste decir {{ fecha }}?" in error


def test_s_h1_the_template_page_lists_the_variables_its_kind_provides(admin_client):
    page = admin_client.get(
        reverse("admin:communications_messagetemplate_change", args=[shipped("booking_confirmation").pk])
    )
    content = page.content.decode()
    assert "variables disponibles" in content.lower()
    for name in ("nombre", "fecha", "hora", "servicio"):
        assert f"<code>{{{{ {name} }}}}</code>" in content


def test_s_h2_broken_braces_are_refused_in_templates_and_campaign_texts():
    broken = "Hola {{ nombre, te esperamos."
    assert template_problems("reactivation_sms", broken, "sms")[0].startswith("Hay llaves sin cerrar")
    campaign = CampaignForm(
        data={"name": "Promo", "status": "draft", "channel": "sms", "kind": "campaign", "sms_template": broken}
    )
    assert not campaign.is_valid() and "sms_template" in campaign.errors


def test_s_h2_broken_braces_that_reach_send_time_block_the_message_instead_of_reaching_the_client():
    locmem.outbox.clear()
    outcome = api.send(new_client(), "campaign", channel="sms", custom_text="Hola {{ nombre, te esperamos.", now=WED)
    assert deliver(outcome.message.pk, now=WED).outcome == Status.BLOCKED
    row = Message.objects.get(pk=outcome.message.pk)
    assert row.reason == Reason.TEMPLATE_ERROR and row.reason_detail.startswith("Llaves sin cerrar")
    assert locmem.outbox == []


def test_l9_django_errors_are_said_in_spanish(admin_client):
    problems = template_problems("birthday", "{% if nombre %}¡Feliz cumpleaños!", "sms")
    assert problems == ["Falta cerrar la etiqueta {% if %} de la línea 1: agrega {% endif %}."]
    counter = admin_client.post(
        reverse("admin:communications_messagetemplate_sms_preview"),
        data=json.dumps({"body": "{% if nombre %}Hola", "kind": "birthday"}),
        content_type="application/json",
    ).json()
    assert "Falta cerrar" in counter["error"] and "Unclosed" not in counter["error"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hola {nombre}", "«{nombre}» lleva una sola llave: escribe {{ nombre }}."),
        ("{% include 'x.html' %}", "La etiqueta {% include %} no se puede usar en un mensaje."),
        ("{{ nombre|mayusculas }}", "El filtro «mayusculas» no existe."),
        ("Hola {{ }}", "Hay una variable vacía {{ }} en la línea 1."),
    ],
)
def test_common_mistakes_get_a_spanish_explanation(text, expected):
    assert template_problems("reactivation_sms", text) == [expected]


def test_conditions_loops_and_filters_over_provided_variables_are_accepted():
    text = "{% if servicio %}{{ servicio|upper }}{% endif %} {% with n=nombre %}{{ n }}{% endwith %} {{ fecha }}"
    assert template_problems("appointment_reminder", text, "sms") == []
    assert template_problems("reactivation_sms", "{% if descuento %}x{% endif %}")  # read in a condition too


def test_the_validator_for_other_forms_raises_a_validation_error_and_holds_sms_to_the_segment_limit(settings):
    settings.SMS_MAX_SEGMENTS = 1
    validate_template_text("campaign", "Hola {{ nombre }}", "sms")
    with pytest.raises(Exception) as error:
        validate_template_text("campaign", "Hola {{ nombre }}. " + "Tinas junto al bosque. " * 10, "sms")
    assert "segmentos" in error.value.messages[0]


def test_every_shipped_template_works_for_its_kind():
    for (kind, channel, _variant), (subject, body) in DEFAULT_TEMPLATES.items():
        assert template_problems(kind, str(body), channel) == [], (kind, channel)
        assert template_problems(kind, str(subject)) == [], (kind, channel)


def stored_typo():
    MessageTemplate.objects.filter(pk=shipped("booking_confirmation").pk).update(
        body="Hola {{ nombre }}, tu reserva es el {{ fecah }}."
    )


def test_check_templates_passes_on_the_shipped_templates_and_fails_on_a_stored_typo():
    out = io.StringIO()
    call_command("check_templates", stdout=out)
    assert "Todas las plantillas están bien." in out.getvalue()
    stored_typo()
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 plantilla"):
        call_command("check_templates", stdout=out)
    assert "Confirmación de reserva" in out.getvalue() and "{{ fecah }}" in out.getvalue()


def test_the_database_system_check_warns_about_a_stored_typo():
    assert [m for m in run_checks(databases=["default"]) if m.id == "communications.W001"] == []
    stored_typo()
    (warning,) = [m for m in run_checks(databases=["default"]) if m.id == "communications.W001"]
    assert "{{ fecah }}" in warning.msg


def test_a_template_that_fails_at_send_time_shows_one_banner_to_staff_for_a_day(admin_client, settings):
    """One problem, one banner: the template_error alert (it names the kind and resolves), no older notice."""
    from django.utils import timezone

    from communications.stats import alerts

    stored_typo()
    outcome = api.send(new_client(), "booking_confirmation", context=VISIT)
    assert deliver(outcome.message.pk).outcome == Status.BLOCKED
    alerts.check(timezone.now())

    for url in (reverse("admin:index"), reverse("admin:ventas_cliente_changelist")):
        page = admin_client.get(url).content.decode()
        assert page.count("Mensajes detenidos por un error en su plantilla") == 1, url
        assert page.count("error de plantilla") == 1  # the alert's title, once
        assert "Confirmación de reserva (SMS): 1" in page
        assert "?reason__exact=template_error" in page
        assert "staff-notices" not in page
    Message.objects.filter(pk=outcome.message.pk).update(
        closed_at=Message.objects.get().closed_at - datetime.timedelta(hours=25),
        scheduled_for=Message.objects.get().scheduled_for - datetime.timedelta(hours=25),
    )
    alerts.check(timezone.now())
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Mensajes detenidos" not in page and "error de plantilla" not in page


# --- S-M6: the counter in plain Spanish ------------------------------------------------


def counter(admin_client, body, kind):
    return admin_client.post(
        reverse("admin:communications_messagetemplate_sms_preview"),
        data=json.dumps({"body": body, "kind": kind}),
        content_type="application/json",
    ).json()


def test_s_m6_the_counter_says_how_many_sms_and_that_accents_double_them(admin_client):
    answer = counter(
        admin_client, "Tu sesión de {{ servicio }} es el {{ fecha }} a las {{ hora }}.", "appointment_reminder"
    )
    assert answer["summary"].startswith("Este texto usa 2 SMS (24 CLP por envío).")
    assert "Los acentos á í ó ú y los emojis duplican el costo" in answer["warning"]
    assert "GSM" not in answer["summary"] + answer["warning"] and "UCS" not in answer["summary"] + answer["warning"]


def test_s_m6_the_counter_says_when_accents_will_be_removed_and_what_they_would_cost(admin_client, settings):
    settings.SMS_TRANSLITERATE_MARKETING = True
    text = "Hola {{ nombre }}, acción y pasión en Aremko: canción, corazón y tinas calientes junto al lago. " * 2
    answer = counter(admin_client, text, "reactivation_sms")
    assert "accion y pasion" in answer["text"]
    assert answer["warning"].startswith("Al enviar se quitarán los acentos")
    assert f"en vez de {answer['segments']}" in answer["warning"]


def test_s_m6_an_emoji_warning_lists_only_what_staff_typed(admin_client):
    answer = counter(admin_client, "Hola {{ nombre }} 🌿♨️ tinas", "reactivation_sms")
    assert answer["ucs2_characters"] == ["🌿", "♨"]
