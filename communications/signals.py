"""How reservation events reach communications: ventas sends signals, we listen (ventas never imports us).

Handlers act on commit, so a booking saved with its services in one admin save is
confirmed once, with the services present, and a rolled-back save sends nothing.
"""

from django.db import transaction
from django.db.models.signals import post_save
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
