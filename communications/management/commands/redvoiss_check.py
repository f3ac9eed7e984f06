"""Check Redvoiss credentials and connectivity (GET /greet). Sends nothing; exits 1 on failure."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from communications.channels.errors import ChannelError, ConfigurationError, TransientError
from communications.channels.sms.redvoiss import RedvoissService


class Command(BaseCommand):
    help = _("Verifica credenciales y conexión con Redvoiss (GET /greet). No envía ningún SMS.")

    def handle(self, *args, **options):
        url = settings.REDVOISS_API_URL
        service = RedvoissService.from_settings()
        try:
            greeting = service.greet()
        except ConfigurationError as exc:
            if not service.has_credentials:
                raise CommandError(
                    _("Faltan credenciales: define REDVOISS_USERNAME y REDVOISS_PASSWORD en el entorno.")
                ) from exc
            raise CommandError(
                _(
                    "Redvoiss rechazó la configuración (%(detail)s). Revisa REDVOISS_USERNAME, "
                    "REDVOISS_PASSWORD y REDVOISS_API_URL (%(url)s)."
                )
                % {"detail": exc, "url": url}
            ) from exc
        except TransientError as exc:
            raise CommandError(
                _("No se pudo conectar con Redvoiss en %(url)s (%(detail)s). Revisa la red o reintenta más tarde.")
                % {"url": url, "detail": exc}
            ) from exc
        except ChannelError as exc:
            raise CommandError(
                _("Redvoiss respondió algo inesperado en %(url)s (%(detail)s).") % {"url": url, "detail": exc}
            ) from exc
        finally:
            service.close()
        self.stdout.write(
            self.style.SUCCESS(
                _("Conexión con Redvoiss correcta (%(url)s). Respuesta: «%(greeting)s»")
                % {"url": url, "greeting": greeting[:200]}
            )
        )
