"""Export everything held about one client as a ZIP (Ley 21.719: access and portability)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from communications import audit
from communications.privacy import export, requests
from communications.privacy.models import DataRightsRequest
from ventas.models import Cliente

from ._actor import add_actor_argument, resolve_actor


class Command(BaseCommand):
    help = _("Exporta en un ZIP todos los datos de un cliente (JSON y CSV) y escribe la ruta del archivo.")

    def add_arguments(self, parser):
        parser.add_argument("cliente_id", type=int, help=_("id del cliente"))
        parser.add_argument("--output", help=_("ruta del ZIP (por defecto, en la carpeta actual)"))
        add_actor_argument(parser)

    def handle(self, *args, cliente_id, output, actor, **options):
        actor = resolve_actor(actor)
        try:
            content = export.export_zip(cliente_id)
        except Cliente.DoesNotExist:
            raise CommandError(_("No existe el cliente %(id)s.") % {"id": cliente_id}) from None
        now = timezone.now()
        path = Path(output or f"cliente-{cliente_id}-{timezone.localtime(now):%Y%m%d-%H%M%S}.zip").resolve()
        path.write_bytes(content)
        requests.answered(cliente_id, DataRightsRequest.Kind.EXPORT, actor=actor, now=now)
        audit.record(
            audit.AuditEvent.Action.EXPORT,
            actor=actor,
            cliente_id=cliente_id,
            after={"bytes": len(content)},
            from_command=True,
        )
        self.stdout.write(str(path))
