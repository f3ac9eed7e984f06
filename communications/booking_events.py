"""A saved booking becomes one Celery task per booking per transaction, published on commit.

Why not run the gate in the commit hook: the hook runs inside the staff member's
request, and the gate (locks, caps, consent, rendering, dispatch) made an admin save
of a booking with two services cost 17-28x a bare save on PostgreSQL (issue 12).
The task runs on the transactional queue, whose worker takes no marketing work, so
the confirmation still leaves within seconds; if the broker loses it, the
confirmation sweep (BookingConfirmation, window_days) still confirms the booking.

One task per booking per transaction: the booking row and each of its service rows
send post_save, but they all add to one set of ids, published once on commit.
A rolled-back transaction drops its hooks, and with them the set.
"""

from django.db import DEFAULT_DB_ALIAS, transaction

_ATTR = "_communications_booking_ids"


class _Pending:
    """The booking ids saved in one transaction; published by the first of its on-commit hooks to run."""

    def __init__(self):
        self.ids: list[int] = []
        self.flushed = False

    def flush(self):
        if self.flushed:
            return
        self.flushed = True
        for venta_id in self.ids:
            publish(venta_id)


def booking_touched(venta_id: int | None, using: str = DEFAULT_DB_ALIAS) -> None:
    """Called from the model signals: remember the booking; the task goes out when the transaction commits.

    Every save registers a hook (a no-op once the set is flushed) rather than only the
    first: a hook registered earlier may belong to a savepoint that is rolled back later,
    and each hook stays as cheap as a flag check.
    """
    if venta_id is None:
        return
    connection = transaction.get_connection(using)
    pending = getattr(connection, _ATTR, None)
    # A set whose hooks were all dropped by a rollback is dead: start a fresh one.
    live = (
        pending is not None
        and not pending.flushed
        and connection.in_atomic_block
        and any(hook == pending.flush for _sids, hook, *_rest in reversed(connection.run_on_commit))
    )
    if not live:
        pending = _Pending()
        setattr(connection, _ATTR, pending)
    if venta_id not in pending.ids:
        pending.ids.append(venta_id)  # before on_commit: outside a transaction it runs at once
    transaction.on_commit(pending.flush, using=using)


def publish(venta_id: int) -> None:
    """Never raises into the staff request: with the broker down, the confirmation sweep confirms it."""
    from .dispatch import publish as publish_task
    from .tasks import booking_saved_task

    publish_task(booking_saved_task, (venta_id,), what="booking task")


def handle(venta_id: int, now=None) -> str:
    """The task's work, on the booking as it is now: cancelled, or confirmed and offers withdrawn."""
    from ventas.models import VentaReserva

    from .triggers.bookings import booking_cancelled, booking_saved

    estado = VentaReserva.objects.filter(pk=venta_id).values_list("estado_pago", flat=True).first()
    if estado is None:
        return "missing"  # deleted since: its delete handler already cancelled what it had
    if estado == VentaReserva.EstadoPago.CANCELADO:
        booking_cancelled(venta_id, now=now)
        return "cancelled"
    booking_saved(venta_id, now=now)
    return "saved"
