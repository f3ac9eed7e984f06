"""How reservation events reach communications: ventas sends signals, we listen (ventas never imports us).

Handlers act on commit, so a booking saved with its services in one admin save is
confirmed once, with the services present, and a rolled-back save sends nothing.
Each handler costs a few indexed queries: a booking save stays cheap.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from ventas.models import ReservaServicio, VentaReserva

from .triggers.bookings import booking_cancelled, booking_saved


@receiver(post_save, sender=VentaReserva, dispatch_uid="communications.booking_saved")
def on_venta_reserva_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    venta_id = instance.pk
    if instance.estado_pago == VentaReserva.EstadoPago.CANCELADO:
        transaction.on_commit(lambda: booking_cancelled(venta_id))
    else:
        transaction.on_commit(lambda: booking_saved(venta_id))


@receiver(post_save, sender=ReservaServicio, dispatch_uid="communications.service_saved")
def on_reserva_servicio_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    venta_id = instance.venta_reserva_id
    transaction.on_commit(lambda: booking_saved(venta_id))


@receiver(pre_delete, sender=VentaReserva, dispatch_uid="communications.booking_deleted")
def on_venta_reserva_deleted(sender, instance, **kwargs):
    # pre_delete, not post_delete: Message.reserva is SET_NULL, and Django clears it before
    # post_delete runs, when the booking's messages could no longer be found. Cancelling in
    # the deleting transaction also undoes itself if the delete rolls back.
    booking_cancelled(instance.pk, detail="reserva eliminada")


@receiver(post_delete, sender=ReservaServicio, dispatch_uid="communications.service_deleted")
def on_reserva_servicio_deleted(sender, instance, **kwargs):
    # The booking lost a service: its reminder for that visit is cancelled (booking_changed).
    venta_id = instance.venta_reserva_id
    transaction.on_commit(lambda: booking_saved(venta_id))
