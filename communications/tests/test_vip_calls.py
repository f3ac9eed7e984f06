"""The VIP call list: inactive VIPs only, the last recent outcome shown, calls recorded as interactions."""

import datetime

import pytest
import time_machine
from django.urls import reverse

import communications.admin_calls  # noqa: F401  (communications/admin.py will import it; see the branch notes)
from communications import calls
from communications.tests.helpers import inactive_client, local, vip_client
from ventas.models import CampaignInteraction
from ventas.tests.factories import ClienteFactory, give_visits

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 25, 10)
CALL_LIST = "admin:ventas_inactivevipcall_changelist"


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def inactive_vip(days_ago=120, **kwargs):
    cliente = ClienteFactory(**kwargs)
    give_visits(cliente, 6, 40_000, days_ago=days_ago)
    return cliente


def test_only_vips_without_a_paid_visit_for_90_days_are_on_the_list():
    gone_quiet = inactive_vip(days_ago=90)
    inactive_vip(days_ago=89)
    vip_client()  # active VIP
    inactive_client()  # inactive, but not a VIP
    assert list(calls.inactive_vips(NOW)) == [gone_quiet]


def test_the_inactivity_threshold_is_the_reactivation_triggers_window():
    from communications.models import TriggerSetting

    TriggerSetting.objects.filter(name="reactivation_email").update(window_days=30)
    forty_days = inactive_vip(days_ago=40)
    inactive_vip(days_ago=20)
    assert list(calls.inactive_vips(NOW)) == [forty_days]


def test_registering_a_call_stores_a_call_interaction_with_outcome_notes_and_staff(admin_user):
    vip = inactive_vip()
    interaction = calls.register_call(vip, calls.Outcome.NO_ANSWER, "  Volver a llamar el lunes ", admin_user)
    interaction.refresh_from_db()
    assert interaction.interaction_type == CampaignInteraction.Type.CALL
    assert interaction.details == {"outcome": "no_answer", "notes": "Volver a llamar el lunes", "staff": "admin"}
    assert interaction.timestamp == NOW
    with pytest.raises(ValueError):
        calls.register_call(vip, "maybe", "", admin_user)


def test_a_client_called_in_the_last_30_days_shows_the_latest_outcome():
    recent, long_ago = inactive_vip(), inactive_vip()
    calls.register_call(recent, calls.Outcome.NO_ANSWER, "", "ana", now=NOW - datetime.timedelta(days=5))
    calls.register_call(recent, calls.Outcome.ANSWERED_INTERESTED, "", "ana", now=NOW - datetime.timedelta(days=1))
    calls.register_call(long_ago, calls.Outcome.WRONG_NUMBER, "", "ana", now=NOW - datetime.timedelta(days=31))
    rows = {c.pk: c for c in calls.inactive_vips(NOW)}
    assert rows[recent.pk].last_call_outcome == calls.Outcome.ANSWERED_INTERESTED
    assert rows[recent.pk].last_call_at == NOW - datetime.timedelta(days=1)
    assert (rows[long_ago.pk].last_call_outcome, rows[long_ago.pk].last_call_at) == (None, None)
    # Not called recently comes first: call those before calling anyone again.
    assert [c.pk for c in calls.inactive_vips(NOW)] == [long_ago.pk, recent.pk]


def test_the_admin_call_list_lists_an_inactive_vip_and_not_an_active_vip_or_an_inactive_regular(admin_client):
    listed = inactive_vip(nombre="Valentina Inactiva")
    vip_client(nombre="Vicente Activo")
    inactive_client(nombre="Rosa Regular")
    calls.register_call(listed, calls.Outcome.ANSWERED_NOT_INTERESTED, "", "ana", now=NOW - datetime.timedelta(days=2))

    response = admin_client.get(reverse(CALL_LIST))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [listed]
    html = response.content.decode()
    assert "Valentina Inactiva" in html and "Vicente Activo" not in html and "Rosa Regular" not in html
    assert "Contestó: no interesado" in html
    assert "Registrar llamada" in html


def test_registering_a_call_in_the_admin_creates_the_interaction(admin_client):
    vip = inactive_vip()
    url = reverse("admin:ventas_inactivevipcall_change", args=[vip.pk])
    assert "Registrar llamada" in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"outcome": "answered_interested", "notes": "Quiere tina el sábado"})

    assert response.status_code == 302 and response["Location"] == reverse(CALL_LIST)
    interaction = CampaignInteraction.objects.get(cliente=vip)
    assert interaction.details == {"outcome": "answered_interested", "notes": "Quiere tina el sábado", "staff": "admin"}
    assert "Contestó: interesado" in admin_client.get(reverse(CALL_LIST)).content.decode()


def test_the_call_form_requires_an_outcome_and_only_opens_inactive_vips(admin_client):
    vip = inactive_vip()
    response = admin_client.post(reverse("admin:ventas_inactivevipcall_change", args=[vip.pk]), {})
    assert response.status_code == 200 and response.context["form"].errors["outcome"]
    assert not CampaignInteraction.objects.exists()
    active = vip_client()
    response = admin_client.get(reverse("admin:ventas_inactivevipcall_change", args=[active.pk]))
    assert response.status_code == 302


def test_the_admin_passes_the_system_checks():
    from django.core.management import call_command

    call_command("check", "--fail-level", "WARNING")


def test_a_vip_with_an_upcoming_booking_is_not_on_the_call_list_as_the_reactivation_trigger_agrees():
    from communications.triggers import TRIGGERS
    from ventas.tests.factories import VentaReservaFactory

    booked_again = inactive_vip(nombre="Vuelve Pronto")
    # Booked for next week, not paid yet: the visit still counts as upcoming, not as a paid visit.
    VentaReservaFactory(
        cliente=booked_again, fecha_reserva=NOW + datetime.timedelta(days=7), pagado=0, estado_pago="pendiente"
    )
    quiet = inactive_vip(nombre="Sigue Inactiva")
    assert list(calls.inactive_vips(NOW)) == [quiet]
    trigger = TRIGGERS["reactivation_email"]
    due = {r.cliente_id for r in trigger.due(NOW, trigger.config())}
    assert quiet.pk in due and booked_again.pk not in due


def test_clients_who_opted_out_are_marked_and_listed_after_those_who_may_be_called(admin_client):
    from communications import api

    opted_out_all = inactive_vip(nombre="Baja Total")
    api.opt_out(opted_out_all, channel="all")
    opted_out_sms = inactive_vip(nombre="Baja Sms")
    api.opt_out(opted_out_sms, channel="sms")
    willing = inactive_vip(nombre="Puede Llamarse")
    rows = list(calls.inactive_vips(NOW))
    assert rows[0] == willing and set(rows[1:]) == {opted_out_all, opted_out_sms}
    marks = {c.pk: c.do_not_call for c in rows}
    assert marks == {
        willing.pk: None,
        opted_out_all.pk: calls.DoNotCall.OPTED_OUT_ALL,
        opted_out_sms.pk: calls.DoNotCall.OPTED_OUT_SMS,
    }
    html = admin_client.get(reverse(CALL_LIST)).content.decode()
    assert "No contactar (baja de promociones)" in html
    assert "No llamar (baja de SMS)" in html


def test_clients_without_a_usable_phone_come_last_and_are_flagged(admin_client):
    no_phone = inactive_vip(nombre="Juan Sin Fono", telefono=None)
    bad_phone = inactive_vip(nombre="Fono Malo", telefono="1908")
    callable_ = inactive_vip(nombre="Fono Bueno", telefono="+56972815490")
    rows = list(calls.inactive_vips(NOW))
    assert rows[0] == callable_ and set(rows[1:]) == {no_phone, bad_phone}
    assert [c.phone_usable for c in rows] == [True, False, False]
    response = admin_client.get(reverse(CALL_LIST))
    assert list(response.context["cl"].result_list)[0] == callable_
    html = response.content.decode()
    assert "Sin teléfono</strong>" in html and "Sin teléfono válido</strong>" in html


def test_the_clients_name_opens_the_call_form(admin_client):
    vip = inactive_vip(nombre="Valentina Inactiva")
    html = admin_client.get(reverse(CALL_LIST)).content.decode()
    url = reverse("admin:ventas_inactivevipcall_change", args=[vip.pk])
    assert f'<a href="{url}">Valentina Inactiva</a>' in html


def scored(cliente, probability, value, reasons=()):
    from communications.insights.models import ClientInsight, risk_band

    ClientInsight.objects.create(
        cliente=cliente,
        churn_probability=probability,
        risk_band=risk_band(probability),
        value_clp=value,
        reasons=list(reasons),
    )
    return cliente


def test_the_list_is_ordered_by_risk_times_value_after_the_existing_rules_and_shows_band_and_reasons(admin_client):
    from communications import api

    # Same visits and spend for all: only the stored risk × value separates them.
    medium_but_valuable = scored(inactive_vip(nombre="Media Valiosa"), 0.5, 300_000)  # 150.000 at risk
    high = scored(inactive_vip(nombre="Alta"), 0.9, 100_000, ["Sin visitas pagadas hace 200 días"])  # 90.000
    high_but_cheap = scored(inactive_vip(nombre="Alta Barata"), 0.95, 50_000)  # 47.500
    unscored = inactive_vip(nombre="Sin Puntaje")  # objector or not scored yet: after the scored ones
    # The existing rules still come first: who must not be called, and who cannot be, go last.
    opted_out = scored(inactive_vip(nombre="Baja Total"), 0.99, 900_000)
    api.opt_out(opted_out, channel="all")
    no_phone = scored(inactive_vip(nombre="Sin Fono", telefono=None), 0.99, 900_000)

    rows = list(calls.inactive_vips(NOW))
    assert rows == [medium_but_valuable, high, high_but_cheap, unscored, opted_out, no_phone]
    assert rows[0].risk_value == pytest.approx(150_000)
    assert rows[3].risk_value is None

    response = admin_client.get(reverse(CALL_LIST))
    assert list(response.context["cl"].result_list) == rows
    html = response.content.decode()
    assert "alto (90\u00a0%)" in html and "medio (50\u00a0%)" in html
    assert "Sin visitas pagadas hace 200 días" in html
    assert "valor $300.000 (365 días)" in html
    assert "Sin perfil" in html
    assert "No contactar (baja de promociones)" in html and "Sin teléfono</strong>" in html


def test_sorting_by_the_risk_column_treats_unscored_clients_as_the_lowest(admin_client):
    cheap = scored(inactive_vip(nombre="Poco Valor"), 0.9, 10_000)
    unscored = inactive_vip(nombre="Sin Puntaje")
    valuable = scored(inactive_vip(nombre="Mucho Valor"), 0.8, 500_000)
    column = admin_client.get(reverse(CALL_LIST)).context["cl"].list_display.index("riesgo")
    response = admin_client.get(reverse(CALL_LIST), {"o": str(column)})
    assert list(response.context["cl"].result_list) == [valuable, cheap, unscored]
    response = admin_client.get(reverse(CALL_LIST), {"o": f"-{column}"})
    assert list(response.context["cl"].result_list) == [unscored, cheap, valuable]
