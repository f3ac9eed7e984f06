"""Send (or show) the weekly communications report; beat sends it by itself on Monday mornings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from communications.stats import report


class Command(BaseCommand):
    help = _("Envía el informe semanal (por defecto, la semana ISO anterior) a REPORT_EMAILS, una sola vez por semana.")

    def add_arguments(self, parser):
        parser.add_argument("--week", help=_("semana ISO, AAAA-Sss (por ejemplo 2026-W48)"))
        parser.add_argument("--dry-run", action="store_true", help=_("muestra el informe sin enviarlo"))
        parser.add_argument("--to", help=_("envía solo a esta dirección (aunque la semana ya se haya enviado)"))

    def handle(self, *args, week, dry_run, to, **options):
        now = timezone.now()
        try:
            week = week or report.due_week(now)
            report.week_range(week)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if to:
            try:
                validate_email(to)
            except ValidationError:
                raise CommandError(_("Dirección de email no válida: %(to)s") % {"to": to}) from None

        if dry_run:
            built = report.build(week, now=now)
            self.stdout.write(built.subject)
            self.stdout.write(built.text)
            self.stdout.write(
                _("Adjunto: %(n)s (%(b)d bytes). Simulación: nada se envió.")
                % {"n": built.csv_name, "b": len(built.csv)}
            )
            return
        if to:
            # A copy on demand: it does not count as the week's report.
            report.send(report.build(week, now=now), [to])
            self.stdout.write(_("Informe %(w)s enviado a la dirección indicada.") % {"w": week})
            return
        result = report.send_due(now, week=week)
        if result.sent:
            self.stdout.write(
                _("Informe %(w)s enviado a %(n)d destinatarios.") % {"w": week, "n": len(settings.REPORT_EMAILS)}
            )
        elif result.reason == "no_recipients":
            raise CommandError(_("REPORT_EMAILS está vacío: nadie a quien enviar el informe (use --to)."))
        else:
            self.stdout.write(
                _("El informe %(w)s ya se envió; no se envía de nuevo (use --to para una copia).") % {"w": week}
            )
