"""Trigger settings staff can tune without breaking a sweep (lifecycle M9, staff screens M4/M5)."""

import pytest
from django.urls import reverse

from communications.models import TriggerSetting
from communications.tests.helpers import local
from communications.triggers import TRIGGERS, run
from ventas.tests.factories import ClienteFactory, give_visits

pytestmark = pytest.mark.django_db


def change_url(name):
    return reverse("admin:communications_triggersetting_change", args=[TriggerSetting.objects.get(name=name).pk])


def birthday_form(**overrides):
    data = {"enabled": "on", "send_hour": "10", "segments": ["vip_high_spend"], "template_variant": ""}
    data.update(overrides)
    return data


def test_an_hour_of_24_is_refused_with_a_spanish_error_and_not_stored(admin_client):
    response = admin_client.post(change_url("birthday"), birthday_form(send_hour="24"))
    assert response.status_code == 200
    assert "send_hour" in response.context["adminform"].form.errors
    assert TriggerSetting.objects.get(name="birthday").send_hour == 10


def test_segments_are_ticked_from_the_spanish_list_and_stored_as_a_list_of_names(admin_client):
    page = admin_client.get(change_url("birthday")).content.decode()
    assert 'type="checkbox" name="segments" value="vip_high_spend"' in page
    assert "VIP · gasto alto" in page
    response = admin_client.post(change_url("birthday"), birthday_form(segments=["vip_high_spend", "new_low_spend"]))
    assert response.status_code == 302
    assert TriggerSetting.objects.get(name="birthday").segments == ["new_low_spend", "vip_high_spend"]


def test_a_bare_string_or_a_misspelt_segment_is_refused(admin_client):
    for bad in ("vip_high_spend_x", "vip_hig_spend"):
        response = admin_client.post(change_url("birthday"), birthday_form(segments=[bad]))
        assert response.status_code == 200 and "segments" in response.context["adminform"].form.errors
    assert TriggerSetting.objects.get(name="birthday").segments != ["vip_hig_spend"]


def test_a_row_broken_outside_the_admin_does_not_crash_or_empty_the_birthday_sweep():
    cliente = ClienteFactory(fecha_nacimiento="1990-03-09")
    give_visits(cliente, 2, 30_000, days_ago=40)
    TriggerSetting.objects.filter(name="birthday").update(send_hour=24, segments="vip_high_spend")
    config = TRIGGERS["birthday"].config()
    assert config.send_hour == 10
    assert config.segments == TRIGGERS["birthday"].defaults.segments
    report = run(TRIGGERS["birthday"], local(2027, 3, 9, 8), dry_run=True)
    assert report.total() == 1


def test_the_trigger_list_shows_spanish_names_and_segment_labels_only(admin_client):
    TriggerSetting.objects.filter(name="vip_newsletter").update(segments=["vip_high_spend", "regular_high_spend"])
    page = admin_client.get(reverse("admin:communications_triggersetting_changelist")).content.decode()
    assert "Recordatorio de cita" in page and "Newsletter VIP mensual" in page
    assert "appointment_reminder" not in page.split("<tbody>")[1]
    assert "VIP · gasto alto, Regular · gasto alto" in page
    assert '["vip_high_spend"' not in page and "vip_high_spend</td>" not in page


def test_the_booking_confirmation_shows_no_send_hour_or_segments(admin_client):
    page = admin_client.get(change_url("booking_confirmation")).content.decode()
    assert 'name="window_days"' in page and 'name="channel"' in page
    assert 'name="send_hour"' not in page and 'name="segments"' not in page and 'name="delay_hours"' not in page
    listing = admin_client.get(reverse("admin:communications_triggersetting_changelist")).content.decode()
    row = listing.split("Confirmación de reserva")[1].split("</tr>")[0]
    assert "Hora de envío" not in row and "Ventana" in row


def test_saving_a_trigger_keeps_the_settings_it_does_not_show(admin_client):
    TriggerSetting.objects.filter(name="booking_confirmation").update(send_hour=7)
    response = admin_client.post(
        change_url("booking_confirmation"), {"enabled": "on", "window_days": "3", "channel": ""}
    )
    assert response.status_code == 302
    row = TriggerSetting.objects.get(name="booking_confirmation")
    assert (row.window_days, row.send_hour) == (3, 7)


def test_every_trigger_declares_only_settings_a_row_has():
    from communications.triggers.base import TUNABLE

    for trigger in TRIGGERS.values():
        assert trigger.tunes and set(trigger.tunes) <= set(TUNABLE), trigger.name
    assert "send_hour" not in TRIGGERS["booking_confirmation"].tunes
    assert "send_hour" not in TRIGGERS["appointment_reminder"].tunes


def test_the_trigger_list_reads_in_the_order_of_its_spanish_names(admin_client):
    import re

    page = admin_client.get(reverse("admin:communications_triggersetting_changelist")).content.decode()
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    names = [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r'<th class="field-descripcion">(.*?)</th>', body)
    ]
    expected = sorted((str(t.label) for t in TRIGGERS.values()), key=str.lower)
    assert names == expected


def test_a_trigger_for_nearly_every_segment_says_todos_menos_instead_of_nine_labels(admin_client):
    page = admin_client.get(reverse("admin:communications_triggersetting_changelist")).content.decode()
    birthday = page.split("Cumpleaños")[1].split("</tr>")[0]
    assert "todos menos Sin gasto" in birthday
    assert "Nuevo · gasto bajo" not in birthday
