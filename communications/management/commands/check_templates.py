"""Check every stored message template against its kind: exit 1, in Spanish, if one would block its messages."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from communications.kinds import KINDS
from communications.template_checks import stored_template_problems


class Command(BaseCommand):
    help = _("Revisa todas las plantillas guardadas contra las variables de su tipo de mensaje.")

    def handle(self, *args, **options):
        found = stored_template_problems()
        if not found:
            self.stdout.write(self.style.SUCCESS(_("Todas las plantillas están bien.")))
            return
        for row, field, problems in found:
            kind = KINDS.get(row.kind)
            self.stdout.write(
                _("Plantilla «%(kind)s» (%(channel)s%(variant)s), %(field)s:")
                % {
                    "kind": kind.label if kind else row.kind,
                    "channel": row.get_channel_display(),
                    "variant": f", {row.variant}" if row.variant else "",
                    "field": _("asunto") if field == "subject" else _("texto"),
                }
            )
            for problem in problems:
                self.stdout.write(f"  - {problem}")
        raise CommandError(
            _("%(n)d plantilla(s) con errores: sus mensajes se bloquearían al enviarse.") % {"n": len(found)}
        )
