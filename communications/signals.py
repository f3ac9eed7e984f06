"""How reservation events reach communications: ventas sends signals, we listen (ventas never imports us).

A saved (or shortened) booking only notes the booking id; on commit, one task per
booking goes to the transactional queue (booking_events), so a booking saved with
its services in one admin save is confirmed once, with the services present, a
rolled-back save sends nothing, and the gate's work stays out of the staff member's
request. A deleted booking is the exception: see on_venta_reserva_deleted.
"""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from ventas.models import ReservaServicio, VentaReserva

from .booking_events import booking_touched
from .triggers.bookings import booking_cancelled


@receiver(post_save, sender=VentaReserva, dispatch_uid="communications.booking_saved")
def on_venta_reserva_saved(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    # Cancelled or not is read by the task, on the booking as it is when the task runs.
    booking_touched(instance.pk, using=using)


@receiver(post_save, sender=ReservaServicio, dispatch_uid="communications.service_saved")
def on_reserva_servicio_saved(sender, instance, raw=False, using=None, **kwargs):
    if raw:
        return
    booking_touched(instance.venta_reserva_id, using=using)


@receiver(pre_delete, sender=VentaReserva, dispatch_uid="communications.booking_deleted")
def on_venta_reserva_deleted(sender, instance, **kwargs):
    # pre_delete, not post_delete: Message.reserva is SET_NULL, and Django clears it before
    # post_delete runs, when the booking's messages could no longer be found. Cancelling in
    # the deleting transaction also undoes itself if the delete rolls back.
    booking_cancelled(instance.pk, detail="reserva eliminada")


@receiver(post_delete, sender=ReservaServicio, dispatch_uid="communications.service_deleted")
def on_reserva_servicio_deleted(sender, instance, using=None, **kwargs):
    # The booking lost a service: its reminder for that visit is cancelled (booking_saved, in the task).
    booking_touched(instance.venta_reserva_id, using=using)
