"""Helpers shared by the public pages: token -> message, and the friendly error page."""

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


def problem_page(request, problem: LinkProblem):
    response = render(
        request,
        "communications/web/problem.html",
        {"title": problem.title, "text": problem.text},
        status=problem.status,
    )
    response["Cache-Control"] = "no-store"
    return response


def private(response):
    """Pages reached by a personal link are never cached and never leak it as a referrer."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
