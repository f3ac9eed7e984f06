from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from communications import calendar as cal
from communications.progress import advance_to, progress
from communications.stats.refresh import future_days_to_refresh, last_days, refresh


class Command(BaseCommand):
    help = _(
        "Recalcula las estadísticas (atribución, totales diarios y efecto incremental) de los últimos días. "
        "Sobrescribe: ejecutarlo dos veces no cambia nada."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=2, help=_("días locales hacia atrás, incluido hoy (2)"))
        parser.add_argument("--no-lift", action="store_true", help=_("no recalcula el efecto incremental"))

    def handle(self, *args, days, no_lift, **options):
        if days < 1:
            raise CommandError(_("--days debe ser al menos 1."))
        today = cal.localdate(timezone.now())
        with progress(desc=_("Recalculando"), unit=_("días")) as bar:
            result = refresh(
                set(last_days(days, today=today)) | future_days_to_refresh(today),
                lift=not no_lift,
                tick=lambda done, total: advance_to(bar, done, total),
            )
        self.stdout.write(
            _("Estadísticas recalculadas: %(d)s días, %(b)s grupos, %(l)s filas de efecto incremental.")
            % {"d": result["days"], "b": result["buckets"], "l": result.get("lift_rows", "—")}
        )
