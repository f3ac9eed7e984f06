"""Default trigger settings, and one beat schedule per trigger (editable in the admin)."""

from django.db import migrations

TRIGGER_DEFAULTS = {
    # name: (every_minutes, delay_hours, window_days, send_hour, segments)
    "booking_confirmation": (5, 0, 2, 10, []),
    "appointment_reminder": (15, 24, 0, 10, []),
    "satisfaction_followup": (60, 24, 3, 10, []),
    "welcome": (60, 0, 2, 10, []),
    "birthday": (60, 0, 0, 10, []),
    "reactivation_email": (60, 0, 90, 10, []),
    "reactivation_sms": (60, 168, 30, 10, []),
    "vip_newsletter": (60, 0, 0, 10, ["vip_high_spend", "regular_high_spend"]),
    "loyalty_rewards": (60, 0, 0, 10, []),
}


def create(apps, schema_editor):
    TriggerSetting = apps.get_model("communications", "TriggerSetting")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (every, delay, window, hour, segments) in TRIGGER_DEFAULTS.items():
        TriggerSetting.objects.get_or_create(
            name=name,
            defaults={"delay_hours": delay, "window_days": window, "send_hour": hour, "segments": segments},
        )
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="minutes")
        PeriodicTask.objects.update_or_create(
            name=f"communications: disparador {name}",
            defaults={"task": "communications.tasks.run_trigger", "args": f'["{name}"]', "interval": interval,
                      "enabled": True},
        )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__startswith="communications: disparador "
    ).delete()
    apps.get_model("communications", "TriggerSetting").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("communications", "0004_trigger_settings"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create, remove)]
