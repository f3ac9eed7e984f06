"""How reservation events reach communications: ventas sends signals, we listen (ventas never imports us).

A saved booking or service only notes the booking id; on commit, one task per booking
goes to the transactional queue (booking_events), so a booking saved with its services
in one admin save is confirmed once, with the services present, a rolled-back save
sends nothing, and the gate's work stays out of the staff member's request.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from ventas.models import ReservaServicio, VentaReserva

from .booking_events import booking_touched


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
