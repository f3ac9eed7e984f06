"""The dashboard's own permission (communications.view_dashboard), kept on DailyStat's Meta."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("communications", "0010_richer_marketing_emails")]

    operations = [
        migrations.AlterModelOptions(
            name="dailystat",
            options={
                "permissions": [("view_dashboard", "Puede ver el panel de comunicaciones")],
                "verbose_name": "estadística diaria",
                "verbose_name_plural": "estadísticas diarias",
            },
        ),
    ]
