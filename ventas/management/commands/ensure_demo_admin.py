"""Create (or reset) the demo's staff user and print how to log in."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Crea o restablece el usuario administrador de la demostración.")

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="aremko-demo")

    def handle(self, *args, username, password, **options):
        user, _created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(
                _("Administrador listo. Usuario: %(u)s · Contraseña: %(p)s") % {"u": username, "p": password}
            )
        )
