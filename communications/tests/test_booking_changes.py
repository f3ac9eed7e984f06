"""M2, M10, L2: reminders follow their booking, deleted bookings stop their messages, a change is told
once, one survey per booking after its last service, and a cancelled first booking stops the welcome."""

import datetime

import pytest
import time_machine

from communications import gate
from communications.models import Message, Reason, Status
from communications.rendering import render_message
from communications.simulation import deliver_due
from communications.tests.lifecycle_helpers import L, booking, client, msgs, run, svc
from communications.triggers.bookings import booking_cancelled, booking_saved

pytestmark = pytest.mark.django_db


def confirmed(c, created, items):
    """A booking confirmed when it was made, as the signals do (the confirmation went out)."""
    v = booking(c, created, items)
    booking_saved(v.pk, now=L(created))
    deliver_due(L(created))
    return v


def reminders(c):
    return [(status, reason, when) for _k, status, reason, when, _key in msgs(c, kind="appointment_reminder")]


def text(message, at):
    message.refresh_from_db()
    with time_machine.travel(L(at), tick=False):
        return render_message(message, message.cliente)[1]


def test_a_visit_moved_the_same_day_cancels_its_reminder_and_the_change_notice_says_the_new_time():
    diego = client("Diego")
    vB = confirmed(diego, "2027-01-02 12:00", [("2027-01-15 18:00",)])
    run("appointment_reminder", "2027-01-14 16:30")
    rs = vB.reservaservicios.get()
    rs.hora_inicio = datetime.time(10, 0)
    rs.save()
    booking_saved(vB.pk, now=L("2027-01-14 16:40"))
    # Its reminder moment (Thu 10:00) has passed and the notice just told them: no second SMS.
    assert run("appointment_reminder", "2027-01-14 16:45") == {}
    gate.promote_due(L("2027-01-14 18:00"))
    assert reminders(diego) == [(Status.CANCELLED, Reason.BOOKING_CHANGED, "2027-01-14 18:00 Thu")]
    notice = Message.objects.get(cliente=diego, kind="booking_changed")
    assert "nueva fecha: el viernes 15 de enero a las 10:00" in text(notice, "2027-01-14 16:41")


def test_a_reminder_follows_its_visit_moved_the_same_day_and_says_the_new_time():
    diego = client("Diego")
    vB = booking(diego, "2027-01-02 12:00", [("2027-01-15 18:00",)])
    booking_saved(vB.pk, now=L("2027-01-02 12:00"))  # confirmation decided (not yet out)
    run("appointment_reminder", "2027-01-14 16:30")
    vB.reservaservicios.update(hora_inicio=datetime.time(10, 0))
    booking_saved(vB.pk, now=L("2027-01-14 16:40"))
    run("appointment_reminder", "2027-01-14 16:45")
    gate.promote_due(L("2027-01-14 18:00"))
    assert reminders(diego) == [
        (Status.CANCELLED, Reason.BOOKING_CHANGED, "2027-01-14 18:00 Thu"),
        (Status.QUEUED, "", "2027-01-14 16:45 Thu"),
    ]
    new = Message.objects.get(cliente=diego, kind="appointment_reminder", status=Status.QUEUED)
    assert new.idempotency_key == f"appointment_reminder:{vB.pk}:2027-01-15T10:00"
    assert "te esperamos mañana viernes 15 de enero a las 10:00" in text(new, "2027-01-14 16:50")


def test_a_reminder_follows_its_visit_moved_to_another_day():
    cata = client("Cata")
    v = confirmed(cata, "2027-01-02 12:00", [("2027-01-15 18:00",)])
    run("appointment_reminder", "2027-01-14 16:30")
    v.reservaservicios.update(fecha_agendamiento=datetime.date(2027, 1, 16))
    booking_saved(v.pk, now=L("2027-01-14 17:00"))
    assert run("appointment_reminder", "2027-01-15 16:30") == {("appointment_reminder", "scheduled", ""): 1}
    assert reminders(cata) == [
        (Status.CANCELLED, Reason.BOOKING_CHANGED, "2027-01-14 18:00 Thu"),
        (Status.SCHEDULED, "", "2027-01-15 18:00 Fri"),
    ]
    new = Message.objects.get(cliente=cata, kind="appointment_reminder", status=Status.SCHEDULED)
    assert "te esperamos mañana sábado 16 de enero a las 18:00" in text(new, "2027-01-15 18:00")


def test_the_reminder_sweep_cancels_a_moved_reminder_even_without_a_signal():
    cata = client("Cata")
    v = confirmed(cata, "2027-01-02 12:00", [("2027-01-15 18:00",)])
    run("appointment_reminder", "2027-01-14 16:30")
    v.reservaservicios.update(fecha_agendamiento=datetime.date(2027, 1, 16))  # a bulk edit: no signal
    run("appointment_reminder", "2027-01-14 16:45")
    assert reminders(cata)[0][:2] == (Status.CANCELLED, Reason.BOOKING_CHANGED)


def test_deleting_one_service_of_a_two_day_booking_cancels_that_days_reminder(django_capture_on_commit_callbacks):
    dani = client("Dani")
    v = confirmed(dani, "2027-01-02 12:00", [("2027-01-15 18:00",), ("2027-01-16 18:00",)])
    run("appointment_reminder", "2027-01-14 16:30")
    with time_machine.travel(L("2027-01-14 17:00"), tick=False), django_capture_on_commit_callbacks(execute=True):
        v.reservaservicios.get(fecha_agendamiento=datetime.date(2027, 1, 15)).delete()
    assert reminders(dani) == [(Status.CANCELLED, Reason.BOOKING_CHANGED, "2027-01-14 18:00 Thu")]
    assert run("appointment_reminder", "2027-01-15 16:30") == {("appointment_reminder", "scheduled", ""): 1}


def test_deleting_a_booking_cancels_its_pending_reminder(django_capture_on_commit_callbacks):
    eva = client("Eva")
    vE = confirmed(eva, "2027-01-02 12:00", [("2027-01-15 18:00",)])
    run("appointment_reminder", "2027-01-14 16:30")
    with time_machine.travel(L("2027-01-14 17:00"), tick=False), django_capture_on_commit_callbacks(execute=True):
        vE.delete()
    assert gate.promote_due(L("2027-01-14 18:00")) == {}
    [reminder] = Message.objects.filter(cliente=eva, kind="appointment_reminder")
    assert (reminder.status, reminder.reason, reminder.reserva_id) == (Status.CANCELLED, Reason.BOOKING_CANCELLED, None)
    assert reminder.reason_detail == "reserva eliminada"


def test_a_confirmed_booking_moved_into_the_next_24_hours_gets_one_change_notice_and_no_mañana_reminder():
    alba = client("Alba")
    v = booking(alba, "2027-01-02 12:00", [("2027-01-20 18:00",)])
    booking_saved(v.pk, now=L("2027-01-02 12:00"))
    deliver_due(L("2027-01-02 12:01"))
    rs = v.reservaservicios.get()
    rs.fecha_agendamiento, rs.hora_inicio = datetime.date(2027, 1, 15), datetime.time(20)
    rs.save()
    for _ in range(2):  # the admin saves the booking and its service: one notice
        booking_saved(v.pk, now=L("2027-01-15 12:00"))
    assert run("appointment_reminder", "2027-01-15 12:15") == {}
    [notice] = Message.objects.filter(cliente=alba, kind="booking_changed")
    assert (notice.status, notice.category, notice.idempotency_key) == (
        Status.QUEUED,
        "transactional",
        f"booking_changed:{v.pk}:1",
    )
    assert "nueva fecha: el viernes 15 de enero a las 20:00" in text(notice, "2027-01-15 12:01")
    # A second change is told too, once.
    rs.hora_inicio = datetime.time(21)
    rs.save()
    deliver_due(L("2027-01-15 12:20"))
    booking_saved(v.pk, now=L("2027-01-15 12:30"))
    booking_saved(v.pk, now=L("2027-01-15 12:31"))
    assert Message.objects.filter(cliente=alba, kind="booking_changed").count() == 2


def test_a_change_before_the_confirmation_went_is_said_by_the_confirmation_itself():
    alba = client("Alba")
    v = booking(alba, "2027-01-02 12:00", [("2027-01-20 18:00",)])
    booking_saved(v.pk, now=L("2027-01-02 12:00"))  # queued, not yet sent
    v.reservaservicios.update(fecha_agendamiento=datetime.date(2027, 1, 15), hora_inicio=datetime.time(20))
    booking_saved(v.pk, now=L("2027-01-02 12:01"))
    assert not Message.objects.filter(kind="booking_changed").exists()
    confirmation = Message.objects.get(kind="booking_confirmation")
    assert "para el viernes 15 de enero a las 20:00" in text(confirmation, "2027-01-02 12:02")
    deliver_due(L("2027-01-02 12:02"))
    booking_saved(v.pk, now=L("2027-01-02 12:05"))  # saved again, unchanged: nothing new
    assert not Message.objects.filter(kind="booking_changed").exists()


def test_a_reminder_sent_the_same_day_says_hoy():
    alba = client("Alba")
    v = booking(alba, "2027-01-02 12:00", [("2027-01-20 18:00",)])
    v.reservaservicios.update(fecha_agendamiento=datetime.date(2027, 1, 15), hora_inicio=datetime.time(20))
    run("appointment_reminder", "2027-01-15 12:15")
    [reminder] = Message.objects.filter(kind="appointment_reminder")
    assert "te esperamos hoy viernes 15 de enero a las 20:00" in text(reminder, "2027-01-15 12:16")


def test_one_survey_per_booking_after_checkout_of_a_cabin_stay():
    cab = svc("Cabaña Arrayán (noche)", 1440, "cabaña")
    hugo = client("Hugo")
    booking(
        hugo,
        "2027-01-02 12:00",
        [("2027-01-15 15:00", cab), ("2027-01-16 21:00",), ("2027-01-17 09:00", svc("Desayuno sureño", 45, "otro"))],
    )
    for at in ["2027-01-16 16:00", "2027-01-17 12:00", "2027-01-18 12:00"]:
        run("satisfaction_followup", at)
    assert [row[3] for row in msgs(hugo, kind="satisfaction_followup")] == ["2027-01-18 09:45 Mon"]


def test_a_cabin_night_alone_ends_at_checkout_the_next_morning():
    cab = svc("Cabaña Arrayán (noche)", 1440, "cabaña")
    ines = client("Inés")
    booking(ines, "2027-01-02 12:00", [("2027-01-15 15:00", cab)])
    assert run("satisfaction_followup", "2027-01-16 10:00") == {}  # still there
    run("satisfaction_followup", "2027-01-16 12:00")
    assert [row[3] for row in msgs(ines, kind="satisfaction_followup")] == ["2027-01-17 11:00 Sun"]


def test_a_welcome_still_pending_stops_when_the_new_clients_only_booking_is_cancelled():
    nina, olga = client("Nina"), client("Olga")
    only = booking(nina, "2027-01-02 12:00", [("2027-01-20 18:00",)], estado="pendiente", pagado=0)
    booking(olga, "2027-01-02 12:00", [("2027-01-20 18:00",)], estado="pendiente", pagado=0)
    other = booking(olga, "2027-01-02 13:00", [("2027-02-20 18:00",)], estado="pendiente", pagado=0)
    run("welcome", "2027-01-03 08:00")
    for v in (only, other):
        v.estado_pago = "cancelado"
        v.save()
        booking_cancelled(v.pk, now=L("2027-01-03 09:00"))
    assert msgs(nina, kind="welcome_1")[0][1:3] == (Status.CANCELLED, Reason.BOOKING_CANCELLED)
    assert msgs(olga, kind="welcome_1")[0][1] == Status.SCHEDULED


def test_a_reminder_sent_by_hand_without_a_booking_still_renders():
    from communications import api

    ana = client("Ana")
    outcome = api.send(
        ana, "appointment_reminder", context={"fecha": "miércoles 25", "hora": "10:30", "servicio": "Tina"}
    )
    assert "te esperamos el miércoles 25 a las 10:30" in render_message(outcome.message, ana)[1]
