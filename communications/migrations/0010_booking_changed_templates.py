"""Templates for the "tu reserva cambió" notice, and the reminder's day word read at send time.

The reminder said "mañana" whatever the day it went out; it now says {{ dia }}
("hoy", "mañana" or "el"), read from the booking when the SMS is rendered. A
reminder template staff have edited is left as they wrote it.
"""

from django.db import migrations

OLD_REMINDER = (
    "Hola {{ nombre }}, te esperamos mañana {{ fecha }} a las {{ hora }} en Aremko Spa ({{ servicio }}). ¡Nos vemos!"
)


def forwards(apps, schema_editor):
    from communications.defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("communications", "MessageTemplate")
    for channel in ("sms", "email"):
        subject, body = DEFAULT_TEMPLATES[("booking_changed", channel, "")]
        MessageTemplate.objects.get_or_create(
            kind="booking_changed", channel=channel, variant="", defaults={"subject": str(subject), "body": str(body)}
        )
    _subject, reminder = DEFAULT_TEMPLATES[("appointment_reminder", "sms", "")]
    MessageTemplate.objects.filter(kind="appointment_reminder", channel="sms", variant="", body=OLD_REMINDER).update(
        body=str(reminder)
    )


def backwards(apps, schema_editor):
    from communications.defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("communications", "MessageTemplate")
    MessageTemplate.objects.filter(kind="booking_changed").delete()
    _subject, reminder = DEFAULT_TEMPLATES[("appointment_reminder", "sms", "")]
    MessageTemplate.objects.filter(kind="appointment_reminder", channel="sms", variant="", body=str(reminder)).update(
        body=OLD_REMINDER
    )


class Migration(migrations.Migration):
    dependencies = [("communications", "0009_booking_changed_reason")]

    operations = [migrations.RunPython(forwards, backwards)]
