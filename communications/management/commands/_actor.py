"""``--actor <username>`` for commands that send or act on personal data: who, for the audit trail."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def add_actor_argument(parser) -> None:
    parser.add_argument(
        "--actor",
        required=True,
        help=_("usuario del personal que pide esta acción (queda en el registro de auditoría)"),
    )


def resolve_actor(username: str) -> str:
    """The username of an active staff user, or a clear error."""
    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    if user is None:
        raise CommandError(_("«%(u)s» no es un usuario activo del personal.") % {"u": username})
    return user.get_username()
