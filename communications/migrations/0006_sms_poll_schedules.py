"""Beat entries for the SMS delivery-status and reply polls (every minute; editable in the admin)."""

from django.db import migrations

POLLS = {
    "communications: estado de entrega SMS": "communications.tasks.poll_sms_status",
    "communications: respuestas SMS": "communications.tasks.poll_sms_replies",
}


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    for name, task in POLLS.items():
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, "interval": every_minute})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=POLLS).delete()


class Migration(migrations.Migration):
    dependencies = [("communications", "0005_trigger_defaults_and_schedules")]

    operations = [migrations.RunPython(create, remove)]
