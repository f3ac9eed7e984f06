"""WeeklyReport: one row per ISO week whose report went out (sent once per week)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("communications", "0011_dashboard_permission")]

    operations = [
        migrations.CreateModel(
            name="WeeklyReport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("week", models.CharField(max_length=8, unique=True, verbose_name="semana ISO")),
                ("sent_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="enviado")),
                ("recipients", models.PositiveSmallIntegerField(default=0, verbose_name="destinatarios")),
            ],
            options={
                "verbose_name": "informe semanal",
                "verbose_name_plural": "informes semanales",
                "ordering": ["-week"],
            },
        ),
    ]
