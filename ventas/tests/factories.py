"""factory_boy factories for every ventas model, and the shared personas."""

import datetime
import itertools

import factory
from django.utils import timezone

from ventas.models import Campaign, CampaignInteraction, Cliente, ReservaServicio, Servicio, VentaReserva

_mobiles = itertools.count(30_000_001)


class ClienteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cliente

    nombre = factory.Faker("name", locale="es_CL")
    email = factory.Sequence(lambda n: f"cliente{n}@example.cl")
    telefono = factory.LazyFunction(lambda: f"+569{next(_mobiles)}")
    fecha_nacimiento = datetime.date(1990, 6, 15)
    ciudad = "Puerto Varas"


class ServicioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Servicio

    nombre = factory.Sequence(lambda n: f"Tina caliente {n}")
    precio_base = 50_000
    duracion = 120
    categoria = "Tinas"
    tipo_servicio = Servicio.Tipo.TINA


class VentaReservaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VentaReserva

    cliente = factory.SubFactory(ClienteFactory)
    fecha_reserva = factory.LazyFunction(timezone.now)
    # A booking is made no later than its visit (past visits were booked back then).
    fecha_creacion = factory.LazyAttribute(lambda o: min(o.fecha_reserva, timezone.now()))
    total = 50_000
    pagado = factory.SelfAttribute("total")
    saldo_pendiente = 0
    estado_pago = VentaReserva.EstadoPago.PAGADO


class ReservaServicioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReservaServicio

    venta_reserva = factory.SubFactory(VentaReservaFactory)
    servicio = factory.SubFactory(ServicioFactory)
    fecha_agendamiento = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=2))
    hora_inicio = datetime.time(18, 30)
    cantidad_personas = 2


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaña {n}")
    status = Campaign.Status.ACTIVE
    sms_template = "Hola {{ nombre }}, te esperamos en Aremko."


class CampaignInteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignInteraction

    cliente = factory.SubFactory(ClienteFactory)
    campaign = factory.SubFactory(CampaignFactory)
    interaction_type = CampaignInteraction.Type.SMS_SENT


def give_visits(cliente, visits: int, spend_each: int, *, days_ago: int = 10, estado="pagado"):
    """Paid bookings for a persona: `visits` bookings of `spend_each` CLP, the last `days_ago` days ago."""
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return [
        VentaReservaFactory(
            cliente=cliente,
            fecha_reserva=when - datetime.timedelta(days=30 * i),
            total=spend_each,
            pagado=spend_each if estado == "pagado" else spend_each // 2,
            estado_pago=estado,
        )
        for i in range(visits)
    ]
