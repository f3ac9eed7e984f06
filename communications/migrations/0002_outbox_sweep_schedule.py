"""Register the outbox sweep with django-celery-beat (visible and editable in the admin)."""

from django.db import migrations

SWEEP_NAME = "communications: barrido de la bandeja de salida"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SWEEP_NAME,
        defaults={
            "task": "communications.tasks.sweep_outbox",
            "interval": every_minute,
            "description": "Expira, promueve los mensajes programados que vencen y reencola los rezagados.",
            "enabled": True,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
