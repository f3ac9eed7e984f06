"""Serve the fake Redvoiss on loopback (the demo's SMS provider): python manage.py fake_redvoiss --port 8099"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from communications.channels.sms.fake_redvoiss import FakeRedvoiss


class Command(BaseCommand):
    help = _("Sirve un Redvoiss falso en 127.0.0.1 para la demo y las pruebas (nunca envía SMS reales).")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8099)
        parser.add_argument("--host", default="127.0.0.1", help=_("Solo interfaces locales."))
        parser.add_argument("--username", default=None, help=_("Por defecto REDVOISS_USERNAME o 'demo'."))
        parser.add_argument("--password", default=None, help=_("Por defecto REDVOISS_PASSWORD o 'demo'."))
        parser.add_argument(
            "--step-seconds", type=float, default=10.0, help=_("Segundos entre PENDIENTE, ENVIADO y RECIBIDO.")
        )
        parser.add_argument(
            "--auto-reply-every",
            type=int,
            default=3,
            help=_("Uno de cada N SMS con respuesta recibe una respuesta automática (0: nunca)."),
        )

    def handle(self, *args, **options):
        if options["host"] not in ("127.0.0.1", "localhost", "::1"):
            self.stderr.write(_("El Redvoiss falso solo escucha en la interfaz local."))
            return
        server = FakeRedvoiss(
            options["host"],
            options["port"],
            username=options["username"] or settings.REDVOISS_USERNAME or "demo",
            password=options["password"] or settings.REDVOISS_PASSWORD or "demo",
            step_seconds=options["step_seconds"],
            auto_reply_every=options["auto_reply_every"],
        )
        self.stdout.write(
            _(
                "Redvoiss falso en %(url)s\n"
                "  Responder a un SMS:  curl -X POST %(url)s/_admin/reply -d "
                '\'{"destination": "+569XXXXXXXX", "text": "BAJA"}\'\n'
                "  Simular fallas:      curl -X POST %(url)s/_admin/switches -d '{\"fail_500\": 2}'"
            )
            % {"url": server.url}
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write(_("Redvoiss falso detenido."))
        finally:
            server.httpd.server_close()
