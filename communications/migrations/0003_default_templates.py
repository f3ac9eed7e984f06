"""Load the shipped Spanish templates as editable rows, so staff find every kind in the admin."""

from django.db import migrations


def load_defaults(apps, schema_editor):
    from communications.defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("communications", "MessageTemplate")
    for (kind, channel, variant), (subject, body) in DEFAULT_TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            kind=kind, channel=channel, variant=variant, defaults={"subject": str(subject), "body": str(body)}
        )


class Migration(migrations.Migration):
    dependencies = [("communications", "0002_outbox_sweep_schedule")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
