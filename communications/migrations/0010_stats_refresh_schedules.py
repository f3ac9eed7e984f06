"""Beat entries for the statistics refresh (editable in the admin like every periodic task).

Every 5 minutes the last 2 local days; at 03:30 local the last 35 days, future days
and the lift (late receipts, opens and complaints land; the lift is too heavy for 5 minutes).
"""

from django.db import migrations

FREQUENT = "communications: estadísticas (últimos 2 días)"
NIGHTLY = "communications: estadísticas (35 días y efecto incremental)"


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=FREQUENT, defaults={"task": "communications.tasks.refresh_stats", "interval": every_5}
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="America/Santiago",
    )
    PeriodicTask.objects.update_or_create(
        name=NIGHTLY, defaults={"task": "communications.tasks.refresh_stats_nightly", "crontab": nightly}
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[FREQUENT, NIGHTLY]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("communications", "0009_holdout_reasons_and_attribution"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
