"""Helpers shared by the public pages: token -> message, and the friendly error page."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from .. import tokens
from ..models import Message


class LinkProblem(Exception):
    def __init__(self, status: int, title: str, text: str):
        super().__init__(title)
        self.status, self.title, self.text = status, title, text


def message_from(purpose: str, token: str) -> tuple[Message, dict]:
    """The message a token was made for, and the token's payload; raises LinkProblem otherwise."""
    try:
        payload = tokens.read(purpose, token)
    except tokens.ExpiredToken:
        raise LinkProblem(
            410,
            _("Este enlace expiró"),
            _("Por seguridad, los enlaces de nuestros correos caducan. Usa el enlace de un correo más reciente."),
        ) from None
    except tokens.InvalidToken:
        raise LinkProblem(
            400,
            _("Este enlace no es válido"),
            _("Puede que se haya copiado incompleto. Ábrelo directamente desde el correo que te enviamos."),
        ) from None
    message = Message.objects.select_related("cliente").filter(public_id=payload["m"]).first()
    if message is None:
        raise LinkProblem(
            404, _("No encontramos este mensaje"), _("Es posible que ya no exista en nuestros registros.")
        )
    return message, payload


def page(request, template: str, context: dict, status: int = 200):
    """Render a public page with the sender's identity, privately (see ``private``)."""
    context = {"company_name": settings.COMPANY_NAME, "company_address": settings.COMPANY_ADDRESS, **context}
    return private(render(request, template, context, status=status))


def problem_page(request, problem: LinkProblem):
    context = {"title": problem.title, "text": problem.text}
    return page(request, "communications/web/problem.html", context, problem.status)


def private(response):
    """Pages reached by a personal link are never cached and never leak it to another site.

    "same-origin", not "no-referrer": with no-referrer browsers send ``Origin: null``
    on the page's own form POST, and Django's CSRF origin check rightly refuses it.
    """
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
