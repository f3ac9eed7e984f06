"""Reactivation email with a booking link, VIP newsletter with services and prices (staff screens M7).

Only rows still holding the previous shipped text are updated: a template staff edited is theirs.
"""

from django.db import migrations

OLD_REACTIVATION = (
    "Hola {{ nombre }}:\n\nHace tiempo que no nos visitas. Te guardamos un 20% de descuento en tu "
    "próxima tina o masaje durante los próximos 30 días.\n\nEquipo Aremko"
)
OLD_NEWSLETTER = (
    "Hola {{ nombre }}:\n\nComo cliente preferente, te contamos primero lo nuevo de este mes en "
    "Aremko Spa.\n\nEquipo Aremko"
)
KEYS = {("reactivation_email", "email", ""): OLD_REACTIVATION, ("vip_newsletter", "email", ""): OLD_NEWSLETTER}


def update(apps, schema_editor):
    from communications.defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("communications", "MessageTemplate")
    for (kind, channel, variant), old in KEYS.items():
        new = str(DEFAULT_TEMPLATES[(kind, channel, variant)][1])
        MessageTemplate.objects.filter(kind=kind, channel=channel, variant=variant, body=old).update(body=new)


def restore(apps, schema_editor):
    from communications.defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("communications", "MessageTemplate")
    for (kind, channel, variant), old in KEYS.items():
        new = str(DEFAULT_TEMPLATES[(kind, channel, variant)][1])
        MessageTemplate.objects.filter(kind=kind, channel=channel, variant=variant, body=new).update(body=old)


class Migration(migrations.Migration):
    dependencies = [("communications", "0009_spanish_labels_and_trigger_hour")]

    operations = [migrations.RunPython(update, restore)]
