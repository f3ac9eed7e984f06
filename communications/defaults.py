"""Shipped Spanish (es-CL) copy for every kind: the fallback when staff have not edited a template.

SMS copy avoids á, í, ó and ú where Spanish allows it: any of them turns the whole
SMS into UCS-2 (70 characters per segment instead of 160), doubling its cost.
é and ñ are GSM-7 and cost nothing extra.

Keys are (kind, channel, variant); values are (subject, body). Variables come
from the message context (set by the trigger) plus ``nombre`` and
``nombre_completo``; booking messages also get ``dia`` ("hoy", "mañana", "el"),
``fecha``, ``hora`` and ``servicio`` read from the booking at send time.
"""

from django.utils.translation import gettext_lazy as _

DEFAULT_TEMPLATES = {
    ("booking_confirmation", "sms", ""): (
        "",
        _(
            "Hola {{ nombre }}, confirmamos tu reserva en Aremko Spa para el {{ fecha }} a las {{ hora }}. "
            "¡Te esperamos!"
        ),
    ),
    ("booking_confirmation", "email", ""): (
        _("Tu reserva en Aremko Spa está confirmada"),
        _(
            "Hola {{ nombre }}:\n\nConfirmamos tu reserva en Aremko Spa para el {{ fecha }} a las {{ hora }}"
            " ({{ servicio }}).\n\n¡Te esperamos en Puerto Varas!\n\nEquipo Aremko"
        ),
    ),
    ("booking_changed", "sms", ""): (
        "",
        _(
            "Hola {{ nombre }}, tu reserva en Aremko Spa tiene nueva fecha: el {{ fecha }} a las {{ hora }}. "
            "¡Te esperamos!"
        ),
    ),
    ("booking_changed", "email", ""): (
        _("Tu reserva en Aremko Spa cambió"),
        _(
            "Hola {{ nombre }}:\n\nTu reserva en Aremko Spa cambió. La nueva fecha es el {{ fecha }} a las "
            "{{ hora }} ({{ servicio }}).\n\nSi no pediste este cambio, responde este correo.\n\nEquipo Aremko"
        ),
    ),
    ("appointment_reminder", "sms", ""): (
        "",
        _(
            "Hola {{ nombre }}, te esperamos {{ dia }} {{ fecha }} a las {{ hora }} en Aremko Spa ({{ servicio }}). "
            "¡Nos vemos!"
        ),
    ),
    ("satisfaction_followup", "email", ""): (
        _("¿Cómo estuvo tu visita a Aremko Spa?"),
        _(
            "Hola {{ nombre }}:\n\nGracias por visitarnos. Nos encantaría saber cómo lo pasaste en "
            "{{ servicio }}: basta con responder este correo.\n\nEquipo Aremko"
        ),
    ),
    ("welcome_1", "email", ""): (
        _("Bienvenida a Aremko Spa"),
        _(
            "Hola {{ nombre }}:\n\nGracias por elegirnos. En Aremko Spa tenemos tinas calientes con vista al "
            "bosque, masajes y cabañas para descansar en Puerto Varas.\n\nEquipo Aremko"
        ),
    ),
    ("welcome_7", "email", ""): (
        _("Ideas para tu próxima visita"),
        _(
            "Hola {{ nombre }}:\n\n¿Sabías que nuestras tinas nocturnas funcionan hasta las 22:30? "
            "Son perfectas para una noche de lluvia en el sur.\n\nEquipo Aremko"
        ),
    ),
    ("welcome_30", "email", ""): (
        _("Un mes con Aremko Spa"),
        _(
            "Hola {{ nombre }}:\n\nYa pasó un mes desde tu primera visita. Cuando quieras volver, "
            "te esperamos con el agua caliente.\n\nEquipo Aremko"
        ),
    ),
    ("birthday", "sms", ""): (
        "",
        _(
            "¡Feliz cumpleaños, {{ nombre }}! En Aremko Spa te regalamos 15% de descuento en tu siguiente visita "
            "este mes."
        ),
    ),
    ("birthday", "sms", "vip"): (
        "",
        _(
            "¡Feliz cumpleaños, {{ nombre }}! Por ser cliente VIP de Aremko Spa te regalamos 25% de descuento "
            "y un masaje de 30 minutos este mes."
        ),
    ),
    ("reactivation_email", "email", ""): (
        _("Te extrañamos en Aremko Spa"),
        _(
            "Hola {{ nombre }}:\n\nHace tiempo que no nos visitas. Te guardamos un 20% de descuento en tu "
            "próxima tina o masaje durante los próximos 30 días.\n\nReserva tu hora aquí: {{ enlace_reservas }}"
            "\n\nO respóndenos este correo y te ayudamos a elegir.\n\nEquipo Aremko"
        ),
    ),
    ("reactivation_sms", "sms", ""): (
        "",
        _("Hola {{ nombre }}, te extrañamos en Aremko Spa: 20% de descuento en tu siguiente tina o masaje este mes."),
    ),
    ("vip_newsletter", "email", ""): (
        _("Novedades exclusivas de Aremko Spa"),
        _(
            "Hola {{ nombre }}:\n\nComo cliente preferente, te contamos primero lo nuevo de este mes en "
            "Aremko Spa.\n\n"
            "{% if recomendaciones %}Elegido para ti:\n{{ recomendaciones }}\n\n{% endif %}"
            "Nuestros servicios y precios:\n{{ servicios }}\n\n"
            "Reserva cuando quieras: {{ enlace_reservas }}\n\nEquipo Aremko"
        ),
    ),
    ("vip_early_access", "sms", ""): (
        "",
        _(
            "Hola {{ nombre }}, como cliente VIP reservas antes que nadie: {{ novedad }}. Escribenos para "
            "apartar tu cupo."
        ),
    ),
    ("loyalty_rewards", "email", ""): (
        _("Tus beneficios de cliente frecuente"),
        _(
            "Hola {{ nombre }}:\n\nGracias por seguir eligiéndonos. Este trimestre tienes un beneficio "
            "especial en tu próxima reserva.\n\nEquipo Aremko"
        ),
    ),
}
