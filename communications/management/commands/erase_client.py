"""Erase one client's personal data (Ley 21.719): anonymise, suppress the addresses, keep the accounts."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from communications.privacy.erase import ErasureRefused, erase_client
from ventas.models import Cliente

from ._actor import add_actor_argument, resolve_actor


class Command(BaseCommand):
    help = _("Borra los datos personales de un cliente (irreversible). Requiere --confirm.")

    def add_arguments(self, parser):
        parser.add_argument("cliente_id", type=int, help=_("id del cliente"))
        parser.add_argument("--confirm", action="store_true", help=_("confirma el borrado (no se puede deshacer)"))
        add_actor_argument(parser)

    def handle(self, *args, cliente_id, confirm, actor, **options):
        actor = resolve_actor(actor)
        if not confirm:
            raise CommandError(_("El borrado no se puede deshacer: repite el comando con --confirm."))
        try:
            report = erase_client(cliente_id, actor=actor, from_command=True)
        except Cliente.DoesNotExist:
            raise CommandError(_("No existe el cliente %(id)s.") % {"id": cliente_id}) from None
        except ErasureRefused:
            raise CommandError(
                _("Hay un mensaje enviándose a este cliente en este momento; inténtalo de nuevo en unos minutos.")
            ) from None
        self.stdout.write(
            _("Cliente %(id)s borrado: %(n)d mensajes anonimizados, %(c)d pendientes cancelados.")
            % {"id": cliente_id, "n": report.counts.get("mensajes", 0), "c": report.cancelled}
        )
