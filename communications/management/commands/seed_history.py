import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from communications.progress import advance_to, progress
from communications.stats.demo_history import seed_history


class Command(BaseCommand):
    help = _(
        "Crea el historial de comunicaciones de demostración (días pasados) para los clientes existentes "
        "y recalcula las estadísticas."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None, help="AAAA-MM-DD")

    def handle(self, *args, days, seed, today, **options):
        if days < 1:
            raise CommandError(_("--days debe ser al menos 1."))
        with progress(desc=_("Historial"), unit=_("clientes")) as bar:
            counts = seed_history(days, today=today, seed=seed, tick=lambda total: advance_to(bar, bar.n + 1, total))
        self.stdout.write(
            self.style.SUCCESS(
                _("Historial: %(m)d mensajes, %(b)d reservas tras mensajes, %(o)d bajas; %(k)d grupos estadísticos.")
                % {"m": counts["messages"], "b": counts["bookings"], "o": counts["opt_outs"], "k": counts["buckets"]}
            )
        )
