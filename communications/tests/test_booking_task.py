"""A saved booking publishes one task per booking per transaction; the gate runs in that task, not in the request."""

import datetime

import pytest
import time_machine
from django.db import transaction

from communications import booking_events
from communications.models import Message, Reason, Status
from communications.tests.helpers import local, new_client
from communications.tests.test_sms_end_to_end import status_of, wait_for
from communications.tests.test_trigger_scenarios import book
from ventas.models import ReservaServicio, VentaReserva
from ventas.tests.factories import ReservaServicioFactory, VentaReservaFactory

TASK = "communications.tasks.booking_saved_task"
NOW = local(2026, 11, 25, 10)
VISIT_DAY = datetime.date(2026, 11, 27)


@pytest.fixture
def wednesday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_a_booking_saved_with_two_services_publishes_one_task_on_the_transactional_queue(
    published_booking_tasks, django_capture_on_commit_callbacks, wednesday_morning
):
    with django_capture_on_commit_callbacks(execute=True):
        venta = book(new_client(), VISIT_DAY, 18, services=2, booked_at=NOW)

    assert published_booking_tasks == [(TASK, (venta.pk,), "transactional")]


@pytest.mark.django_db
def test_the_request_writes_no_message_the_task_writes_the_confirmation(
    published_booking_tasks, django_capture_on_commit_callbacks, wednesday_morning
):
    ana = new_client()
    with django_capture_on_commit_callbacks(execute=True):
        venta = book(ana, VISIT_DAY, 18, services=2, booked_at=NOW)
    assert not Message.objects.exists()

    assert booking_events.handle(venta.pk) == "saved"

    [confirmation] = Message.objects.filter(cliente=ana, kind="booking_confirmation")
    assert confirmation.reserva_id == venta.pk and confirmation.status == Status.QUEUED


@pytest.mark.django_db
def test_two_bookings_saved_in_one_transaction_publish_one_task_each(
    published_booking_tasks, django_capture_on_commit_callbacks, wednesday_morning
):
    with django_capture_on_commit_callbacks(execute=True):
        first = book(new_client(), VISIT_DAY, 18, services=2, booked_at=NOW)
        second = book(new_client(), VISIT_DAY, 12, services=1, booked_at=NOW)
        first.save()

    assert [args for _task, args, _queue in published_booking_tasks] == [(first.pk,), (second.pk,)]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_save_publishes_nothing_and_the_next_save_publishes_again(published_booking_tasks):
    venta = ReservaServicioFactory().venta_reserva
    published_booking_tasks.clear()

    with pytest.raises(RuntimeError), transaction.atomic():
        venta.save()
        raise RuntimeError("staff pressed back")
    assert published_booking_tasks == []

    with transaction.atomic():
        venta.save()
        ReservaServicio.objects.get(venta_reserva=venta).save()
    assert published_booking_tasks == [(TASK, (venta.pk,), "transactional")]


@pytest.mark.django_db(transaction=True)
def test_a_save_outside_any_transaction_publishes_at_once(published_booking_tasks):
    venta = VentaReservaFactory()
    assert published_booking_tasks == [(TASK, (venta.pk,), "transactional")]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_does_not_stop_the_outer_transaction_from_publishing(published_booking_tasks):
    venta = ReservaServicioFactory().venta_reserva
    published_booking_tasks.clear()

    with transaction.atomic():
        try:
            with transaction.atomic():
                venta.save()
                raise RuntimeError("inner form failed")
        except RuntimeError:
            pass
        ReservaServicio.objects.get(venta_reserva=venta).save()

    assert published_booking_tasks == [(TASK, (venta.pk,), "transactional")]


@pytest.mark.django_db
def test_the_task_reads_the_booking_as_it_is_now_a_cancelled_one_is_cancelled_not_confirmed(wednesday_morning):
    ana = new_client()
    venta = book(ana, VISIT_DAY, 18, booked_at=NOW)
    booking_events.handle(venta.pk)
    [confirmation] = Message.objects.filter(cliente=ana, kind="booking_confirmation")
    VentaReserva.objects.filter(pk=venta.pk).update(estado_pago=VentaReserva.EstadoPago.CANCELADO)

    assert booking_events.handle(venta.pk) == "cancelled"

    confirmation.refresh_from_db()
    assert (confirmation.status, confirmation.reason) == (Status.CANCELLED, Reason.BOOKING_CANCELLED)


@pytest.mark.django_db
def test_a_task_for_a_booking_deleted_meanwhile_does_nothing():
    assert booking_events.handle(987_654) == "missing"
    assert not Message.objects.exists()


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_confirmation_leaves_within_seconds_through_a_real_worker(published_booking_tasks, celery_worker_on_redis):
    from django.utils import timezone

    ana = new_client()
    booked_at = timezone.now()
    day = (timezone.localtime(booked_at) + datetime.timedelta(days=2)).date()
    with transaction.atomic():
        venta = VentaReservaFactory(cliente=ana, fecha_reserva=booked_at, estado_pago="pendiente", pagado=0)
        ReservaServicioFactory(venta_reserva=venta, fecha_agendamiento=day, hora_inicio=datetime.time(12, 0))
        ReservaServicioFactory(venta_reserva=venta, fecha_agendamiento=day, hora_inicio=datetime.time(14, 0))
    assert len(published_booking_tasks) == 1

    confirmation = wait_for(
        lambda: Message.objects.filter(cliente=ana, kind="booking_confirmation").first(), what="confirmation"
    )
    wait_for(lambda: status_of(confirmation.pk) == Status.SENT, what="confirmation sent")
